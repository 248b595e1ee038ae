/**
 * Checkout (DESIGN §5): validate and re-price the cart → one transaction (pending order, reservations,
 * coupon, outbox) → gateway authorize/capture with a key derived from the order id → one transaction
 * (paid, stock committed, outbox). Also the gateway webhook endpoint, which settles orders the same way.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../shared/http/env.ts';
import { checkoutRoutes } from './checkout.routes.ts';
import { type CheckoutDeps, createCheckoutService } from './checkout.service.ts';

export { checkoutProblem, couponRefusal } from './checkout.rules.ts';
export {
  type CheckoutDeps,
  type CheckoutInput,
  type CheckoutOutcome,
  type CheckoutService,
  checkoutFingerprint,
  createCheckoutService,
} from './checkout.service.ts';

export function createCheckoutModule(
  deps: CheckoutDeps & {
    auth: readonly MiddlewareHandler<AppEnv>[];
    customerOf?: (storeId: string, token: string) => Promise<string>;
  },
) {
  const service = createCheckoutService(deps);
  return {
    service,
    routes: checkoutRoutes({
      checkout: service,
      orders: deps.orders,
      gateways: deps.gateways,
      stores: deps.stores,
      auth: deps.auth,
      customerOf: deps.customerOf,
    }),
  };
}
