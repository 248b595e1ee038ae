import type { Logger } from '../logger.ts';

export interface AuthContext {
  storeId: string;
  keyId: string;
  kind: 'publishable' | 'secret';
  mode: 'test' | 'live';
}

/** Hono context variables set by the shared middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    auth: AuthContext;
  };
}
