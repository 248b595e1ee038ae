import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';
import { AppError, isAppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { loadVariantsForSale, type VariantForSale } from '../catalog/index.ts';
import { type PlaceHoldInput, placeHold, placeHoldAtomically } from '../inventory/index.ts';
import { type PricedCart, type PricingContext, type PricingLine, priceCart } from '../pricing/index.ts';
import type { StoresService } from '../stores/index.ts';
import * as repo from './cart.repo.ts';
import {
  type Address,
  type CartLine,
  type CartProblem,
  type CartState,
  lineQty,
  lineTitle,
  mergeLines,
  withLineQty,
} from './cart.rules.ts';
import {
  type KeyRing,
  loadingKeyRing,
  parseSigningKeys,
  signCartToken,
  verifyCartToken,
} from './cart.token.ts';

export type { PricingContext, VariantForSale };

export interface RepricedCart {
  /** The state after re-pricing: lines whose variant is gone, a coupon or a rate that no longer exists, dropped. */
  state: CartState;
  priced: PricedCart;
  items: Map<string, VariantForSale>;
  problems: CartProblem[];
}

/** A cart as answered to the client: re-priced, with its new token. */
export interface CartView extends RepricedCart {
  token: string;
  expiresAt: Date;
}

export interface CartServiceDeps {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  config: Pick<Config, 'CART_SIGNING_KEYS' | 'CART_TTL_SECONDS' | 'HOLD_TTL_SECONDS'>;
  stores: Pick<StoresService, 'getStoreCached'>;
  /** The pricing module's loader (tax and shipping rates from the app's cache). */
  loadPricingContext: (
    db: Executor,
    args: { storeId: string; couponCode: string | null },
  ) => Promise<PricingContext>;
  /**
   * The catalog's cached variants for sale (`cachedVariantsForSale`), for the cart routes only: `reprice`,
   * which checkout calls, always reads the variants fresh in the executor it is given.
   */
  cachedVariantsForSale: (storeId: string, variantIds: string[]) => Promise<Map<string, VariantForSale>>;
  /** Overrides the key ring (tests); by default CART_SIGNING_KEYS, else a key shared through the database. */
  keyRing?: KeyRing;
}

/** The kid of the key created in the database when no key is configured. */
const DATABASE_KID = 'db1';

export function databaseKeyRing(db: Executor): KeyRing {
  return loadingKeyRing(async () => {
    let keys = await repo.listSigningKeys(db);
    if (keys.length === 0) {
      await repo.insertSigningKeyIfAbsent(db, {
        kid: DATABASE_KID,
        secret: randomBytes(32).toString('base64url'),
      });
      keys = await repo.listSigningKeys(db);
    }
    return keys.map((k) => ({ kid: k.kid, secret: k.secret }));
  });
}

const NO_ITEM = { trackInventory: true, allowBackorder: false };

export function createCartService(deps: CartServiceDeps) {
  const { db, clock, ids, config, stores } = deps;
  const ring =
    deps.keyRing ??
    (config.CART_SIGNING_KEYS
      ? loadingKeyRing(async () => parseSigningKeys(config.CART_SIGNING_KEYS!))
      : databaseKeyRing(db));

  async function readToken(token: string | undefined, storeId: string): Promise<CartState> {
    const { state } = await verifyCartToken(ring, token, { now: clock.now() });
    if (state.storeId !== storeId) {
      throw new AppError('CART_TOKEN_WRONG_STORE', 'The cart token belongs to another store.');
    }
    return state;
  }

  interface RepriceInput {
    storeId: string;
    state: CartState;
    now: Date;
    items?: Map<string, VariantForSale>;
    context?: PricingContext;
  }

  type LoadItems = (storeId: string, variantIds: string[]) => Promise<Map<string, VariantForSale>>;

  /**
   * Prices a cart from the catalog as it is now: the client's idea of prices never enters. For checkout
   * (the order is the money) the variants come fresh in one query; the store, tax and shipping rates come
   * from memory when warm.
   */
  function reprice(executor: Executor, input: RepriceInput): Promise<RepricedCart> {
    return repriceWith(executor, input, (storeId, ids) => loadVariantsForSale(executor, storeId, ids));
  }

  /** The cart routes' re-pricing: variants from the catalog's cache, kept fresh by its change feed. */
  function repriceCart(input: RepriceInput): Promise<RepricedCart> {
    return repriceWith(db, input, deps.cachedVariantsForSale);
  }

  async function repriceWith(
    executor: Executor,
    input: RepriceInput,
    loadItems: LoadItems,
  ): Promise<RepricedCart> {
    const { storeId, now } = input;
    let state = input.state;
    const problems: CartProblem[] = [];
    const ids = state.lines.map((l) => l.variantId);
    const [store, items, context] = await Promise.all([
      stores.getStoreCached(storeId),
      input.items ?? (ids.length > 0 ? loadItems(storeId, ids) : new Map<string, VariantForSale>()),
      // Tax and shipping rates come from the pricing module's memory; only a coupon costs a query.
      input.context ?? deps.loadPricingContext(executor, { storeId, couponCode: state.couponCode }),
    ]);

    if (state.currency !== store.currency) {
      problems.push({
        code: 'CURRENCY_MISMATCH',
        message: `The store now sells in ${store.currency}; the cart was re-priced in it.`,
      });
      state = { ...state, currency: store.currency };
    }
    const kept: CartLine[] = [];
    const pricingLines: PricingLine[] = [];
    for (const line of state.lines) {
      const item = items.get(line.variantId);
      if (!item) {
        problems.push({
          code: 'VARIANT_NOT_FOUND',
          variant_id: line.variantId,
          message: `Variant ${line.variantId} no longer exists; it was removed from the cart.`,
        });
        continue;
      }
      kept.push(line);
      if (!item.purchasable) {
        problems.push({
          code: 'VARIANT_UNAVAILABLE',
          variant_id: line.variantId,
          message: `${lineTitle(item.productTitle, item.title)} is not for sale at the moment; remove it to check out.`,
        });
        continue;
      }
      pricingLines.push({
        variantId: item.variantId,
        sku: item.sku,
        title: lineTitle(item.productTitle, item.title),
        unitPrice: item.price,
        qty: line.qty,
        weightGrams: item.weightGrams,
      });
    }
    if (kept.length !== state.lines.length) state = { ...state, lines: kept };
    if (state.couponCode && !context.coupon) {
      problems.push({
        code: 'COUPON_NOT_FOUND',
        message: `Coupon ${state.couponCode} no longer exists; it was removed.`,
      });
      state = { ...state, couponCode: null };
    }

    const price = (shippingRateId: string | null) =>
      priceCart({
        currency: state.currency,
        taxInclusive: store.settings.tax_inclusive ?? false,
        lines: pricingLines,
        coupon: state.couponCode ? context.coupon : null,
        taxRates: context.taxRates,
        shippingRates: context.shippingRates,
        shippingAddress: state.shippingAddress,
        shippingRateId,
        now,
      });
    let priced: PricedCart;
    try {
      priced = price(state.shippingRateId);
    } catch (e) {
      // The chosen rate is no longer offered (rate deleted, address or weight changed): drop the choice.
      if (!(isAppError(e) && e.code === 'SHIPPING_RATE_NOT_FOUND') || state.shippingRateId === null) throw e;
      problems.push({
        code: 'SHIPPING_RATE_NOT_FOUND',
        message: `Shipping rate ${state.shippingRateId} is not offered for this cart any more; choose another.`,
      });
      state = { ...state, shippingRateId: null };
      priced = price(null);
    }
    return { state, priced, items, problems };
  }

  async function issue(result: RepricedCart, now: Date): Promise<CartView> {
    const { token, expiresAt } = await signCartToken(ring, result.state, {
      now,
      ttlSeconds: config.CART_TTL_SECONDS,
    });
    return { ...result, token, expiresAt };
  }

  async function holdTtl(storeId: string): Promise<number> {
    const store = await stores.getStoreCached(storeId);
    return store.settings.hold_ttl_seconds ?? config.HOLD_TTL_SECONDS;
  }

  function assertForSale(
    items: Map<string, VariantForSale>,
    variantId: string,
    param: string,
  ): VariantForSale {
    const item = items.get(variantId);
    if (!item) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId} in this store.`, { param });
    if (!item.purchasable) {
      throw new AppError('VARIANT_UNAVAILABLE', `Variant ${variantId} is not for sale.`, { param });
    }
    return item;
  }

  /**
   * Sets this cart's soft holds to the given quantities (0 releases). One change is one statement, atomic on
   * its own, sent without a transaction (one round trip); several go in one transaction, all or none.
   */
  async function setHolds(
    storeId: string,
    cartId: string,
    changes: Array<{
      variantId: string;
      qty: number;
      item: Pick<VariantForSale, 'trackInventory' | 'allowBackorder'>;
    }>,
    now: Date,
  ): Promise<void> {
    if (changes.length === 0) return;
    const ttlSeconds = await holdTtl(storeId);
    const holdOf = (c: (typeof changes)[number]): PlaceHoldInput => ({
      storeId,
      cartId,
      variantId: c.variantId,
      qty: c.qty,
      ttlSeconds,
      now,
      trackInventory: c.item.trackInventory,
      allowBackorder: c.item.allowBackorder,
    });
    if (changes.length === 1) {
      await placeHoldAtomically(db, holdOf(changes[0]!));
      return;
    }
    await inTransaction(db, async (tx) => {
      for (const c of changes) await placeHold(tx, holdOf(c));
    });
  }

  /** Changes one line's quantity: checks the variant, moves the hold, re-prices with the variants already loaded. */
  async function changeLine(storeId: string, state: CartState, variantId: string, qty: number, now: Date) {
    const next = withLineQty(state, variantId, qty);
    const wanted = [...new Set([...state.lines.map((l) => l.variantId), variantId])];
    const items = await deps.cachedVariantsForSale(storeId, wanted);
    const target = next.lines.some((l) => l.variantId === variantId)
      ? assertForSale(items, variantId, 'variant_id')
      : (items.get(variantId) ?? NO_ITEM);
    await setHolds(storeId, state.id, [{ variantId, qty: lineQty(next, variantId), item: target }], now);
    return issue(await repriceCart({ storeId, state: next, now, items }), now);
  }

  function requireLine(state: CartState, variantId: string): void {
    if (!state.lines.some((l) => l.variantId === variantId)) {
      throw new AppError('CART_LINE_NOT_FOUND', `The cart has no line for variant ${variantId}.`, {
        param: 'variant_id',
      });
    }
  }

  /** Reads the token, applies a change that touches no stock, re-prices and signs. */
  async function update(
    storeId: string,
    token: string | undefined,
    change: (state: CartState) => CartState | Promise<CartState>,
  ): Promise<CartView> {
    const now = clock.now();
    const state = await change(await readToken(token, storeId));
    return issue(await repriceCart({ storeId, state, now }), now);
  }

  return {
    readToken,
    reprice,

    async create(
      storeId: string,
      input: { currency?: string; email?: string; lines?: Array<{ variant_id: string; quantity: number }> },
    ): Promise<CartView> {
      const now = clock.now();
      const store = await stores.getStoreCached(storeId);
      if (input.currency && input.currency !== store.currency) {
        throw new AppError('CURRENCY_MISMATCH', `This store sells in ${store.currency}.`, {
          param: 'currency',
        });
      }
      const lines = mergeLines(input.lines ?? []);
      const state: CartState = {
        id: ids('cart'),
        storeId,
        currency: store.currency,
        lines,
        couponCode: null,
        email: input.email ?? null,
        shippingAddress: null,
        billingAddress: null,
        shippingRateId: null,
      };
      let items: Map<string, VariantForSale> | undefined;
      if (lines.length > 0) {
        const loaded = await deps.cachedVariantsForSale(
          storeId,
          lines.map((l) => l.variantId),
        );
        const changes = lines.map((l) => {
          const i = (input.lines ?? []).findIndex((x) => x.variant_id === l.variantId);
          return {
            variantId: l.variantId,
            qty: l.qty,
            item: assertForSale(loaded, l.variantId, `lines.${i}.variant_id`),
          };
        });
        await setHolds(storeId, state.id, changes, now);
        items = loaded;
      }
      return issue(await repriceCart({ storeId, state, now, items }), now);
    },

    async get(storeId: string, token: string | undefined): Promise<CartView> {
      return update(storeId, token, (s) => s);
    },

    async addLine(
      storeId: string,
      token: string | undefined,
      input: { variantId: string; quantity: number },
    ) {
      const now = clock.now();
      const state = await readToken(token, storeId);
      return changeLine(
        storeId,
        state,
        input.variantId,
        lineQty(state, input.variantId) + input.quantity,
        now,
      );
    },

    async setLineQuantity(
      storeId: string,
      token: string | undefined,
      input: { variantId: string; quantity: number },
    ) {
      const now = clock.now();
      const state = await readToken(token, storeId);
      requireLine(state, input.variantId);
      return changeLine(storeId, state, input.variantId, input.quantity, now);
    },

    async removeLine(storeId: string, token: string | undefined, variantId: string) {
      const now = clock.now();
      const state = await readToken(token, storeId);
      requireLine(state, variantId);
      return changeLine(storeId, state, variantId, 0, now);
    },

    async setCoupon(storeId: string, token: string | undefined, code: string | null) {
      if (code === null) return update(storeId, token, (s) => ({ ...s, couponCode: null }));
      const now = clock.now();
      const state = await readToken(token, storeId);
      const context = await deps.loadPricingContext(db, { storeId, couponCode: code });
      if (!context.coupon) {
        throw new AppError('COUPON_NOT_FOUND', `No coupon ${code} in this store.`, { param: 'code' });
      }
      const next = { ...state, couponCode: context.coupon.code };
      return issue(await repriceCart({ storeId, state: next, now, context }), now);
    },

    async setEmail(storeId: string, token: string | undefined, email: string | null) {
      return update(storeId, token, (s) => ({ ...s, email }));
    },

    async setAddress(
      storeId: string,
      token: string | undefined,
      which: 'shipping' | 'billing',
      address: Address | null,
    ) {
      return update(storeId, token, (s) =>
        which === 'shipping' ? { ...s, shippingAddress: address } : { ...s, billingAddress: address },
      );
    },

    async setShippingRate(storeId: string, token: string | undefined, shippingRateId: string | null) {
      const now = clock.now();
      const state = { ...(await readToken(token, storeId)), shippingRateId };
      const result = await repriceCart({ storeId, state, now });
      // Re-pricing drops a rate the cart cannot use; for the rate being chosen, that is the caller's error.
      if (shippingRateId !== null && result.state.shippingRateId !== shippingRateId) {
        throw new AppError(
          'SHIPPING_RATE_NOT_FOUND',
          result.state.shippingAddress
            ? `Shipping rate ${shippingRateId} is not offered for this destination and cart.`
            : 'Set a shipping address first: shipping rates depend on the destination.',
          { param: 'shipping_rate_id' },
        );
      }
      return issue(result, now);
    },
  };
}

export type CartService = ReturnType<typeof createCartService>;

/** The cart as the API shows it. Amounts are integers in the currency's minor unit. */
export function serializeCart(v: CartView) {
  const pricedLines = new Map(v.priced.lines.map((l) => [l.variantId, l]));
  return {
    object: 'cart' as const,
    id: v.state.id,
    token: v.token,
    currency: v.priced.currency,
    lines: v.state.lines.map((line) => {
      const item = v.items.get(line.variantId)!;
      const priced = pricedLines.get(line.variantId);
      return {
        variant_id: line.variantId,
        product_id: item.productId,
        product_slug: item.productSlug,
        sku: item.sku,
        title: lineTitle(item.productTitle, item.title),
        product_title: item.productTitle,
        variant_title: item.title,
        option_values: item.optionValues,
        quantity: line.qty,
        unit_price: item.price,
        compare_at_price: item.compareAtPrice,
        subtotal: priced?.subtotal ?? 0,
        discount: priced?.discount ?? 0,
        tax: priced?.tax ?? 0,
        total: priced?.total ?? 0,
        available: priced !== undefined,
      };
    }),
    subtotal: v.priced.subtotal,
    discount_total: v.priced.discountTotal,
    shipping_total: v.priced.shippingTotal,
    tax_total: v.priced.taxTotal,
    total: v.priced.total,
    tax_inclusive: v.priced.taxInclusive,
    coupon: v.priced.coupon,
    email: v.state.email,
    shipping_address: v.state.shippingAddress,
    billing_address: v.state.billingAddress,
    shipping_options: v.priced.shippingOptions,
    shipping: v.priced.shipping,
    expires_at: v.expiresAt.toISOString(),
    problems: v.problems,
  };
}
