import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../app-error.ts';
import type { AppEnv, AuthContext } from './env.ts';

export type KeyResolver = (presentedKey: string) => Promise<AuthContext | null>;
/** Verifies a staff access token (a JWT) without the database; null when it is not a valid staff token. */
export type StaffTokenVerifier = (token: string) => Promise<AuthContext | null>;

const KEY_SHAPE = /^(pk|sk)_(test|live)_[A-Za-z0-9]{16,64}$/;
/** A compact JWS: three base64url parts. API keys never contain a dot, so the two shapes cannot be confused. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** What a staff role may do on a route open to secret keys: `read_only` reads, the others may write. */
export function assertStaffMayRequest(auth: AuthContext, method: string): void {
  if (auth.staff?.role === 'read_only' && !READ_METHODS.has(method)) {
    throw new AppError('STAFF_ROLE_FORBIDDEN', 'A read-only staff user may only read.');
  }
}

/** Staff and API key management: an owner's staff token, or a secret key (automation). */
export function assertOwnerOrKey(auth: AuthContext): void {
  if (auth.staff && auth.staff.role !== 'owner') {
    throw new AppError('STAFF_ROLE_FORBIDDEN', 'Only an owner manages staff and API keys.');
  }
}

export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * Authenticates an API key or, when `verifyStaff` is given, a staff access token (told apart by shape: a
 * JWT has dots, a key never does). `secret` routes refuse publishable keys; `any` routes take both.
 * The resolver caches keys in memory, so a cached storefront read costs no database round trip; keys are
 * tested first, so a publishable key pays nothing for staff tokens.
 */
export function requireKey(
  resolve: KeyResolver,
  needs: 'secret' | 'any',
  verifyStaff?: StaffTokenVerifier,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c.req.header('authorization'));
    if (!key) throw new AppError('AUTH_REQUIRED', 'Send your API key as `Authorization: Bearer <key>`.');
    if (!KEY_SHAPE.test(key)) {
      if (!verifyStaff || !JWT_SHAPE.test(key)) {
        throw new AppError('INVALID_API_KEY', 'The API key is malformed.');
      }
      const staff = await verifyStaff(key);
      if (!staff) throw new AppError('INVALID_STAFF_TOKEN', 'The staff access token is invalid or expired.');
      assertStaffMayRequest(staff, c.req.method);
      c.set('auth', staff);
      return next();
    }
    c.set('auth', await authenticateKey(resolve, key, needs));
    await next();
  };
}

/** The store and mode of a presented key, or the error that refuses it (for keys that come in a body). */
export async function authenticateKey(
  resolve: KeyResolver,
  key: string,
  needs: 'secret' | 'any',
): Promise<AuthContext> {
  if (!KEY_SHAPE.test(key)) throw new AppError('INVALID_API_KEY', 'The API key is malformed.');
  const auth = await resolve(key);
  if (!auth) throw new AppError('INVALID_API_KEY', 'The API key is unknown or revoked.');
  if (needs === 'secret' && auth.kind !== 'secret') {
    throw new AppError('SECRET_KEY_REQUIRED', 'This route needs a secret key (sk_…).');
  }
  return auth;
}

/** A fixed bearer token from the environment (the root token, the metrics token), compared in constant time. */
export function requireBearer(
  token: string,
  name: string,
  code: 'INVALID_METRICS_TOKEN' | 'INVALID_ROOT_TOKEN',
): MiddlewareHandler<AppEnv> {
  const expected = Buffer.from(token);
  return async (c, next) => {
    const given = bearer(c.req.header('authorization'));
    if (!given) throw new AppError('AUTH_REQUIRED', `Send ${name} as \`Authorization: Bearer <token>\`.`);
    const b = Buffer.from(given);
    if (b.length !== expected.length || !timingSafeEqual(b, expected)) {
      throw new AppError(code, `The token is not ${name}.`);
    }
    await next();
  };
}

export function requireRoot(rootToken: string | undefined): MiddlewareHandler<AppEnv> {
  const expected = rootToken ? Buffer.from(rootToken) : null;
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token)
      throw new AppError('AUTH_REQUIRED', 'Send the root token as `Authorization: Bearer <token>`.');
    const given = Buffer.from(token);
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(
        'INVALID_ROOT_TOKEN',
        'The root token is wrong, or CROWDSTART_ROOT_TOKEN is not set.',
      );
    }
    await next();
  };
}
