import { AsyncResource } from 'node:async_hooks';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, pgErrorCode, type Tx } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import * as repo from './pricing.repo.ts';
import type { Coupon, ShippingRate, TaxRate } from './pricing.rules.ts';
import type { WeightBand } from './pricing.tables.ts';

export interface PricingContext {
  coupon: Coupon | null;
  taxRates: TaxRate[];
  shippingRates: ShippingRate[];
}

// Rates change rarely and are read on every cart call: a few seconds of staleness on other processes
// is fine, and this process drops its entry on every admin write. Past RATES_FRESH_MS an entry is still
// answered (up to RATES_STALE_MS) while one refresh per store runs in the background, outside the request:
// no cart or checkout request waits for the rates once they are warm, nor sends their statements.
const RATES_FRESH_MS = 3_000;
const RATES_STALE_MS = 15_000;

interface Rates {
  taxRates: TaxRate[];
  shippingRates: ShippingRate[];
}

export interface RatesCache {
  /** The store's rates: fresh from memory, stale from memory while a refresh runs, else loaded now. */
  read(storeId: string, load: () => Promise<Rates>): Promise<Rates>;
  /** Drops the store's entry (an admin write): the next read loads, and a refresh in flight is not kept. */
  delete(storeId: string): void;
}

/** One per app (built by createPricingModule): the cart and checkout read through it, admin writes drop it. */
export function createRatesCache(opts: { now?: () => number } = {}): RatesCache {
  const now = opts.now ?? (() => performance.now());
  const entries = new LRUCache<string, { rates: Rates; loadedAt: number }>({
    max: 10_000,
    ttl: RATES_STALE_MS,
  });
  const refreshing = new Set<string>();
  /** Bumped by every delete: a load that started before it does not store what it read. */
  let generation = 0;
  // Made with the cache, outside any request: background refreshes run in this context, not the request's.
  const background = new AsyncResource('pricing.rates-refresh');

  async function loadAndStore(storeId: string, load: () => Promise<Rates>): Promise<Rates> {
    const started = generation;
    const loadedAt = now();
    const rates = await load();
    if (generation === started) entries.set(storeId, { rates, loadedAt });
    return rates;
  }

  return {
    async read(storeId, load) {
      const e = entries.get(storeId);
      if (!e) return loadAndStore(storeId, load);
      if (now() - e.loadedAt >= RATES_FRESH_MS && !refreshing.has(storeId)) {
        refreshing.add(storeId);
        background.runInAsyncScope(() => {
          loadAndStore(storeId, load)
            .catch(() => undefined) // the next read past the stale limit loads inline and reports it
            .finally(() => refreshing.delete(storeId));
        });
      }
      return e.rates;
    },
    delete(storeId) {
      generation++;
      entries.delete(storeId);
    },
  };
}

/**
 * What pricing a cart of the store needs from the database. The coupon is read fresh (its usage
 * count matters); tax and shipping rates come from the app's short in-memory cache when one is given
 * (the pricing module's `loadPricingContext` passes it, with its own database handle for the refresh),
 * else from the database. An unknown coupon code gives `coupon: null`.
 */
export async function loadPricingContext(
  db: Executor,
  args: { storeId: string; couponCode: string | null },
  ratesCache?: { cache: RatesCache; db: Executor },
): Promise<PricingContext> {
  const couponRow = args.couponCode
    ? await repo.findCouponByCode(db, args.storeId, args.couponCode)
    : undefined;
  const load = async (from: Executor): Promise<Rates> => {
    const taxRates = (await repo.allTaxRates(from, args.storeId)).map(repo.toTaxRate);
    const shippingRates = (await repo.allShippingRates(from, args.storeId)).map(repo.toShippingRate);
    return { taxRates, shippingRates };
  };
  const rates = ratesCache
    ? await ratesCache.cache.read(args.storeId, () => load(ratesCache.db))
    : await load(db);
  return { coupon: couponRow ? repo.toCoupon(couponRow) : null, ...rates };
}

/**
 * Takes one use of a coupon for an order, inside the caller's transaction. Exactly once per order
 * (a second call for the same order is a no-op) and never past the usage limit under concurrency.
 */
