import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../shared/http/env.ts';
import { cartRoutes } from './cart.routes.ts';
import { type CartServiceDeps, createCartService } from './cart.service.ts';

export type { Address, CartLine, CartProblem, CartState } from './cart.rules.ts';
export { MAX_LINES, MAX_QTY, MAX_TOKEN_BYTES } from './cart.rules.ts';
export type { CartService, CartView, PricingContext, RepricedCart, VariantForSale } from './cart.service.ts';
export { serializeCart } from './cart.service.ts';
export type { KeyRing } from './cart.token.ts';

/**
 * Stateless carts: the cart is a signed token the client holds; every call re-prices it from the
 * catalog and answers a new token. `service.readToken` and `service.reprice` let checkout read and
 * price a cart exactly as the cart routes do:
 *
 *   const state = await service.readToken(token, storeId);          // 400 CART_TOKEN_* when bad
 *   const { state: s, priced, items, problems } = await service.reprice(tx, { storeId, state, now });
 *
 * `reprice` drops lines whose variant no longer exists, a coupon that no longer exists and a shipping
 * rate no longer offered (each reported in `problems`). A line whose variant is not for sale stays in
 * `s.lines` but is left out of `priced.lines`, with a VARIANT_UNAVAILABLE problem: checkout should refuse it.
 */
export function createCartModule(deps: CartServiceDeps & { auth: readonly MiddlewareHandler<AppEnv>[] }) {
  const service = createCartService(deps);
  return { service, routes: cartRoutes({ carts: service, auth: deps.auth }) };
}
