import { createHash, randomBytes } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction } from '../../shared/db.ts';
import { ALG, type KeyRing } from './sessions.keys.ts';
import * as repo from './sessions.repo.ts';

/** Who a session is for: `customer` (shoppers) or `staff` (the dashboard); tokens of one are refused by the other. */
export type Audience = 'customer' | 'staff';

export interface SessionPair {
  access_token: string;
  refresh_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
}

/** What a verified access token says. */
export interface SessionClaims {
  subject: string;
  storeId: string;
  audience: Audience;
  expiresAt: Date;
  /** Every claim of the token, the extra ones given at `start` / `refresh` included. */
  claims: Record<string, unknown>;
}

export interface SessionsOptions {
  db: Executor;
  clock: Clock;
  keys: KeyRing;
  issuer: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const REFRESH_SHAPE = /^rt_[A-Za-z0-9_-]{43}$/;
const newRefreshToken = () => `rt_${randomBytes(32).toString('base64url')}`;
const newFamilyId = () => `sfam_${randomBytes(12).toString('base64url')}`;

const invalidRefresh = () =>
  new AppError('REFRESH_TOKEN_INVALID', 'The refresh token is unknown, expired or revoked; sign in again.', {
    param: 'refresh_token',
  });

/**
 * Sessions for any audience: short-lived ES256 access tokens any process verifies from memory, and
 * rotating refresh tokens stored hashed, in families, with reuse detection.
 */
export function createSessions(opts: SessionsOptions) {
  const { db, clock, keys, issuer } = opts;

  async function accessToken(args: {
    audience: Audience;
    subject: string;
    storeId: string;
    claims?: Record<string, unknown>;
  }): Promise<string> {
    const { kid, key } = await keys.signer(args.audience);
    const now = Math.floor(clock.now().getTime() / 1000);
    return new SignJWT({ ...args.claims, store_id: args.storeId })
      .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(args.audience)
      .setSubject(args.subject)
      .setIssuedAt(now)
      .setExpirationTime(now + opts.accessTtlSeconds)
      .sign(key);
  }

  /** Stores a new refresh token of the family; the access token is signed by the caller after any transaction. */
  async function storeRefresh(args: {
    audience: Audience;
    subject: string;
    storeId: string;
    familyId: string;
    write: Executor;
  }): Promise<string> {
    const refresh = newRefreshToken();
    const now = clock.now();
    await repo.insertRefreshToken(args.write, {
      tokenHash: sha256(refresh),
      familyId: args.familyId,
      audience: args.audience,
      storeId: args.storeId,
      subject: args.subject,
      createdAt: now,
      expiresAt: new Date(now.getTime() + opts.refreshTtlSeconds * 1000),
    });
    return refresh;
  }

  // Signing may read the key table on a cold cache: never inside a transaction (PGlite has one connection).
  async function pair(
    args: { audience: Audience; subject: string; storeId: string; claims?: Record<string, unknown> },
    refresh: string,
  ): Promise<SessionPair> {
    return {
      access_token: await accessToken(args),
      refresh_token: refresh,
      expires_in: opts.accessTtlSeconds,
    };
  }

  return {
    /** Starts a session (a new refresh token family); `write` may be the caller's transaction. */
    async start(args: {
      audience: Audience;
      subject: string;
      storeId: string;
      write?: Executor;
      /** Extra claims of the access token (staff: role and mode). */
      claims?: Record<string, unknown>;
    }): Promise<SessionPair> {
      return pair(args, await storeRefresh({ ...args, familyId: newFamilyId(), write: args.write ?? db }));
    },

    /**
     * Exchanges a live refresh token for a new pair and retires it. A retired token presented again was
     * copied (or the client lost a response): the whole family is revoked, the thief and the owner both sign in again.
     */
    async refresh(args: {
      audience: Audience;
      storeId: string;
      refreshToken: string;
      /** The new access token's extra claims, read again for the subject; null refuses the refresh. */
      claims?: (subject: string, tx: Executor) => Promise<Record<string, unknown> | null>;
    }): Promise<{ subject: string; session: SessionPair }> {
      if (!REFRESH_SHAPE.test(args.refreshToken)) throw invalidRefresh();
      const tokenHash = sha256(args.refreshToken);
      const now = clock.now();
      const outcome = await inTransaction<
        | { subject: string; refresh: string; claims?: Record<string, unknown> }
        | { reused: Awaited<ReturnType<typeof repo.findToken>> }
      >(db, async (tx) => {
        const live = await repo.rotateLiveToken(tx, {
          tokenHash,
          audience: args.audience,
          storeId: args.storeId,
          now,
        });
        if (!live)
          return {
            reused: await repo.findToken(tx, { tokenHash, audience: args.audience, storeId: args.storeId }),
          };
        const claims = args.claims ? await args.claims(live.subject, tx) : undefined;
        if (claims === null) throw invalidRefresh();
        const refresh = await storeRefresh({
          audience: args.audience,
          subject: live.subject,
          storeId: live.storeId,
          familyId: live.familyId,
          write: tx,
        });
        return { subject: live.subject, refresh, claims };
      });
      if ('refresh' in outcome) {
        const session = await pair(
          {
            audience: args.audience,
            storeId: args.storeId,
            subject: outcome.subject,
            claims: outcome.claims,
          },
          outcome.refresh,
        );
        return { subject: outcome.subject, session };
      }
      const seen = outcome.reused;
      if (seen?.rotatedAt && !seen.revokedAt) await repo.revokeFamily(db, seen.familyId, now);
      throw invalidRefresh();
    },

    /** Ends the session of `refreshToken`, or every session of its subject. Unknown tokens are ignored. */
    async revoke(args: { audience: Audience; storeId: string; refreshToken: string; everywhere: boolean }) {
      if (!REFRESH_SHAPE.test(args.refreshToken)) return;
      const row = await repo.findToken(db, {
        tokenHash: sha256(args.refreshToken),
        audience: args.audience,
        storeId: args.storeId,
      });
      if (!row) return;
      const now = clock.now();
      if (args.everywhere) {
        await repo.revokeSubject(db, {
          storeId: row.storeId,
          audience: args.audience,
          subject: row.subject,
          at: now,
        });
      } else {
        await repo.revokeFamily(db, row.familyId, now);
      }
    },

    /** Ends every session of a subject (password reset, account closure). */
    revokeAll(args: { audience: Audience; storeId: string; subject: string; write?: Executor }) {
      return repo.revokeSubject(args.write ?? db, { ...args, at: clock.now() });
    },

    /**
     * Verifies an access token from memory: signature (key by `kid`), issuer, audience, expiry and store.
     * Returns null for any token that does not verify; the caller decides the error.
     */
    async verify(
      token: string,
      /** Without `storeId` (staff tokens name their store), any store's token verifies; the caller scopes by it. */
      expect: { audience: Audience; storeId?: string },
    ): Promise<SessionClaims | null> {
      if (token.length > 4096) return null;
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(token).kid;
      } catch {
        return null;
      }
      const verifier = await keys.verifier(kid);
      if (!verifier || verifier.audience !== expect.audience) return null;
      try {
        const { payload } = await jwtVerify(token, verifier.key, {
          algorithms: [ALG],
          issuer,
          audience: expect.audience,
          currentDate: clock.now(),
          requiredClaims: ['sub', 'exp', 'store_id'],
        });
        if (typeof payload.store_id !== 'string' || typeof payload.sub !== 'string') return null;
        if (expect.storeId !== undefined && payload.store_id !== expect.storeId) return null;
        return {
          subject: payload.sub,
          storeId: payload.store_id,
          audience: expect.audience,
          expiresAt: new Date((payload.exp ?? 0) * 1000),
          claims: payload,
        };
      } catch (e) {
        if (e instanceof errors.JOSEError) return null;
        throw e;
      }
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
