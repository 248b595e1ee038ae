import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, type Tx } from '../../shared/db.ts';
import type { RateLimiter } from '../../shared/http/rate-limit.ts';
import { rateLimitHeaders } from '../../shared/http/rate-limit.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { PasswordHasher, Sessions } from '../sessions/index.ts';
import * as repo from './customers.repo.ts';
import {
  accountExistsEmail,
  type EmailMessage,
  normaliseEmail,
  PASSWORD_RESET_TTL_MS,
  passwordResetEmail,
  VERIFY_EMAIL_TTL_MS,
  verificationEmail,
} from './customers.rules.ts';
import type { CustomerRow, EmailTokenKind } from './customers.tables.ts';

/** The mail module's queue: the message is sent by the worker after the transaction commits. */
export interface EmailQueue {
  enqueue(tx: Tx, message: EmailMessage): Promise<unknown>;
}

/** The customer's order history, from the orders module. */
export interface CustomerOrders<T> {
  listForCustomer(args: {
    storeId: string;
    livemode: boolean;
    customerId: string;
    /** Guest orders with this email belong to the customer too (only once the email is verified). */
    verifiedEmail: string | null;
    beforeId: string | null;
    limit: number;
  }): Promise<T[]>;
  /** Count, spend and last order per currency, of the same orders. */
  totalsForCustomer(args: {
    storeId: string;
    livemode: boolean;
    customerId: string;
    verifiedEmail: string | null;
  }): Promise<CustomerOrderTotals[]>;
}

/** One currency's figures of a customer's orders. */
export interface CustomerOrderTotals {
  currency: string;
  count: number;
  spent: number;
  lastOrderId: string;
  lastOrderAt: Date;
}

