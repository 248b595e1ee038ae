import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../shared/app-error.ts';
import { type Clock, systemClock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { AuthContext } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import { currencySchema } from '../../shared/money.ts';
import { createKeyCache } from './stores.keys.ts';
import * as repo from './stores.repo.ts';
import type { StoreSettings } from './stores.tables.ts';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomKeyBody(length = 32): string {
  // 248 is the largest multiple of 62 below 256: rejection sampling keeps the alphabet unbiased.
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function serializeStore(s: repo.StoreRow) {
  const { stripe, ...settings } = s.settings;
  return {
    id: s.id,
    object: 'store' as const,
    name: s.name,
    currency: s.currency,
    // Stripe secrets never leave the server: only whether each mode is configured.
    settings: {
      ...settings,
      ...(stripe
        ? { stripe: { test: { configured: !!stripe.test }, live: { configured: !!stripe.live } } }
        : {}),
    },
    created_at: s.createdAt.toISOString(),
  };
}

export function serializeKey(k: repo.ApiKeyRow, plaintext?: string) {
  return {
    id: k.id,
    object: 'api_key' as const,
    store_id: k.storeId,
    kind: k.kind,
    mode: k.mode,
    name: k.name,
    hint: k.hint,
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt ? k.revokedAt.toISOString() : null,
    ...(plaintext ? { key: plaintext } : {}),
  };
}

export function createStoresService(deps: {
  db: Executor;
  ids: IdGenerator;
  clock?: Clock;
  logger?: Logger;
  /** Shares revocations instantly between processes when set. */
  redis?: Redis | null;
  /** How often to poll for revoked keys (without Redis; a safety net with it). */
  revocationPollMs?: number;
}) {
  const { db, ids } = deps;
  // Keys resolve from memory; a revoked key stops working within about a second on every process.
  const keys = createKeyCache({
    db,
    clock: deps.clock ?? systemClock,
    logger: deps.logger ?? silentLogger,
    redis: deps.redis ?? null,
    pollMs: deps.revocationPollMs ?? 250,
    lookup: async (key) => {
      const row = await repo.findActiveKeyByHash(db, hashKey(key));
      return row ? { storeId: row.storeId, keyId: row.id, kind: row.kind, mode: row.mode } : null;
    },
  });
  // Hot paths (carts, checkout) read store settings on every call; a few seconds of staleness is fine.
  const storeCache = new LRUCache<string, repo.StoreRow>({ max: 10_000, ttl: 5_000 });

  return {
    async createStore(input: { name: string; currency: string; settings?: StoreSettings }) {
      // The route's schema checks this too; callers outside HTTP (the CLI, the seed) meet the same rule.
      const currency = currencySchema.safeParse(input.currency);
      if (!currency.success) {
        throw new AppError('VALIDATION_FAILED', `currency: ${currency.error.issues[0]!.message}`, {
          param: 'currency',
        });
      }
      return repo.insertStore(db, {
        id: ids('store'),
        name: input.name,
        currency: input.currency,
        // Every store gets its own test gateway webhook secret: there is no shared default to guess.
        settings: { test_gateway: { webhook_secret: newWebhookSecret() }, ...input.settings },
      });
    },

    /** The store; `executor` reads it in the caller's transaction (on PGlite, `db` would wait for that transaction). */
    async getStore(id: string, executor: Executor = db) {
      const s = await repo.findStore(executor, id);
      if (!s) throw new AppError('STORE_NOT_FOUND', `No store ${id}.`, { param: 'store_id' });
      return s;
    },

    /** The store from memory, at most a few seconds old (this process's own updates show at once). */
    async getStoreCached(id: string, executor: Executor = db) {
      const cached = storeCache.get(id);
      if (cached) return cached;
      const s = await this.getStore(id, executor);
      storeCache.set(id, s);
      return s;
    },

    listStores: () => repo.listStores(db),

    async updateStore(id: string, patch: { name?: string; settings?: Partial<StoreSettings> }) {
      const current = await this.getStore(id);
      const settings = patch.settings
        ? {
            ...current.settings,
            ...patch.settings,
            // Setting one mode's Stripe credentials keeps the other's.
            ...(patch.settings.stripe
              ? { stripe: { ...current.settings.stripe, ...patch.settings.stripe } }
              : {}),
          }
        : undefined;
      const s = await repo.updateStore(db, id, { name: patch.name, settings });
      if (!s) throw new AppError('STORE_NOT_FOUND', `No store ${id}.`);
      storeCache.delete(id);
      return s;
    },

    /** Creates a key and returns it in plain text: the only time it is ever shown. */
    async createKey(input: {
      storeId: string;
      kind: 'publishable' | 'secret';
      mode: 'test' | 'live';
      name?: string;
    }) {
      await this.getStore(input.storeId);
      const plaintext = `${input.kind === 'publishable' ? 'pk' : 'sk'}_${input.mode}_${randomKeyBody()}`;
      const row = await repo.insertApiKey(db, {
        id: ids('apiKey'),
        storeId: input.storeId,
        kind: input.kind,
        mode: input.mode,
        name: input.name ?? null,
        hint: `${plaintext.slice(0, 12)}…`,
        hash: hashKey(plaintext),
      });
      return { row, plaintext };
    },

    async listKeys(storeId: string) {
      await this.getStore(storeId);
      return repo.listApiKeys(db, storeId);
    },

    async revokeKey(storeId: string, keyId: string) {
      const row = await repo.revokeApiKey(db, storeId, keyId);
      if (!row)
        throw new AppError('API_KEY_NOT_FOUND', `No key ${keyId} in store ${storeId}.`, { param: 'key_id' });
      keys.revoked(row.id);
      return row;
    },

    /** The cached answer for a key, without touching the database: undefined when not cached (or due). */
    peekKey(key: string): AuthContext | null | undefined {
      return keys.peek(key);
    },

    /** The key's store and kind; from memory when known, the last known answer while the database is down. */
    resolveKey(key: string): Promise<AuthContext | null> {
      return keys.resolve(key);
    },

    /** Polls for keys revoked by other processes once, now. */
    pollRevocations: () => keys.poll(),
    /** Starts listening for revocations (Redis) and polling for them. */
    start: () => keys.start(),
    stop: () => keys.stop(),
  };
}

export type StoresService = ReturnType<typeof createStoresService>;
