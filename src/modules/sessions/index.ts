/**
 * Sessions for shoppers and staff: scrypt passwords, short-lived ES256 access tokens (signing keys kept in the
 * database, verified from memory, published as a JWKS), rotating refresh tokens stored hashed in families.
 * Modules take a `Sessions` for their audience from the composition root.
 */
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import { createKeyRing } from './sessions.keys.ts';
import { sessionsRoutes } from './sessions.routes.ts';
import { createSessions } from './sessions.service.ts';

export { createKeyRing, type KeyRing } from './sessions.keys.ts';
export {
  createPasswordHasher,
  hashPassword,
  type PasswordHasher,
  type ScryptParams,
  verifyPassword,
} from './sessions.passwords.ts';
export {
  type Audience,
  createSessions,
  type SessionClaims,
  type SessionPair,
  type Sessions,
} from './sessions.service.ts';

export function createSessionsModule(deps: {
  db: Executor;
  clock: Clock;
  issuer: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}) {
  const keys = createKeyRing({ db: deps.db, clock: deps.clock, accessTtlSeconds: deps.accessTtlSeconds });
  const sessions = createSessions({ ...deps, keys });
  return { keys, sessions, routes: sessionsRoutes({ keys }) };
}
