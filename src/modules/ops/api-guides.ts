import { TEST_CARDS } from '../payments/index.ts';

/**
 * The guides of the API reference, as Markdown in the OpenAPI document (`info.description` and tag
 * descriptions), so every renderer and generated client carries them and they ship with the code.
 */

const testCardRows: Record<keyof typeof TEST_CARDS, string> = {
  success: 'Authorized and captured: `201`, order `paid`.',
  declined: '`402 PAYMENT_DECLINED`, `decline_code: "card_declined"`; the stock is released.',
  insufficientFunds: '`402 PAYMENT_DECLINED`, `decline_code: "insufficient_funds"`.',
  processingError: '`402 PAYMENT_FAILED`, `decline_code: "processing_error"`.',
  slow: 'Succeeds after a delay (to try timeouts and in-flight retries).',
  lostResponse:
    'The gateway charges but its answer is lost: `202`, order `pending`, settled by the reconciliation job.',
};

const testCards = Object.entries(testCardRows)
  .map(([name, outcome]) => `| \`${TEST_CARDS[name as keyof typeof TEST_CARDS]}\` | ${outcome} |`)
  .join('\n');

export const API_DESCRIPTION = `Headless commerce over one HTTP API: catalog, search, carts, inventory, checkout, payments and orders.
Every request and response body is JSON; every money amount is an integer in the currency's minor unit
(\`2500\` = 25.00 USD).

## Quick start

\`npm start\` creates a demo store and prints its two keys once:

- a **publishable** key \`pk_test_…\` — safe in a browser: catalog reads, carts, checkout;
- a **secret** key \`sk_test_…\` — server side only: everything in the store.

Send a key as a bearer token:

\`\`\`sh
curl -H "Authorization: Bearer pk_test_…" http://localhost:3000/v1/products?limit=5
\`\`\`

Keys made with \`--mode test\` only ever reach the built-in test gateway; live keys never do. More keys:
\`crowdstart keys create --store store_… --kind secret\`.

## Cart to checkout

A cart is a signed token the client keeps; there is nothing to store on your side but the token.

1. \`POST /v1/carts\` with \`{ "lines": [{ "variant_id": "var_…", "quantity": 1 }] }\` → a cart with its \`token\`.
2. Every cart call takes the latest token in \`X-Cart-Token\` (or \`cart_token\` in the body) and answers the
   re-priced cart and a **new** token: \`POST /v1/carts/current/lines\`, \`PUT /v1/carts/current/shipping-address\`,
   \`PUT /v1/carts/current/shipping-rate\`, \`PUT /v1/carts/current/email\`, \`PUT /v1/carts/current/coupon\`.
3. \`POST /v1/checkout\` with \`{ "cart_token": "…", "payment": { "card": { … } } }\` and an \`Idempotency-Key\`
   → \`201\` with the paid order and its \`order_secret\` (shown once; the shopper's receipt is
   \`GET /v1/orders/{id}/public\` with \`X-Order-Secret\`).

Prices, discounts, taxes and stock are always recomputed on the server; a client price is never trusted.

## Idempotency and retries

Send an \`Idempotency-Key\` header (1–255 characters, e.g. a UUID) on every \`POST\`, \`PUT\`, \`PATCH\` and
\`DELETE\`; \`POST /v1/checkout\` requires one. With Stripe's semantics, per API key, for 24 hours:

| you send | you get |
|---|---|
| a new key | the request runs; its response is stored |
| the same key and the same request | the stored response, byte for byte, with \`Idempotent-Replayed: true\` |
| the same key and a different request | \`422 IDEMPOTENCY_KEY_REUSED\` |
| the same key while the first request still runs | \`409 IDEMPOTENCY_KEY_IN_USE\` with \`Retry-After\` |

So on a timeout, a network error, a \`409 IDEMPOTENCY_KEY_IN_USE\`, a \`429\`, a \`502\` or a \`503\`: retry **with the same
key** after \`Retry-After\` seconds (or an exponential backoff). One order, one charge, however often you retry.
Responses to \`401\`, \`403\`, \`429\` and \`5xx\` are not stored, so a retry runs again; nor are answers that
carry session tokens (sign-in, refresh), which are never kept in clear: a retry of those signs in again.

## Errors

Every error has one shape:

\`\`\`json
{ "error": { "type": "invalid_request_error", "code": "VALIDATION_FAILED",
             "message": "quantity: Too big: expected number to be <=9999", "param": "quantity",
             "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b" } }
\`\`\`

Branch on \`code\` (a closed catalogue, see \`docs/errors.md\`), never on \`message\`. \`param\` names the field, query
parameter or header at fault; unknown body fields and unknown query parameters are refused the same way. Some codes
carry more: \`decline_code\` and \`order_id\` on \`PAYMENT_DECLINED\`, \`current_version\` on \`VERSION_CONFLICT\`,
\`refundable\` on \`REFUND_EXCEEDS_CAPTURED\`, \`available\` on \`INSUFFICIENT_STOCK\`. Quote \`request_id\`
(also in the \`X-Request-Id\` header of every response) when you ask for help.

## Test cards

With a test key (\`pk_test_…\`), any expiry in the future and any CVC:

| card number | outcome |
|---|---|
${testCards}

## Conventions

- Lists: \`{ "object": "list", "data": [...], "has_more": true, "next_cursor": "…" }\`; pass \`?cursor=\` for the next page,
  \`?limit=\` up to 100.
- Catalog reads carry a strong \`ETag\` and CDN \`Cache-Control\`; send \`If-None-Match\` for a \`304\`.
- Admin updates take \`version\` (or \`If-Match\`) and answer \`409 VERSION_CONFLICT\` with \`current_version\`.
- Every response carries \`X-Request-Id\` (yours, if you sent a sane one) and a W3C \`traceparent\`.
`;

