import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, pgErrorCode, type Tx } from '../../shared/db.ts';
import type { AuthContext } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import * as repo from './staff.repo.ts';
import {
  acceptLink,
  INVITATION_TTL_MS,
  invitationEmail,
  normaliseEmail,
  OWNER_LINK_TTL_MS,
  removesLastOwner,
} from './staff.rules.ts';
import { STAFF_ROLES, type StaffRole, type StaffUserRow } from './staff.tables.ts';

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token is valid. */
  expiresIn: number;
}

/** The claims a staff access token carries besides its subject (the staff user id) and store. */
export interface StaffClaims {
  role: StaffRole;
  mode: 'test' | 'live';
}

/**
 * The session machinery staff sign-in needs (the sessions module, audience `staff`): passwords, signed access
 * tokens verified without the database, rotating refresh tokens stored hashed.
 */
export interface StaffSessions {
  hashPassword(password: string): Promise<string>;
  /** Costs the same whether or not there is a hash (unknown accounts are not revealed by timing). */
  verifyPassword(password: string, encoded: string | null): Promise<boolean>;
  issue(input: { storeId: string; subject: string; claims: StaffClaims }): Promise<SessionTokens>;
  verifyAccess(
    token: string,
  ): Promise<{ storeId: string; subject: string; claims: Record<string, unknown> } | null>;
  /** Rotates a refresh token; `claimsFor` re-reads the subject (null refuses: removed, disabled). */
  rotate(
    refreshToken: string,
    claimsFor: (subject: { storeId: string; subject: string }, tx: Executor) => Promise<StaffClaims | null>,
  ): Promise<SessionTokens | null>;
  revoke(refreshToken: string): Promise<void>;
  /** Ends every session of a subject (removal). */
  revokeSubject(storeId: string, subject: string): Promise<void>;
}

/** What sending an email needs: the mail module's `enqueueEmail`, in the caller's transaction. */
export type EnqueueEmail = (
  tx: Tx,
  message: {
    storeId: string;
    to: string;
    kind: string;
    dedupeKey: string;
    subject: string;
    text: string;
    html: string;
  },
) => Promise<unknown>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newLinkToken = () => `stinv_${randomBytes(32).toString('base64url')}`;

export function serializeStaff(u: StaffUserRow) {
  return {
    id: u.id,
    object: 'staff_user' as const,
    store_id: u.storeId,
    email: u.email,
    name: u.name,
    role: u.role,
    status: u.disabledAt ? ('removed' as const) : u.acceptedAt ? ('active' as const) : ('invited' as const),
    invited_by: u.invitedBy,
    accepted_at: u.acceptedAt?.toISOString() ?? null,
    version: u.version,
    created_at: u.createdAt.toISOString(),
  };
}

export function serializeTokens(t: SessionTokens, mode: 'test' | 'live') {
  return {
    object: 'staff_session' as const,
    access_token: t.accessToken,
    refresh_token: t.refreshToken,
    token_type: 'Bearer' as const,
    expires_in: t.expiresIn,
    mode,
  };
}

