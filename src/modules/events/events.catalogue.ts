/**
 * The catalogue of event types: what each means, the object it carries and when it fires. `docs/events.md` is
 * generated from it (`npm run docs:events`), and `EVENT_TYPES` is its list of names.
 */

/** The object kinds an event carries in `data.object`. */
export type EventObjectKind = 'order' | 'product' | 'inventory_level' | 'webhook_endpoint' | 'ping';

export interface EventTypeEntry {
  description: string;
  object: EventObjectKind;
  fires: string;
  /** False for types that are never stored in the event log (sent directly, e.g. a test delivery). */
  stored: boolean;
}

export const EVENT_CATALOGUE = {
  'order.created': {
    description: 'An order was placed; its payment is not settled yet.',
    object: 'order',
    fires: 'At checkout, in the transaction that creates the pending order and reserves its stock.',
    stored: true,
  },
  'order.paid': {
    description: 'The payment of an order was authorized or captured.',
    object: 'order',
    fires:
      'When checkout, the gateway webhook or the reconciliation job settles a pending order as paid (once per order).',
    stored: true,
  },
  'order.payment_captured': {
    description: 'An authorized payment was captured later (manual capture).',
    object: 'order',
    fires: 'When an admin captures an order placed with `capture: manual`.',
    stored: true,
  },
  'order.payment_failed': {
    description: 'The payment of a pending order was declined or failed; the order is cancelled.',
    object: 'order',
    fires: 'When the gateway declines or fails the payment of a pending order; its stock is released.',
    stored: true,
  },
  'order.fulfilled': {
    description: 'An order was shipped.',
    object: 'order',
    fires:
      'When an admin fulfils a paid order (with carrier and tracking, if given); `data.fulfillment` is the shipment.',
    stored: true,
  },
  'order.completed': {
    description: 'An order was completed.',
    object: 'order',
    fires: 'When an admin completes a fulfilled order.',
    stored: true,
  },
  'order.cancelled': {
    description: 'An order was cancelled.',
    object: 'order',
    fires:
      'When an admin cancels an order, or a pending order expires unpaid; reserved stock goes back on sale.',
    stored: true,
  },
  'order.refunded': {
    description: 'Money was refunded on an order (in part or in full).',
    object: 'order',
    fires:
      'When the gateway confirms a refund; `payment_status` tells a partial refund from a full one, `data.refund` is the refund.',
    stored: true,
  },
  'product.created': {
    description: 'A product was created.',
    object: 'product',
    fires: 'When a product is created through the admin API (demo seeding does not emit events).',
    stored: true,
  },
  'product.updated': {
    description: 'A product or one of its variants was changed.',
    object: 'product',
    fires: 'When a product, its options, images or variants are changed through the admin API.',
    stored: true,
  },
  'product.deleted': {
    description: 'A product was deleted.',
    object: 'product',
    fires: 'When a product is deleted; `data.object` is the product as it was just before.',
    stored: true,
  },
  'inventory.low_stock': {
    description: 'The available stock of a variant fell to or below the low-stock threshold.',
    object: 'inventory_level',
    fires:
      'When a stock change takes a tracked variant from above the threshold to at or below it (and above zero).',
    stored: true,
  },
  'inventory.out_of_stock': {
    description: 'The available stock of a variant reached zero.',
    object: 'inventory_level',
    fires: 'When a stock change takes a tracked variant from above zero to zero or below.',
    stored: true,
  },
  'webhook_endpoint.disabled': {
    description: 'A webhook endpoint was disabled after failing for too long.',
    object: 'webhook_endpoint',
    fires: 'When webhook delivery gives up on an endpoint and disables it.',
    stored: true,
  },
  'webhook.test': {
    description: 'A test event, sent on request to check an endpoint.',
    object: 'ping',
    fires: 'Only when a merchant sends a test event to an endpoint; never stored in the event log.',
    stored: false,
  },
} as const satisfies Record<string, EventTypeEntry>;

export type EventType = keyof typeof EVENT_CATALOGUE;

/** Every event type, in catalogue order. */
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as readonly EventType[] as readonly [
  EventType,
  ...EventType[],
];

export const isEventType = (s: string): s is EventType => Object.hasOwn(EVENT_CATALOGUE, s);
