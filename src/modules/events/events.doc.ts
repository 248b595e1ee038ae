import { EVENT_CATALOGUE, type EventObjectKind, type EventType } from './events.catalogue.ts';
import { API_VERSION } from './events.repo.ts';
import { EVENT_RETENTION_DAYS, type EventEnvelope } from './events.rules.ts';

/** One example object per kind (abridged where marked), as `data.object` carries it. */
const EXAMPLE_OBJECTS: Record<EventObjectKind, { type: EventType; object: Record<string, unknown> }> = {
  order: {
    type: 'order.paid',
    object: {
      id: 'ord_01kb3v6y8c4x2m9q7r5t1w3z6a',
      object: 'order',
      livemode: false,
      status: 'paid',
      payment_status: 'paid',
      fulfillment_status: 'unfulfilled',
      currency: 'USD',
      email: 'shopper@example.com',
      shipping_address: null,
      shipping: null,
      subtotal: 5000,
      discount_total: 0,
      shipping_total: 0,
      tax_total: 0,
      total: 5000,
      tax_inclusive: false,
      coupon_code: null,
      lines: [
        {
          object: 'order_line',
          variant_id: 'var_01kb3v5a0b6c7d8e9f0g1h2j3k',
          product_id: 'prod_01kb3v5a0a1b2c3d4e5f6g7h8j',
          sku: 'MUG-BLUE',
          product_title: 'Mug',
          title: 'Blue',
          unit_price: 2500,
          quantity: 2,
          subtotal: 5000,
          discount: 0,
          tax: 0,
          total: 5000,
        },
      ],
      created_at: '2026-11-29T17:47:18.120Z',
      paid_at: '2026-11-29T17:47:18.480Z',
      cancelled_at: null,
      billing_address: null,
      cart_id: 'cart_01kb3v6x2p3q4r5s6t7v8w9x0y',
      gateway: 'test',
      capture: 'automatic',
      cancel_reason: null,
      version: 2,
      reserved_until: '2026-11-29T18:02:18.120Z',
      updated_at: '2026-11-29T17:47:18.480Z',
      fulfilled_at: null,
      completed_at: null,
    },
  },
  product: {
    type: 'product.updated',
    object: {
      id: 'prod_01kb3v5a0a1b2c3d4e5f6g7h8j',
      object: 'product',
      title: 'Mug',
      slug: 'mug',
      status: 'active',
      version: 3,
      variants: ['… the variants as GET /v1/products/{id} shows them (abridged)'],
    },
  },
  inventory_level: {
    type: 'inventory.low_stock',
    object: {
      object: 'inventory_level',
      variant_id: 'var_01kb3v5a0b6c7d8e9f0g1h2j3k',
      product_id: 'prod_01kb3v5a0a1b2c3d4e5f6g7h8j',
      sku: 'MUG-BLUE',
      on_hand: 7,
      committed: 2,
      available: 5,
      low_stock_threshold: 5,
    },
  },
  webhook_endpoint: {
    type: 'webhook_endpoint.disabled',
    object: {
      id: 'we_01kb3v7c1d2e3f4g5h6j7k8m9n',
      object: 'webhook_endpoint',
      url: 'https://merchant.example.com/hooks',
      status: 'disabled',
      '…': 'the endpoint as the webhooks API shows it (abridged)',
    },
  },
  ping: {
    type: 'webhook.test',
    object: { object: 'ping', message: 'A test event from Crowdstart.' },
  },
};

