/**
 * Customer accounts of a store: sign-up with email verification, sign-in with rate limits, rotating sessions
 * (from the sessions module, audience `customer`), password reset, addresses and order history.
 * Other modules reach a signed-in customer through `authenticate` (checkout links its orders with it).
 */
import type { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../shared/http/env.ts';
import type { OrderSchema } from '../orders/index.ts';
import { customersRoutes } from './customers.routes.ts';
import { type CustomersDeps, createCustomersService } from './customers.service.ts';

export type { EmailMessage } from './customers.rules.ts';
export type {
  CustomerOrders,
  CustomerOrderTotals,
  CustomersService,
  EmailQueue,
} from './customers.service.ts';

export function createCustomersModule<T>(
  deps: CustomersDeps<T> & {
    auth: readonly MiddlewareHandler<AppEnv>[];
    serializeOrder: (row: T) => z.infer<typeof OrderSchema> & { id: string };
    storefrontUrl: string | undefined;
  },
) {
  const service = createCustomersService(deps);
  return {
    service,
    routes: customersRoutes({
      customers: service,
      serializeOrder: deps.serializeOrder,
      auth: deps.auth,
      storefrontUrl: deps.storefrontUrl,
    }),
  };
}
