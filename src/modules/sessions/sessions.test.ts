import { sql } from 'drizzle-orm';
import { decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { DB_KIND, freshDatabase } from '../../../test/support/harness.ts';
import { AppError } from '../../shared/app-error.ts';
import { fixedClock, systemClock } from '../../shared/clock.ts';
import { inTransaction } from '../../shared/db.ts';
import {
  createKeyRing,
  createPasswordHasher,
  createSessions,
  hashPassword,
  verifyPassword,
} from './index.ts';

const database = await freshDatabase();
afterAll(() => database.close());
const db = database.db;

async function storeId(): Promise<string> {
  const id = `store_${Math.random().toString(36).slice(2, 12).padEnd(26, '0')}`;
  await db.execute(sql`insert into store (id, name, currency) values (${id}, 'S', 'USD')`);
  return id;
}

const sessionsOn = (keys = createKeyRing({ db, clock: systemClock, accessTtlSeconds: 900 })) =>
  createSessions({
    db,
    clock: systemClock,
    keys,
    issuer: 'crowdstart',
    accessTtlSeconds: 900,
    refreshTtlSeconds: 3600,
  });

describe('passwords', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format and verifies with the stored parameters', async () => {
    const encoded = await hashPassword('hunter22!', { N: 1024, r: 8, p: 1 });
    expect(encoded).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword('hunter22!', encoded)).toBe(true);
    expect(await verifyPassword('hunter22?', encoded)).toBe(false);
    expect(await verifyPassword('hunter22!', 'scrypt$1024$8$1$bad')).toBe(false);
    // Two hashes of one password differ (salt).
    expect(await hashPassword('hunter22!', { N: 1024, r: 8, p: 1 })).not.toBe(encoded);
    const stronger = createPasswordHasher({ N: 2048, r: 8, p: 1 });
    expect(stronger.needsRehash(encoded)).toBe(true);
    expect(stronger.needsRehash(await stronger.hash('x'))).toBe(false);
    // An unknown account: compared against a dummy hash, never a match.
    expect(await stronger.verify('anything', undefined)).toBe(false);
  });
});

describe(`sessions (${DB_KIND})`, () => {
  it('processes racing to create the first key agree on one active key per audience', async () => {
    const rings = Array.from({ length: 4 }, () =>
      createKeyRing({ db, clock: systemClock, accessTtlSeconds: 900 }),
    );
    const kids = await Promise.all(rings.map((r) => r.signer('race').then((s) => s.kid)));
    expect(new Set(kids).size).toBe(1);
    const res = (await db.execute(
      sql`select count(*)::int as n from signing_key where audience = 'race' and retired_at is null`,
    )) as unknown as { rows: { n: number }[] };
    expect(res.rows[0]!.n).toBe(1);
  });

  it('rotation keeps the retired key verifiable and published until its tokens expire', async () => {
    const clock = fixedClock(new Date());
    const keys = createKeyRing({ db, clock, accessTtlSeconds: 900, signerCacheMs: 0 });
    const s = createSessions({
      db,
      clock,
      keys,
      issuer: 'crowdstart',
      accessTtlSeconds: 900,
      refreshTtlSeconds: 3600,
    });
    const store = await storeId();
    const before = await s.start({ audience: 'staff', subject: 'u1', storeId: store });
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const kid = await keys.rotate('staff');
    expect(kid).not.toBe(oldKid);
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, kid]));
    expect(await s.verify(before.access_token, { audience: 'staff', storeId: store })).toMatchObject({
      subject: 'u1',
    });
    // Long after its tokens expired, the retired key is no longer published, and the token is refused.
    clock.advance(3600 * 1000);
    const published = (await keys.jwks()).keys.map((k) => k.kid);
    expect(published).not.toContain(oldKid);
    expect(published).toContain(kid);
    expect(await s.verify(before.access_token, { audience: 'staff', storeId: store })).toBeNull();
  });

  it('two concurrent refreshes of one token: one wins, the other is refused and ends the family', async () => {
    const s = sessionsOn();
    const store = await storeId();
    const first = await s.start({ audience: 'customer', subject: 'cus_x', storeId: store });
    const outcomes = await Promise.allSettled([
      s.refresh({ audience: 'customer', storeId: store, refreshToken: first.refresh_token }),
      s.refresh({ audience: 'customer', storeId: store, refreshToken: first.refresh_token }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(AppError);
    expect((refused.reason as AppError).code).toBe('REFRESH_TOKEN_INVALID');
    const live = (await db.execute(
      sql`select count(*)::int as n from refresh_token where store_id = ${store} and revoked_at is null and rotated_at is null`,
    )) as unknown as { rows: { n: number }[] };
    expect(live.rows[0]!.n).toBe(0);
  });

  it('revokeAll inside a transaction rolls back with it', async () => {
    const s = sessionsOn();
    const store = await storeId();
    const one = await s.start({ audience: 'customer', subject: 'cus_y', storeId: store });
    await expect(
      inTransaction(db, async (tx) => {
        await s.revokeAll({ audience: 'customer', storeId: store, subject: 'cus_y', write: tx });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const next = await s.refresh({ audience: 'customer', storeId: store, refreshToken: one.refresh_token });
    expect(next.subject).toBe('cus_y');
  });
});