export const TAGS = [
  {
    name: 'Catalog',
    description:
      'Products, variants and collections. Publishable keys see active products only; reads are served from ' +
      'memory with a strong `ETag` and CDN `Cache-Control`. Writes use optimistic concurrency (`version` / `If-Match`).',
  },
  {
    name: 'Search',
    description: 'Full-text search with facets (price range, options, stock) and stable cursor pagination.',
  },
  {
    name: 'Carts',
    description:
      'Stateless carts: each call takes the latest cart token (`X-Cart-Token`) and answers the re-priced cart and a ' +
      'new token. Adding a line holds the stock for a while (`INSUFFICIENT_STOCK` when it cannot).',
  },
  {
    name: 'Checkout',
    description:
      'Turns a cart into an order and pays for it in one call. Needs an `Idempotency-Key`; a retry never makes a ' +
      'second order or a second charge. A decline answers `402 PAYMENT_DECLINED` with `decline_code` and ' +
      '`order_id`, and releases the stock.',
  },
  {
    name: 'Orders',
    description:
      'Orders and their lifecycle: `pending → paid → fulfilled → completed`, plus `cancelled` and refunds. Refunds ' +
      'never exceed what was captured (`REFUND_EXCEEDS_CAPTURED` carries `refundable`).',
  },
  {
    name: 'Events',
    description:
      'What happened in the store (orders, products, stock), newest first, kept 30 days. Each event carries the ' +
      'object as the API shows it in `data.object`; the catalogue of types is in docs/events.md. A key sees the ' +
      'events of its own mode.',
  },
  {
    name: 'Inventory',
    description: 'Stock levels per variant (`on_hand`, `committed`, `held`) and their ledger.',
  },
  {
    name: 'Customers',
    description:
      'Shopper accounts: sign-up, sessions (short-lived ES256 access tokens sent as `Customer-Token`, rotating ' +
      'refresh tokens), email verification, password reset, addresses and order history. Publishable key required.',
  },
  {
    name: 'Analytics',
    description:
      'Funnel events from storefronts (page and product views, cart adds, checkouts, orders), sent in batches; ' +
      'a beacon may send them as `text/plain` with the publishable key in the body.',
  },
  { name: 'Pricing', description: 'Coupons, tax rates and shipping rates used to price carts and orders.' },
  {
    name: 'Webhooks',
    description:
      'Endpoints that receive events, signed to the Standard Webhooks specification (`webhook-id`, ' +
      '`webhook-timestamp`, `webhook-signature`), retried for about 33 hours; the delivery log and redelivery.',
  },
  {
    name: 'Reports',
    description:
      'Funnel, sales, top products and zero-result searches from daily rollups the worker rebuilds every few ' +
      'minutes (`ANALYTICS_ROLLUP_EVERY_MS`); the overview is computed live. Days are UTC. Secret key or staff token.',
  },
  {
    name: 'Staff',
    description:
      'Dashboard users. Staff sign in with email and password and send the access token as `Authorization: Bearer` ' +
      'on any secret-key route, in the mode (`test` or `live`) chosen at sign-in, within their role: `owner` ' +
      '(everything), `staff` (everything but staff and API keys), `read_only` (reads only).',
  },
  { name: 'Store', description: 'The store of the calling key: its name, currency and settings.' },
  {
    name: 'Platform',
    description:
      'For the platform operator (root token `CROWDSTART_ROOT_TOKEN`): create stores, issue and revoke keys.',
  },
  { name: 'Operations', description: 'Liveness and readiness probes for load balancers and orchestrators.' },
  {
    name: 'Bulk',
    description:
      'Product import from a Shopify product CSV (checked whole, then written in one transaction) and CSV exports ' +
      'of products and orders, run by the worker as jobs whose progress you poll.',
  },
];
