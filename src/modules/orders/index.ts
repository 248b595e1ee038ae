/**
 * Orders: the order record and its life cycle (pending → paid → fulfilled → completed, or cancelled),
 * payments, refunds, fulfilments and the append-only audit trail; its events go to the events module.
 *
 * Every status change is a conditional update on the status the caller expects, in the same transaction
 * as its `order_event` and its event (events module). Checkout, the gateway webhook and the reconciliation job all settle
 * a pending order through `service.settle`, so racing each other they apply one transition.
 */
import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../shared/clock.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { Logger } from '../../shared/logger.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import { ordersRoutes } from './orders.routes.ts';
import { createOrdersService, type OrdersDeps } from './orders.service.ts';

export { callGateway, type GatewayCall } from './orders.gateway.ts';
export { fulfillmentsAndRefunds } from './orders.queries.ts';
export type { CustomerOrderTotals } from './orders.repo.ts';
export { ORDER_ID, OrderSchema, orderScope } from './orders.routes.ts';
export { assertTransition, gatewayKeys, ORDER_TRANSITIONS, settlementFor } from './orders.rules.ts';
export { type DailySales, salesByDay, storesWithSales } from './orders.sales.ts';
export { serializeOrder } from './orders.serialize.ts';
export {
  createOrdersService,
  type NewOrderLine,
  type OrderScope,
  type OrdersCoupons,
  type OrdersDeps,
  type OrdersInventory,
  type OrdersService,
  type PlaceOrderInput,
} from './orders.service.ts';
export type { OrderLineRow, OrderRow, OrderStatus, PaymentStatus } from './orders.tables.ts';

export function createOrdersModule(
  deps: OrdersDeps & {
    clock: Clock;
    logger: Logger;
    auth: { secret: readonly MiddlewareHandler<AppEnv>[]; any: readonly MiddlewareHandler<AppEnv>[] };
    emailsOf: Parameters<typeof ordersRoutes>[0]['emailsOf'];
  },
) {
  const service = createOrdersService(deps);
  const tasks: PeriodicTask[] = [
    {
      name: 'orders.reconcile',
      everyMs: 5_000,
      run: async () => {
        await service.reconcileDue();
        await service.retryStaleRefunds();
      },
    },
    { name: 'orders.sweep_reservations', everyMs: 30_000, run: () => service.sweepReservations() },
  ];
  return {
    service,
    tasks,
    routes: ordersRoutes({ orders: service, auth: deps.auth, emailsOf: deps.emailsOf }),
  };
}