export interface CustomersDeps<T> {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  sessions: Sessions;
  passwords: PasswordHasher;
  emails: EmailQueue;
  orders: CustomerOrders<T>;
  /** Sign-in attempts: per account (store + email) and per client address, stricter than the API limit. */
  signInLimits: { perAccount: RateLimiter; perAddress: RateLimiter };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const AUDIENCE = 'customer' as const;

const invalidEmailToken = () =>
  new AppError('EMAIL_TOKEN_INVALID', 'The link is invalid, already used or expired; ask for a new one.', {
    param: 'token',
  });
const gone = () => new AppError('CUSTOMER_NOT_FOUND', 'The signed-in customer no longer exists.');

export function createCustomersService<T>(deps: CustomersDeps<T>) {
  const { db, clock, ids, sessions, passwords, emails } = deps;

  async function emailToken(
    tx: Tx,
    c: Pick<CustomerRow, 'id' | 'storeId' | 'email'>,
    kind: EmailTokenKind,
  ): Promise<{ token: string; hash: string }> {
    const token = randomBytes(32).toString('base64url');
    const hash = sha256(token);
    const now = clock.now();
    await repo.insertEmailToken(tx, {
      tokenHash: hash,
      storeId: c.storeId,
      customerId: c.id,
      kind,
      email: c.email,
      expiresAt: new Date(
        now.getTime() + (kind === 'verify_email' ? VERIFY_EMAIL_TTL_MS : PASSWORD_RESET_TTL_MS),
      ),
      createdAt: now,
    });
    return { token, hash };
  }

  async function limit(limiter: RateLimiter, key: string) {
    const d = await limiter.take(key);
    if (d.wait > 0) {
      throw new AppError('RATE_LIMITED', `Too many sign-in attempts; retry in ${d.wait} s.`, {
        headers: { 'Retry-After': String(d.wait), ...rateLimitHeaders(limiter.policy, d) },
      });
    }
  }

  async function mustFind(storeId: string, id: string): Promise<CustomerRow> {
    const c = await repo.findById(db, storeId, id);
    if (!c) throw gone();
    return c;
  }

  return {
    /**
     * Creates the account and emails a verification link. An email that already has an account gets the
     * same answer (a customer object that is never stored) and that address is told by email instead.
     */
    async signUp(input: {
      storeId: string;
      email: string;
      password: string;
      name: string | null;
      linkBase: string;
    }): Promise<CustomerRow> {
      const email = normaliseEmail(input.email);
      // Hashed first, whatever happens next: both answers cost one scrypt.
      const passwordHash = await passwords.hash(input.password);
      const now = clock.now();
      const row = {
        id: ids('customer'),
        storeId: input.storeId,
        email,
        passwordHash,
        name: input.name,
        emailVerifiedAt: null,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      await inTransaction(db, async (tx) => {
        const created = await repo.insertCustomerOnce(tx, row);
        if (created) {
          const { token, hash } = await emailToken(tx, created, 'verify_email');
          await emails.enqueue(
            tx,
            verificationEmail({
              storeId: input.storeId,
              to: email,
              url: `${input.linkBase}/account/verify?token=${token}`,
              dedupeKey: `customer.verify_email:${hash.slice(0, 32)}`,
            }),
          );
          return;
        }
        const existing = await repo.findByEmail(tx, input.storeId, email);
        if (!existing) return;
        await emails.enqueue(
          tx,
          accountExistsEmail({
            storeId: input.storeId,
            to: email,
            url: `${input.linkBase}/account/reset`,
            // At most one such notice per account and day, however often someone tries.
            dedupeKey: `customer.account_exists:${existing.id}:${now.toISOString().slice(0, 10)}`,
          }),
        );
      });
      return row;
    },

    async signIn(input: { storeId: string; email: string; password: string; clientAddress: string }) {
      const email = normaliseEmail(input.email);
      await limit(deps.signInLimits.perAddress, `signin:addr:${input.clientAddress}`);
      await limit(deps.signInLimits.perAccount, `signin:acct:${input.storeId}:${email}`);
      const found = await repo.findByEmail(db, input.storeId, email);
      const ok = await passwords.verify(input.password, found?.passwordHash);
      if (!found || !ok) {
        throw new AppError('INVALID_CREDENTIALS', 'The email or password is wrong.');
      }
      let c = found;
      if (passwords.needsRehash(found.passwordHash)) {
        c =
          (await repo.updateCustomer(db, {
            storeId: c.storeId,
            id: c.id,
            set: { passwordHash: await passwords.hash(input.password) },
            now: clock.now(),
          })) ?? c;
      }
      const session = await sessions.start({ audience: AUDIENCE, subject: c.id, storeId: c.storeId });
      return { customer: c, session };
    },

    async refresh(input: { storeId: string; refreshToken: string }) {
      const { subject, session } = await sessions.refresh({
        audience: AUDIENCE,
        storeId: input.storeId,
        refreshToken: input.refreshToken,
      });
      const c = await repo.findById(db, input.storeId, subject);
      if (!c) {
        await sessions.revokeAll({ audience: AUDIENCE, storeId: input.storeId, subject });
        throw new AppError('REFRESH_TOKEN_INVALID', 'The account of this session no longer exists.', {
          param: 'refresh_token',
        });
      }
      return { customer: c, session };
    },

    revoke(input: { storeId: string; refreshToken: string; everywhere: boolean }) {
      return sessions.revoke({ audience: AUDIENCE, ...input });
    },

    /** The customer a `Customer-Token` names in this store, or a 401. No database round trip. */
    async authenticate(storeId: string, token: string | undefined): Promise<string> {
      if (!token) {
        throw new AppError('CUSTOMER_AUTH_REQUIRED', 'Send the access token as `Customer-Token: <jwt>`.', {
          param: 'Customer-Token',
        });
      }
      const claims = await sessions.verify(token, { audience: AUDIENCE, storeId });
      if (!claims) {
        throw new AppError(
          'CUSTOMER_TOKEN_INVALID',
          'The customer token is invalid or expired; refresh the session.',
          { param: 'Customer-Token' },
        );
      }
      return claims.subject;
    },

    me: mustFind,

    async updateMe(input: {
      storeId: string;
      customerId: string;
      name?: string | null;
      password?: { current: string; next: string };
      expectedVersion?: number;
    }): Promise<CustomerRow> {
      const c = await mustFind(input.storeId, input.customerId);
      const set: { name?: string | null; passwordHash?: string } = {};
      if (input.name !== undefined) set.name = input.name;
      if (input.password) {
        if (!(await passwords.verify(input.password.current, c.passwordHash))) {
          throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong.', {
            param: 'current_password',
          });
        }
        set.passwordHash = await passwords.hash(input.password.next);
      }
      const updated = await repo.updateCustomer(db, {
        storeId: input.storeId,
        id: c.id,
        set,
        now: clock.now(),
        expectedVersion: input.expectedVersion,
      });
      if (!updated) {
        const current = await mustFind(input.storeId, input.customerId);
        throw new AppError('VERSION_CONFLICT', 'The account changed meanwhile; read it again and retry.', {
          param: 'version',
          extra: { current_version: current.version },
        });
      }
      return updated;
    },

    async verifyEmail(input: { storeId: string; token: string }): Promise<CustomerRow> {
      if (!TOKEN_SHAPE.test(input.token)) throw invalidEmailToken();
      const now = clock.now();
      return inTransaction(db, async (tx) => {
        const used = await repo.useEmailToken(tx, {
          storeId: input.storeId,
          tokenHash: sha256(input.token),
          kind: 'verify_email',
          now,
        });
        if (!used) throw invalidEmailToken();
        const c = await repo.findById(tx, input.storeId, used.customerId);
        if (!c || c.email !== used.email) throw invalidEmailToken();
        if (c.emailVerifiedAt) return c;
        return (await repo.updateCustomer(tx, {
          storeId: c.storeId,
          id: c.id,
          set: { emailVerifiedAt: now },
          now,
        }))!;
      });
    },

    /** Emails a reset link when the account exists; the caller answers 202 either way. */
    async requestPasswordReset(input: {
      storeId: string;
      email: string;
      clientAddress: string;
      linkBase: string;
    }) {
      await limit(deps.signInLimits.perAddress, `reset:addr:${input.clientAddress}`);
      const email = normaliseEmail(input.email);
      const c = await repo.findByEmail(db, input.storeId, email);
      if (!c) return;
      await inTransaction(db, async (tx) => {
        const { token, hash } = await emailToken(tx, c, 'password_reset');
        await emails.enqueue(
          tx,
          passwordResetEmail({
            storeId: c.storeId,
            to: c.email,
            url: `${input.linkBase}/account/reset?token=${token}`,
            dedupeKey: `customer.password_reset:${hash.slice(0, 32)}`,
          }),
        );
      });
    },

    /** Sets the new password, voids the other reset links and ends every session of the account. */
    async confirmPasswordReset(input: { storeId: string; token: string; password: string }): Promise<void> {
      if (!TOKEN_SHAPE.test(input.token)) throw invalidEmailToken();
      const passwordHash = await passwords.hash(input.password);
      const now = clock.now();
      await inTransaction(db, async (tx) => {
        const used = await repo.useEmailToken(tx, {
          storeId: input.storeId,
          tokenHash: sha256(input.token),
          kind: 'password_reset',
          now,
        });
        if (!used) throw invalidEmailToken();
        const c = await repo.findById(tx, input.storeId, used.customerId);
        if (!c || c.email !== used.email) throw invalidEmailToken();
        // The link reached the inbox: that proves the address as well as a verification link would.
        await repo.updateCustomer(tx, {
          storeId: c.storeId,
          id: c.id,
          set: { passwordHash, emailVerifiedAt: c.emailVerifiedAt ?? now },
          now,
        });
        await repo.closeOpenTokens(tx, { customerId: c.id, kind: 'password_reset', now });
        await sessions.revokeAll({ audience: AUDIENCE, storeId: c.storeId, subject: c.id, write: tx });
      });
    },

    async listAddresses(input: { customerId: string; beforeId: string | null; limit: number }) {
      return repo.listAddresses(db, input);
    },

    async createAddress(input: { storeId: string; customerId: string; address: AddressInput }) {
      const now = clock.now();
      return repo.insertAddress(db, {
        id: ids('customerAddress'),
        storeId: input.storeId,
        customerId: input.customerId,
        ...addressColumns(input.address),
        country: input.address.country,
        createdAt: now,
        updatedAt: now,
      });
    },

    async updateAddress(input: { customerId: string; id: string; address: Partial<AddressInput> }) {
      const r = await repo.updateAddress(db, {
        customerId: input.customerId,
        id: input.id,
        set: { ...addressColumns(input.address), updatedAt: clock.now() },
      });
      if (!r) throw addressNotFound(input.id);
      return r;
    },

    async deleteAddress(input: { customerId: string; id: string }) {
      if (!(await repo.deleteAddress(db, input))) throw addressNotFound(input.id);
    },

    /** The customer's orders in the key's mode, plus guest orders with the same email once it is verified. */
    async orders(input: {
      storeId: string;
      livemode: boolean;
      customerId: string;
      beforeId: string | null;
      limit: number;
    }) {
      const c = await mustFind(input.storeId, input.customerId);
      return deps.orders.listForCustomer({
        ...input,
        verifiedEmail: c.emailVerifiedAt ? c.email : null,
      });
    },

    /** The staff list: newest first, searchable by email or name prefix, filtered by verification. */
    list(input: { storeId: string; q?: string; verified?: boolean; beforeId: string | null; limit: number }) {
      return repo.listCustomers(db, input);
    },

    /** A customer for staff: the account, its order figures (per currency) and its latest orders. */
    async detail(input: { storeId: string; livemode: boolean; customerId: string; recent: number }) {
      const c = await repo.findById(db, input.storeId, input.customerId);
      if (!c) {
        throw new AppError('CUSTOMER_NOT_FOUND', `No customer ${input.customerId}.`, { param: 'id' });
      }
      const mine = {
        storeId: input.storeId,
        livemode: input.livemode,
        customerId: c.id,
        verifiedEmail: c.emailVerifiedAt ? c.email : null,
      };
      const [totals, recent] = await Promise.all([
        deps.orders.totalsForCustomer(mine),
        deps.orders.listForCustomer({ ...mine, beforeId: null, limit: input.recent }),
      ]);
      return { customer: c, totals, recent: recent.slice(0, input.recent) };
    },
  };
}

export interface AddressInput {
  name?: string | null;
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  region?: string | null;
  postal_code?: string | null;
  country: string;
  phone?: string | null;
}

function addressColumns(a: Partial<AddressInput>) {
  const out: Record<string, string | null> = {};
  if (a.name !== undefined) out.name = a.name;
  if (a.line1 !== undefined) out.line1 = a.line1;
  if (a.line2 !== undefined) out.line2 = a.line2;
  if (a.city !== undefined) out.city = a.city;
  if (a.region !== undefined) out.region = a.region;
  if (a.postal_code !== undefined) out.postalCode = a.postal_code;
  if (a.country !== undefined) out.country = a.country;
  if (a.phone !== undefined) out.phone = a.phone;
  return out;
}

const addressNotFound = (id: string) =>
  new AppError('ADDRESS_NOT_FOUND', `No address ${id} in your account.`, { param: 'id' });

export type CustomersService<T = unknown> = ReturnType<typeof createCustomersService<T>>;
