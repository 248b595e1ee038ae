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
    traceId: string;
    auth: AuthContext;
  };
}
