import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { pricingRoutes } from './pricing.routes.ts';
import { createPricingService, createRatesCache, loadPricingContext } from './pricing.service.ts';

export {
  type Address,
  type Coupon,
  type CouponProblem,
  couponProblem,
  type PricedCart,
  type PricedLine,
  type PricingInput,
  type PricingLine,
  priceCart,
  type ShippingRate,
  type TaxRate,
} from './pricing.rules.ts';
export {
  couponRedemptionWrites,
  couponRefusal,
  loadPricingContext,
  type PricingContext,
  type PricingService,
  redeemCoupon,
  releaseCouponRedemption,
} from './pricing.service.ts';
export { coupon, shippingRate, taxRate } from './pricing.tables.ts';

/** Coupons, tax rates and shipping rates: admin routes (secret key) and the service the money path uses. */
export function createPricingModule(deps: {
  db: Executor;
  auth: { secret: readonly MiddlewareHandler<AppEnv>[] };
  ids: IdGenerator;
  clock: Clock;
}) {
  const rates = createRatesCache();
  const service = createPricingService({ db: deps.db, ids: deps.ids, clock: deps.clock, rates });
  return {
    routes: pricingRoutes({ service, secret: deps.auth.secret }),
    service,
    /** What a cart of the store needs for pricing, with tax and shipping rates from this app's cache. */
    loadPricingContext: (db: Executor, args: { storeId: string; couponCode: string | null }) =>
      loadPricingContext(db, args, { cache: rates, db: deps.db }),
  };
}
