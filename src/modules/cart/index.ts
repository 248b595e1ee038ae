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
 * price a cart exactly as the cart routes do.
 */
export function createCartModule(deps: CartServiceDeps & { auth: readonly MiddlewareHandler<AppEnv>[] }) {
  const service = createCartService(deps);
  return { service, routes: cartRoutes({ carts: service, auth: deps.auth }) };
}