export async function redeemCoupon(
  tx: Tx,
  args: { storeId: string; couponId: string; orderId: string },
): Promise<void> {
  const redeemed = await repo.redeemOnce(tx, args);
  if (redeemed.alreadyRedeemed || redeemed.recorded) return;
  if (redeemed.counted) {
    // A concurrent call for the same order recorded it first: give back the use this call took.
    await repo.decrementCouponUse(tx, args.couponId);
    return;
  }
  throw await couponRefusal(tx, args);
}

/**
 * The writes that redeem a coupon for an order created in the same statement's transaction (see
 * `redemptionOfNewOrder`); the caller adds them to its own `writeTogether` and reads `taken` back.
 */
export function couponRedemptionWrites(args: { storeId: string; couponId: string; orderId: string }) {
  return repo.redemptionOfNewOrder(args);
}

/** Why a coupon's use could not be taken (read after the refused update): gone, inactive or used up. */
export async function couponRefusal(tx: Tx, args: { storeId: string; couponId: string }): Promise<AppError> {
  const row = await repo.findCoupon(tx, args.storeId, args.couponId);
  if (!row)
    return new AppError('COUPON_NOT_FOUND', `No coupon ${args.couponId} in the store.`, { param: 'coupon' });
  if (!row.active)
    return new AppError('COUPON_NOT_APPLICABLE', `Coupon ${row.code} is not active.`, { param: 'coupon' });
  return new AppError('COUPON_EXHAUSTED', `Coupon ${row.code} has reached its usage limit.`, {
    param: 'coupon',
  });
}

/** Gives back the use an order took (cancelled or failed order). Idempotent. */
export async function releaseCouponRedemption(
  tx: Tx,
  args: { couponId: string; orderId: string },
): Promise<void> {
  if (await repo.deleteRedemption(tx, args.couponId, args.orderId)) {
    await repo.decrementCouponUse(tx, args.couponId);
  }
}