export function createStaffService(deps: {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  sessions: StaffSessions;
  stores: {
    getStore(id: string): Promise<{ id: string; name: string }>;
    getStoreCached(id: string): Promise<{ id: string; name: string }>;
  };
  enqueueEmail: EnqueueEmail;
  /** Where links in emails and on the terminal point (the API process serves `/admin`). */
  publicUrl: string;
}) {
  const { db, ids, clock, sessions } = deps;

  async function mustFind(storeId: string, id: string, executor: Executor = db): Promise<StaffUserRow> {
    const u = await repo.findStaffUser(executor, storeId, id);
    if (!u || u.disabledAt) throw new AppError('STAFF_NOT_FOUND', `No staff user ${id}.`, { param: 'id' });
    return u;
  }

  async function newLink(
    tx: Tx,
    u: StaffUserRow,
    ttlMs: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = newLinkToken();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    await repo.insertInvitation(tx, {
      id: ids('staffInvitation'),
      storeId: u.storeId,
      staffUserId: u.id,
      tokenHash: sha256(token),
      expiresAt,
      createdAt: now,
    });
    return { token, expiresAt };
  }

  /** A new staff user, or a removed one invited again (with a fresh password to set). */
  async function upsertInvited(
    tx: Tx,
    input: { storeId: string; email: string; role: StaffRole; name: string | null; invitedBy: string },
    reinviteActive: boolean,
  ): Promise<StaffUserRow> {
    const now = clock.now();
    const existing = await repo.findStaffByEmail(tx, input.storeId, input.email);
    if (existing && !existing.disabledAt && !reinviteActive) {
      throw new AppError('STAFF_EMAIL_TAKEN', `${input.email} is already a staff user of this store.`, {
        param: 'email',
      });
    }
    if (existing) {
      const revived = existing.disabledAt
        ? { disabledAt: null, role: input.role, name: input.name ?? existing.name }
        : { role: input.role };
      return (await repo.updateStaffUser(tx, input.storeId, existing.id, revived, now))!;
    }
    try {
      return await repo.insertStaffUser(tx, {
        id: ids('staffUser'),
        storeId: input.storeId,
        email: input.email,
        name: input.name,
        role: input.role,
        invitedBy: input.invitedBy,
        createdAt: now,
        updatedAt: now,
      });
    } catch (e) {
      if (pgErrorCode(e) === '23505') {
        throw new AppError('STAFF_EMAIL_TAKEN', `${input.email} is already a staff user of this store.`, {
          param: 'email',
        });
      }
      throw e;
    }
  }

  async function claimsOf(
    executor: Executor,
    storeId: string,
    id: string,
    mode: 'test' | 'live',
  ): Promise<StaffClaims | null> {
    const u = await repo.findStaffUser(executor, storeId, id);
    if (!u || u.disabledAt || !u.passwordHash) return null;
    return { role: u.role, mode };
  }

  return {
    /**
     * The first owner (CLI or root token): creates the owner, or makes an existing staff user an owner, and
     * returns a one-time set-password link. Running it again prints a new link; earlier links stay valid
     * until used or expired.
     */
    async createOwner(input: { storeId: string; email: string; by: string }) {
      await deps.stores.getStore(input.storeId);
      const email = normaliseEmail(input.email);
      return inTransaction(db, async (tx) => {
        const user = await upsertInvited(
          tx,
          { storeId: input.storeId, email, role: 'owner', name: null, invitedBy: input.by },
          true,
        );
        const { token, expiresAt } = await newLink(tx, user, OWNER_LINK_TTL_MS);
        return { user, link: acceptLink(deps.publicUrl, token), expiresAt };
      });
    },

    /** Invites by email: the staff user exists at once (status `invited`); the email carries the link. */
    async invite(auth: AuthContext, input: { email: string; role: StaffRole; name?: string | null }) {
      // From the store cache, which the mail module reads too while the transaction is open.
      const store = await deps.stores.getStoreCached(auth.storeId);
      const email = normaliseEmail(input.email);
      const invitedBy = auth.staff ? `staff:${auth.staff.id}` : `key:${auth.keyId}`;
      return inTransaction(db, async (tx) => {
        const user = await upsertInvited(
          tx,
          { storeId: auth.storeId, email, role: input.role, name: input.name ?? null, invitedBy },
          false,
        );
        const { token } = await newLink(tx, user, INVITATION_TTL_MS);
        const inviter = auth.staff ? (await repo.findStaffUser(tx, auth.storeId, auth.staff.id))?.name : null;
        const message = invitationEmail({
          storeName: store.name,
          link: acceptLink(deps.publicUrl, token),
          invitedBy: inviter ?? null,
        });
        await deps.enqueueEmail(tx, {
          storeId: auth.storeId,
          to: email,
          kind: 'staff_invitation',
          dedupeKey: `staff_invitation:${sha256(token).slice(0, 32)}`,
          ...message,
        });
        return user;
      });
    },

    /** Uses a link once: sets the password (and name), marks the user accepted and signs them in. */
    async accept(input: { token: string; password: string; name?: string | null; mode?: 'test' | 'live' }) {
      const passwordHash = await sessions.hashPassword(input.password);
      const now = clock.now();
      const user = await inTransaction(db, async (tx) => {
        const inv = await repo.consumeInvitation(tx, sha256(input.token), now);
        const u = inv ? await repo.findStaffUser(tx, inv.storeId, inv.staffUserId) : undefined;
        if (!u || u.disabledAt) {
          throw new AppError('STAFF_INVITATION_INVALID', 'The link is unknown, already used or expired.', {
            param: 'token',
          });
        }
        return (await repo.updateStaffUser(
          tx,
          u.storeId,
          u.id,
          { passwordHash, acceptedAt: u.acceptedAt ?? now, ...(input.name ? { name: input.name } : {}) },
          now,
        ))!;
      });
      const mode = input.mode ?? 'test';
      const tokens = await sessions.issue({
        storeId: user.storeId,
        subject: user.id,
        claims: { role: user.role, mode },
      });
      return { user, tokens, mode };
    },

    async signIn(input: { storeId: string; email: string; password: string; mode?: 'test' | 'live' }) {
      const u = await repo.findStaffByEmail(db, input.storeId, normaliseEmail(input.email));
      const active = u && !u.disabledAt ? u : undefined;
      const ok = await sessions.verifyPassword(input.password, active?.passwordHash ?? null);
      if (!ok || !active) {
        throw new AppError('INVALID_CREDENTIALS', 'The email or password is wrong.');
      }
      const mode = input.mode ?? 'test';
      const tokens = await sessions.issue({
        storeId: active.storeId,
        subject: active.id,
        claims: { role: active.role, mode },
      });
      return { user: active, tokens, mode };
    },

    /** A new access token (with the role as it is now) for a refresh token, which is rotated. */
    async refresh(input: { refreshToken: string; mode?: 'test' | 'live' }) {
      const mode = input.mode ?? 'test';
      const tokens = await sessions.rotate(input.refreshToken, (s, tx) =>
        claimsOf(tx, s.storeId, s.subject, mode),
      );
      if (!tokens)
        throw new AppError('INVALID_STAFF_TOKEN', 'The refresh token is invalid, used or expired.');
      return { tokens, mode };
    },

    revoke: (refreshToken: string) => sessions.revoke(refreshToken),

    /** The request's identity from a staff access token, without the database. */
    async verifyAccessToken(token: string): Promise<AuthContext | null> {
      const v = await sessions.verifyAccess(token);
      if (!v) return null;
      const role = v.claims.role;
      const mode = v.claims.mode;
      if (!STAFF_ROLES.includes(role as StaffRole) || (mode !== 'test' && mode !== 'live')) return null;
      return {
        storeId: v.storeId,
        keyId: v.subject,
        kind: 'secret',
        mode,
        staff: { id: v.subject, role: role as StaffRole },
      };
    },

    me: (auth: AuthContext) => {
      if (!auth.staff) {
        throw new AppError('STAFF_TOKEN_REQUIRED', 'Sign in as a staff user: this route is about you.');
      }
      return mustFind(auth.storeId, auth.staff.id);
    },

    list: (storeId: string) => repo.listStaff(db, storeId),

    get: (storeId: string, id: string) => mustFind(storeId, id),

    async update(
      storeId: string,
      id: string,
      patch: { role?: StaffRole; name?: string | null },
      version?: number,
    ) {
      const now = clock.now();
      return inTransaction(db, async (tx) => {
        const u = await mustFind(storeId, id, tx);
        if (version !== undefined && version !== u.version) {
          throw new AppError('VERSION_CONFLICT', 'The staff user changed meanwhile.', {
            extra: { current_version: u.version },
          });
        }
        if (patch.role && removesLastOwner(u.role, patch.role, await repo.lockOtherOwners(tx, storeId, id))) {
          throw new AppError('STAFF_LAST_OWNER', 'The store must keep at least one owner.', {
            param: 'role',
          });
        }
        return (await repo.updateStaffUser(tx, storeId, id, patch, now))!;
      });
    },

    /** Removes a staff user: signs them out everywhere; their access tokens lapse within minutes. */
    async remove(storeId: string, id: string) {
      const now = clock.now();
      const removed = await inTransaction(db, async (tx) => {
        const u = await mustFind(storeId, id, tx);
        if (removesLastOwner(u.role, 'deleted', await repo.lockOtherOwners(tx, storeId, id))) {
          throw new AppError('STAFF_LAST_OWNER', 'The store must keep at least one owner.');
        }
        return (await repo.updateStaffUser(tx, storeId, id, { disabledAt: now }, now))!;
      });
      await sessions.revokeSubject(storeId, id);
      return removed;
    },
  };
}

export type StaffService = ReturnType<typeof createStaffService>;
