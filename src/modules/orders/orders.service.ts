import { createOrderAdmin } from './orders.admin.ts';
import { createOrdersContext, type OrderScope, type OrdersDeps } from './orders.context.ts';
import { createOrderJobs } from './orders.jobs.ts';
import { createPlacement } from './orders.placement.ts';
import { createOrderQueries } from './orders.queries.ts';
import { createRefunds } from './orders.refunds.ts';
import { createSettlement } from './orders.settlement.ts';

export type {
  KnownLines,
  NewOrderLine,
  OrderScope,
  OrdersCoupons,
  OrdersDeps,
  OrdersInventory,
  PlaceOrderInput,
  SettleSource,
} from './orders.context.ts';

/**
 * Orders: placement (checkout's order transaction), settlement (checkout, webhooks, reconciliation),
 * refunds, admin actions, background jobs and reads, each in its own file around one shared context;
 * gateway calls go through `callGateway` (orders.gateway.ts), which alone tells transport failures apart.
 */
export function createOrdersService(deps: OrdersDeps) {
  const ctx = createOrdersContext(deps);
  const placement = createPlacement(ctx);
  const refunds = createRefunds(ctx);
  const settlement = createSettlement(ctx, refunds);
  const queries = createOrderQueries(ctx);
  const admin = createOrderAdmin(ctx, { settlement, refunds, queries });
  const jobs = createOrderJobs(ctx, settlement, refunds);

  return {
    placeOrder: placement.placeOrder,
    rotateSecret: placement.rotateSecret,
    settle: settlement.settle,
    findByCheckoutKey: queries.findByCheckoutKey,
    gatewayOf: ctx.gatewayOf,
    mustFind: ctx.mustFind,
    mustFindInMode: ctx.mustFindInMode,

    /** Settles one order now (gateway webhook of that mode): asks the gateway for the authoritative state. */
    async reconcileNow(scope: OrderScope, orderId: string) {
      return settlement.reconcileNow(scope, orderId);
    },

    reconcileDue: jobs.reconcileDue,
    retryStaleRefunds: jobs.retryStaleRefunds,
    sweepReservations: jobs.sweepReservations,

    paymentOf: queries.paymentOf,
    linesOf: queries.linesOf,
    list: queries.list,
    listForCustomer: queries.listForCustomer,
    totalsForCustomer: queries.totalsForCustomer,
    detail: queries.detail,
    publicView: queries.publicView,

    fulfill: admin.fulfill,
    complete: admin.complete,
    cancel: admin.cancel,
    refund: admin.refund,
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