// ---- admin

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeCoupon(r: repo.CouponRow) {
  return {
    id: r.id,
    object: 'coupon' as const,
    code: r.code,
    kind: r.kind,
    value: r.value,
    min_subtotal: r.minSubtotal,
    starts_at: iso(r.startsAt),
    ends_at: iso(r.endsAt),
    usage_limit: r.usageLimit,
    used_count: r.usedCount,
    active: r.active,
    version: r.version,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export function serializeTaxRate(r: repo.TaxRateRow) {
  return {
    id: r.id,
    object: 'tax_rate' as const,
    country: r.country,
    region: r.region,
    rate: r.rate,
    name: r.name,
    applies_to_shipping: r.appliesToShipping,
    version: r.version,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export function serializeShippingRate(r: repo.ShippingRateRow) {
  return {
    id: r.id,
    object: 'shipping_rate' as const,
    name: r.name,
    countries: r.countries,
    kind: r.kind,
    amount: r.amount,
    weight_bands: r.weightBands.map((b) => ({ up_to_grams: b.upToGrams, amount: b.amount })),
    free_above: r.freeAbove,
    version: r.version,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export interface CouponInput {
  code: string;
  kind: Coupon['kind'];
  value: number;
  minSubtotal: number;
  startsAt: Date | null;
  endsAt: Date | null;
  usageLimit: number | null;
  active: boolean;
}
export interface TaxRateInput {
  country: string;
  region: string | null;
  rate: number;
  name: string;
  appliesToShipping: boolean;
}
export interface ShippingRateInput {
  name: string;
  countries: string[];
  kind: ShippingRate['kind'];
  amount: number;
  weightBands: WeightBand[];
  freeAbove: number | null;
}

const invalid = (param: string, message: string) => new AppError('VALIDATION_FAILED', message, { param });

function checkCoupon(c: CouponInput): void {
  if (c.kind === 'percent' && (c.value < 1 || c.value > 100)) {
    throw invalid('value', 'value: a percent coupon takes a value from 1 to 100.');
  }
  if (c.kind === 'fixed' && c.value < 1)
    throw invalid('value', 'value: a fixed coupon takes a positive amount in minor units.');
  if (c.kind === 'free_shipping' && c.value !== 0)
    throw invalid('value', 'value: a free_shipping coupon takes value 0.');
  if (c.startsAt && c.endsAt && c.endsAt.getTime() <= c.startsAt.getTime()) {
    throw invalid('ends_at', 'ends_at: must be after starts_at.');
  }
}

function normalizeShipping(s: ShippingRateInput): ShippingRateInput {
  const countries = [...new Set(s.countries.map((c) => c.toUpperCase()))];
  if (countries.includes('*') && countries.length > 1) {
    throw invalid('countries', "countries: '*' (rest of world) stands alone.");
  }
  const weightBands = [...s.weightBands].sort((a, b) => a.upToGrams - b.upToGrams);
  if (weightBands.some((b, i) => i > 0 && b.upToGrams === weightBands[i - 1]!.upToGrams)) {
    throw invalid('weight_bands', 'weight_bands: two bands have the same up_to_grams.');
  }
  if (s.kind === 'weight' && weightBands.length === 0) {
    throw invalid('weight_bands', 'weight_bands: a weight rate needs at least one band.');
  }
  return { ...s, countries, weightBands };
}

const normalizeTax = (t: TaxRateInput): TaxRateInput => ({
  ...t,
  country: t.country.toUpperCase(),
  region: t.region ? t.region.toUpperCase() : null,
});

async function uniqueOr<T>(p: Promise<T>, error: () => AppError): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (pgErrorCode(e) === '23505') throw error();
    throw e;
  }
}

const codeTaken = (code: string) =>
  new AppError('COUPON_CODE_TAKEN', `Another coupon of the store already uses the code ${code}.`, {
    param: 'code',
  });
const taxExists = () =>
  new AppError('TAX_RATE_EXISTS', 'The store already has a tax rate for this country and region.', {
    param: 'region',
  });
const couponNotFound = (id: string) =>
  new AppError('COUPON_NOT_FOUND', `No coupon ${id} in the store.`, { param: 'id' });
const taxNotFound = (id: string) =>
  new AppError('TAX_RATE_NOT_FOUND', `No tax rate ${id} in the store.`, { param: 'id' });
const shippingNotFound = (id: string) =>
  new AppError('SHIPPING_RATE_NOT_FOUND', `No shipping rate ${id} in the store.`, { param: 'id' });
const conflict = (version: number) =>
  new AppError('VERSION_CONFLICT', `The resource is no longer at version ${version}; re-read it and retry.`, {
    param: 'version',
  });

/**
 * Optimistic update: read, merge, check, write only if nobody wrote in between.
 * `expected` is the version the client saw (body `version` or `If-Match`), if it sent one.
 */
async function patchRow<Row extends { version: number }, Input>(
  db: Executor,
  args: {
    find: (tx: Executor) => Promise<Row | undefined>;
    notFound: () => AppError;
    expected: number | undefined;
    merge: (row: Row) => Input;
    write: (tx: Executor, version: number, merged: Input) => Promise<Row | undefined>;
  },
): Promise<Row> {
  return inTransaction(db, async (tx) => {
    const current = await args.find(tx);
    if (!current) throw args.notFound();
    if (args.expected !== undefined && args.expected !== current.version) throw conflict(args.expected);
    const written = await args.write(tx, current.version, args.merge(current));
    if (!written) throw conflict(current.version);
    return written;
  });
}

type Patch<T> = Partial<T> & { expectedVersion?: number };

/** Drops keys the client did not send, so a merge never overwrites a field with undefined. */
function sent<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createPricingService(deps: {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  rates: RatesCache;
}) {
  const { db, ids, rates } = deps;
  const invalidateRates = (storeId: string) => rates.delete(storeId);
  const page = (limit: number, before: string | null): repo.Page => ({ limit, before });

  return {
    loadPricingContext: (args: { storeId: string; couponCode: string | null }) =>
      loadPricingContext(db, args, { cache: rates, db }),
    redeemCoupon,
    releaseCouponRedemption,

    // coupons
    async createCoupon(storeId: string, input: CouponInput) {
      checkCoupon(input);
      return uniqueOr(repo.insertCoupon(db, { id: ids('coupon'), storeId, ...input }), () =>
        codeTaken(input.code),
      );
    },
    listCoupons: (storeId: string, p: { limit: number; before: string | null }) =>
      repo.listCoupons(db, storeId, page(p.limit, p.before)),
    async getCoupon(storeId: string, id: string) {
      const r = await repo.findCoupon(db, storeId, id);
      if (!r) throw couponNotFound(id);
      return r;
    },
    async getCouponByCode(storeId: string, code: string) {
      const r = await repo.findCouponByCode(db, storeId, code);
      if (!r)
        throw new AppError('COUPON_NOT_FOUND', `No coupon with code ${code} in the store.`, {
          param: 'code',
        });
      return r;
    },
    async updateCoupon(storeId: string, id: string, patch: Patch<CouponInput>) {
      const { expectedVersion, ...rest } = patch;
      const fields = sent(rest);
      return uniqueOr(
        patchRow(db, {
          find: (tx) => repo.findCoupon(tx, storeId, id),
          notFound: () => couponNotFound(id),
          expected: expectedVersion,
          merge: (row) => {
            const merged: CouponInput = { ...repo.toCoupon(row), ...fields };
            checkCoupon(merged);
            return merged;
          },
          write: (tx, version) => repo.updateCoupon(tx, { storeId, id, version }, fields),
        }),
        () => codeTaken(fields.code ?? ''),
      );
    },
    async deleteCoupon(storeId: string, id: string) {
      if (!(await repo.deleteCoupon(db, storeId, id))) throw couponNotFound(id);
    },

    // tax rates
    async createTaxRate(storeId: string, input: TaxRateInput) {
      const row = await uniqueOr(
        repo.insertTaxRate(db, { id: ids('taxRate'), storeId, ...normalizeTax(input) }),
        taxExists,
      );
      invalidateRates(storeId);
      return row;
    },
    listTaxRates: (storeId: string, p: { limit: number; before: string | null; country?: string }) =>
      repo.listTaxRates(db, storeId, { ...page(p.limit, p.before), country: p.country?.toUpperCase() }),
    async getTaxRate(storeId: string, id: string) {
      const r = await repo.findTaxRate(db, storeId, id);
      if (!r) throw taxNotFound(id);
      return r;
    },
    async updateTaxRate(storeId: string, id: string, patch: Patch<TaxRateInput>) {
      const { expectedVersion, ...rest } = patch;
      const fields = sent(rest);
      const row = await uniqueOr(
        patchRow(db, {
          find: (tx) => repo.findTaxRate(tx, storeId, id),
          notFound: () => taxNotFound(id),
          expected: expectedVersion,
          merge: (row) => normalizeTax({ ...repo.toTaxRate(row), ...fields }),
          write: (tx, version, merged) => repo.updateTaxRate(tx, { storeId, id, version }, merged),
        }),
        taxExists,
      );
      invalidateRates(storeId);
      return row;
    },
    async deleteTaxRate(storeId: string, id: string) {
      if (!(await repo.deleteTaxRate(db, storeId, id))) throw taxNotFound(id);
      invalidateRates(storeId);
    },

    // shipping rates
    async createShippingRate(storeId: string, input: ShippingRateInput) {
      const row = await repo.insertShippingRate(db, {
        id: ids('shippingRate'),
        storeId,
        ...normalizeShipping(input),
      });
      invalidateRates(storeId);
      return row;
    },
    listShippingRates: (storeId: string, p: { limit: number; before: string | null }) =>
      repo.listShippingRates(db, storeId, page(p.limit, p.before)),
    async getShippingRate(storeId: string, id: string) {
      const r = await repo.findShippingRate(db, storeId, id);
      if (!r) throw shippingNotFound(id);
      return r;
    },
    async updateShippingRate(storeId: string, id: string, patch: Patch<ShippingRateInput>) {
      const { expectedVersion, ...rest } = patch;
      const fields = sent(rest);
      const row = await patchRow(db, {
        find: (tx) => repo.findShippingRate(tx, storeId, id),
        notFound: () => shippingNotFound(id),
        expected: expectedVersion,
        merge: (row) => normalizeShipping({ ...repo.toShippingRate(row), ...fields }),
        write: (tx, version, merged) => repo.updateShippingRate(tx, { storeId, id, version }, merged),
      });
      invalidateRates(storeId);
      return row;
    },
    async deleteShippingRate(storeId: string, id: string) {
      if (!(await repo.deleteShippingRate(db, storeId, id))) throw shippingNotFound(id);
      invalidateRates(storeId);
    },
  };
}

export type PricingService = ReturnType<typeof createPricingService>;
