import { AppError } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/db.ts';
import type { SessionTokens, StaffClaims, StaffSessions } from './staff.service.ts';

/** The parts of the sessions module staff sign-in uses (its `Sessions` and `PasswordHasher` fit these shapes). */
interface SessionPairLike {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}
export interface SessionsLike {
  start(args: {
    audience: 'staff';
    subject: string;
    storeId: string;
    claims?: Record<string, unknown>;
  }): Promise<SessionPairLike>;
  refresh(args: {
    audience: 'staff';
    storeId: string;
    refreshToken: string;
    claims?: (subject: string, tx: Executor) => Promise<Record<string, unknown> | null>;
  }): Promise<{ subject: string; session: SessionPairLike }>;
  revoke(args: {
    audience: 'staff';
    storeId: string;
    refreshToken: string;
    everywhere: boolean;
  }): Promise<unknown>;
  revokeAll(args: { audience: 'staff'; storeId: string; subject: string }): Promise<unknown>;
  verify(
    token: string,
    expect: { audience: 'staff'; storeId?: string },
  ): Promise<{ subject: string; storeId: string; claims?: Record<string, unknown> } | null>;
}
export interface PasswordHasherLike {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string | null | undefined): Promise<boolean>;
}

const tokens = (p: SessionPairLike): SessionTokens => ({
  accessToken: p.access_token,
  refreshToken: p.refresh_token,
  expiresIn: p.expires_in,
});

/**
 * Staff sessions on the shared session machinery, audience `staff`: the access token carries the role and
 * the mode as claims; refresh tokens are bound to the store, which a staff refresh token names itself
 * (`<store id>.<token>`), so the client keeps one opaque string.
 */
export function staffSessionsFrom(sessions: SessionsLike, passwords: PasswordHasherLike): StaffSessions {
  const split = (token: string) => {
    const dot = token.indexOf('.');
    return dot > 0 ? { storeId: token.slice(0, dot), refreshToken: token.slice(dot + 1) } : null;
  };
  const join = (storeId: string, p: SessionPairLike): SessionTokens => ({
    ...tokens(p),
    refreshToken: `${storeId}.${p.refresh_token}`,
  });
  return {
    hashPassword: (password) => passwords.hash(password),
    verifyPassword: (password, encoded) => passwords.verify(password, encoded),
    async issue(input) {
      const p = await sessions.start({
        audience: 'staff',
        subject: input.subject,
        storeId: input.storeId,
        claims: { ...input.claims },
      });
      return join(input.storeId, p);
    },
    async verifyAccess(token) {
      const v = await sessions.verify(token, { audience: 'staff' });
      return v ? { storeId: v.storeId, subject: v.subject, claims: v.claims ?? {} } : null;
    },
    async rotate(refreshToken, claimsFor) {
      const parts = split(refreshToken);
      if (!parts) return null;
      try {
        const r = await sessions.refresh({
          audience: 'staff',
          storeId: parts.storeId,
          refreshToken: parts.refreshToken,
          claims: async (subject, tx) => {
            const c: StaffClaims | null = await claimsFor({ storeId: parts.storeId, subject }, tx);
            return c ? { ...c } : null;
          },
        });
        return join(parts.storeId, r.session);
      } catch (e) {
        if (e instanceof AppError && e.code === 'REFRESH_TOKEN_INVALID') return null;
        throw e;
      }
    },
    async revoke(refreshToken) {
      const parts = split(refreshToken);
      if (parts) await sessions.revoke({ audience: 'staff', ...parts, everywhere: false });
    },
    async revokeSubject(storeId, subject) {
      await sessions.revokeAll({ audience: 'staff', storeId, subject });
    },
  };
}