function example(kind: EventObjectKind): EventEnvelope {
  const e = EXAMPLE_OBJECTS[kind];
  return {
    id: 'evt_01kb3v6y9d5e6f7g8h9j0k1m2n',
    object: 'event',
    type: e.type,
    created: '2026-11-29T17:47:18.480Z',
    livemode: false,
    api_version: API_VERSION,
    data: { object: e.object },
  };
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown of docs/events.md, rendered from the catalogue so the two cannot drift. */
export function renderEventsDoc(): string {
  const rows = Object.entries(EVENT_CATALOGUE).map(
    ([type, e]) =>
      `| \`${type}\` | \`${e.object}\` | ${cell(e.description)} | ${cell(e.fires)}${e.stored ? '' : ' (not stored)'} |`,
  );
  const kinds = [...new Set(Object.values(EVENT_CATALOGUE).map((e) => e.object))] as EventObjectKind[];
  const examples = kinds.map(
    (k) => `### \`${k}\`

\`\`\`json
${JSON.stringify(example(k), null, 2)}
\`\`\``,
  );
  return `# Events

Every change worth telling a merchant becomes an event, written in the same database transaction as the change
itself (a transactional outbox): an order that commits has its event, an order that rolls back has none.
Events are listed by \`GET /v1/events\` (secret key, newest first) for ${EVENT_RETENTION_DAYS} days, then deleted,
and handed to the consumers inside the product (webhook delivery, mail) at least once.

This file is generated from \`src/modules/events/events.catalogue.ts\` by \`npm run docs:events\`; a test fails
when they differ.

## The envelope

\`\`\`json
{ "id": "evt_…", "object": "event", "type": "order.paid", "created": "2026-11-29T17:47:18.480Z",
  "livemode": false, "api_version": "${API_VERSION}", "data": { "object": { "id": "ord_…", "object": "order" } } }
\`\`\`

- \`created\` is an ISO 8601 timestamp, like every timestamp of the API.
- \`data.object\` is the object as the API shows it at the moment of the event: an order as
  \`GET /v1/orders/{id}\` returns it (with its lines; without the audit trail, payments, refunds and fulfilments),
  a product as \`GET /v1/products/{id}\` returns it.
- \`api_version\` names the shape of \`data.object\`; it changes only with a new version of the API.

## Modes

An order, a payment or a refund belongs to one mode (the key that made it), and so do its events: a test key
sees test events only, a live key live events only. The catalog and the stock are shared by both modes, so each
\`product.*\` and \`inventory.*\` event is written twice, once per mode (two events with their own ids): test and
live integrations each see every catalog change.

## Stock alerts

\`inventory.low_stock\` and \`inventory.out_of_stock\` compare \`on_hand − committed\` (carts' soft holds do not
count: they come and go on their own) with the store's \`low_stock_threshold\` setting (default 5). Each level
remembers the band it was last reported in (\`ok\`, \`low\`, \`out\`), so an event fires once when a stock change
moves the level into a lower band, never again while it stays there; restocking above the threshold re-arms it.
A level going from above the threshold straight to zero fires \`inventory.out_of_stock\` only. A new level starts
as \`out\`: stocking it up tells nothing. Variants that do not track inventory never alert.

## Delivery to consumers (operations)

The worker's \`events.relay\` task claims undispatched events in (created_at, id) order with
\`FOR UPDATE SKIP LOCKED\`, hands each batch to every consumer inside that transaction, and marks the batch
dispatched in it; a consumer that fails rolls the batch back and it is handed over again. Several workers share
the feed; an event is never in flight in two of them. Idle, a relay turn is one probe of a small partial index.

| setting | default | meaning |
|---|---|---|
| \`EVENTS_RELAY_POLL_MS\` | 200 | pause between relay turns of a worker |
| \`EVENTS_STALE_AFTER_SECONDS\` | 60 | a warning is logged while the oldest undispatched event is older |

Metrics (\`/metrics\`): \`events_backlog\` (events not yet dispatched) and
\`events_oldest_undispatched_age_seconds\`, refreshed by the relay every few seconds. \`/readyz\` does not depend
on them.

## Catalogue

| type | object | meaning | fires |
|---|---|---|---|
${rows.join('\n')}

\`GET /v1/events?type=\` takes one type, a comma-separated list, or a family such as \`order.*\`; an unknown type is
a 400 \`VALIDATION_FAILED\` with \`param: "type"\`. \`created_gte\` and \`created_lt\` bound the creation time.

## Examples, one per object kind

${examples.join('\n\n')}
`;
}
