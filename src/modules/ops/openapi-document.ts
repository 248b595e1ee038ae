import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../shared/http/env.ts';
import { API_DESCRIPTION, TAGS } from './api-guides.ts';

// The generated document is plain JSON; these are the few shapes the finishing pass touches.
type Json = Record<string, unknown>;
interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  additionalProperties?: boolean | Schema;
}
interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: unknown;
}
interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface Parameter {
  name?: string;
  in?: string;
  $ref?: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, MediaType> };
  responses: Record<string, Response>;
  'x-codeSamples'?: { lang: string; label: string; source: string }[];
}
export interface OpenApiDocument {
  openapi: string;
  info: Json;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; [k: string]: unknown };
  [k: string]: unknown;
}

const MUTATING: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Stable operation ids: clients generated from the document name their functions after these, so they are
 * written down rather than derived from paths that may be renamed. A route missing here gets a derived id.
 */
const OPERATION_IDS: Record<string, string> = {
  'GET /healthz': 'getHealth',
  'GET /readyz': 'getReadiness',
  'POST /v1/stores': 'createStore',
  'GET /v1/stores/{store_id}': 'getStore',
  'POST /v1/stores/{store_id}/keys': 'createApiKey',
  'GET /v1/stores/{store_id}/keys': 'listApiKeys',
  'POST /v1/stores/{store_id}/keys/{key_id}/revoke': 'revokeApiKey',
  'GET /v1/store': 'getCurrentStore',
  'PATCH /v1/store': 'updateCurrentStore',
  'POST /v1/coupons': 'createCoupon',
  'GET /v1/coupons': 'listCoupons',
  'GET /v1/coupons/code/{code}': 'getCouponByCode',
  'GET /v1/coupons/{id}': 'getCoupon',
  'PATCH /v1/coupons/{id}': 'updateCoupon',
  'DELETE /v1/coupons/{id}': 'deleteCoupon',
  'POST /v1/tax-rates': 'createTaxRate',
  'GET /v1/tax-rates': 'listTaxRates',
  'GET /v1/tax-rates/{id}': 'getTaxRate',
  'PATCH /v1/tax-rates/{id}': 'updateTaxRate',
  'DELETE /v1/tax-rates/{id}': 'deleteTaxRate',
  'POST /v1/shipping-rates': 'createShippingRate',
  'GET /v1/shipping-rates': 'listShippingRates',
  'GET /v1/shipping-rates/{id}': 'getShippingRate',
  'PATCH /v1/shipping-rates/{id}': 'updateShippingRate',
  'DELETE /v1/shipping-rates/{id}': 'deleteShippingRate',
  'GET /v1/products': 'listProducts',
  'POST /v1/products': 'createProduct',
  'GET /v1/products/{id}': 'getProduct',
  'PATCH /v1/products/{id}': 'updateProduct',
  'DELETE /v1/products/{id}': 'deleteProduct',
  'POST /v1/products/{id}/variants': 'createVariant',
  'GET /v1/products/search': 'searchProducts',
  'GET /v1/variants/by-sku/{sku}': 'getVariantBySku',
  'GET /v1/variants/{id}': 'getVariant',
  'PATCH /v1/variants/{id}': 'updateVariant',
  'DELETE /v1/variants/{id}': 'deleteVariant',
  'GET /v1/collections': 'listCollections',
  'POST /v1/collections': 'createCollection',
  'GET /v1/collections/{id}': 'getCollection',
  'PATCH /v1/collections/{id}': 'updateCollection',
  'DELETE /v1/collections/{id}': 'deleteCollection',
  'PUT /v1/collections/{id}/products': 'setCollectionProducts',
  'GET /v1/inventory/{variant_id}': 'getInventoryLevel',
  'PUT /v1/inventory/{variant_id}': 'setInventoryLevel',
  'POST /v1/inventory/{variant_id}/adjust': 'adjustInventory',
  'GET /v1/inventory/{variant_id}/movements': 'listInventoryMovements',
  'POST /v1/carts': 'createCart',
  'GET /v1/carts/current': 'getCart',
  'POST /v1/carts/current/lines': 'addCartLine',
  'PATCH /v1/carts/current/lines/{variant_id}': 'updateCartLine',
  'DELETE /v1/carts/current/lines/{variant_id}': 'removeCartLine',
  'PUT /v1/carts/current/coupon': 'applyCartCoupon',
  'DELETE /v1/carts/current/coupon': 'removeCartCoupon',
  'PUT /v1/carts/current/email': 'setCartEmail',
  'PUT /v1/carts/current/shipping-address': 'setCartShippingAddress',
  'PUT /v1/carts/current/billing-address': 'setCartBillingAddress',
  'PUT /v1/carts/current/shipping-rate': 'setCartShippingRate',
  'GET /v1/orders': 'listOrders',
  'GET /v1/orders/{id}': 'getOrder',
  'GET /v1/orders/{id}/public': 'getPublicOrder',
  'POST /v1/orders/{id}/fulfill': 'fulfillOrder',
  'POST /v1/orders/{id}/cancel': 'cancelOrder',
  'POST /v1/orders/{id}/refund': 'refundOrder',
  'POST /v1/orders/{id}/complete': 'completeOrder',
  'POST /v1/checkout': 'createCheckout',
  'GET /v1/events': 'listEvents',
  'GET /v1/events/{id}': 'getEvent',
  'POST /v1/stores/{store_id}/owner_link': 'createOwnerLink',
  'POST /v1/staff/sessions': 'createStaffSession',
  'POST /v1/staff/sessions/refresh': 'refreshStaffSession',
  'POST /v1/staff/sessions/revoke': 'revokeStaffSession',
  'POST /v1/staff/accept': 'acceptStaffInvitation',
  'GET /v1/staff/me': 'getCurrentStaffUser',
  'POST /v1/staff': 'inviteStaffUser',
  'GET /v1/staff': 'listStaffUsers',
  'PATCH /v1/staff/{id}': 'updateStaffUser',
  'DELETE /v1/staff/{id}': 'deleteStaffUser',
  'GET /v1/api_keys': 'listStoreApiKeys',
  'POST /v1/api_keys': 'createStoreApiKey',
  'POST /v1/api_keys/{id}/revoke': 'revokeStoreApiKey',
  'POST /v1/customers': 'createCustomer',
  'POST /v1/customers/sessions': 'createCustomerSession',
  'POST /v1/customers/sessions/refresh': 'refreshCustomerSession',
  'POST /v1/customers/sessions/revoke': 'revokeCustomerSession',
  'GET /v1/customers/me': 'getCurrentCustomer',
  'PATCH /v1/customers/me': 'updateCurrentCustomer',
  'GET /v1/customers/me/addresses': 'listCustomerAddresses',
  'POST /v1/customers/me/addresses': 'createCustomerAddress',
  'PATCH /v1/customers/me/addresses/{id}': 'updateCustomerAddress',
  'DELETE /v1/customers/me/addresses/{id}': 'deleteCustomerAddress',
  'GET /v1/customers/me/orders': 'listCustomerOrders',
  'POST /v1/customers/verify_email': 'verifyCustomerEmail',
  'POST /v1/customers/password_reset': 'requestCustomerPasswordReset',
  'POST /v1/customers/password_reset/confirm': 'confirmCustomerPasswordReset',
  'GET /.well-known/jwks.json': 'getJsonWebKeySet',
  'POST /v1/analytics/events': 'recordFunnelEvents',
  'GET /v1/reports/funnel': 'getFunnelReport',
  'GET /v1/reports/sales': 'getSalesReport',
  'GET /v1/reports/top_products': 'getTopProductsReport',
  'GET /v1/reports/search_terms': 'getSearchTermsReport',
  'GET /v1/reports/overview': 'getOverviewReport',
  'POST /v1/webhooks/{gateway}/{store_id}': 'receiveGatewayWebhook',
  'POST /v1/webhook_endpoints': 'createWebhookEndpoint',
  'GET /v1/webhook_endpoints': 'listWebhookEndpoints',
  'GET /v1/webhook_endpoints/{id}': 'getWebhookEndpoint',
  'PATCH /v1/webhook_endpoints/{id}': 'updateWebhookEndpoint',
  'DELETE /v1/webhook_endpoints/{id}': 'deleteWebhookEndpoint',
  'POST /v1/webhook_endpoints/{id}/rotate_secret': 'rotateWebhookEndpointSecret',
  'GET /v1/webhook_endpoints/{id}/deliveries': 'listWebhookDeliveries',
  'GET /v1/webhook_endpoints/{id}/deliveries/{delivery_id}': 'getWebhookDelivery',
  'POST /v1/webhook_endpoints/{id}/deliveries/{delivery_id}/retry': 'retryWebhookDelivery',
  'POST /v1/webhook_endpoints/{id}/redeliver': 'redeliverWebhookEvents',
  'POST /v1/webhook_endpoints/{id}/test': 'sendTestWebhook',
};

function derivedOperationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'v1')
    .map((s) => (s.startsWith('{') ? `by-${s.slice(1, -1)}` : s))
    .join('-')
    .split(/[-_]/);
  return [method, ...words].map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('');
}

/**
 * Operations whose 200 carries an `ETag` without answering `304` (catalog reads with `304` are found by it):
 * search results (publishable keys) and the versioned pricing objects (the `ETag` is the `If-Match` to send).
 */
const ETAG_ONLY: ReadonlySet<string> = new Set([
  'searchProducts',
  'getCouponByCode',
  'getCoupon',
  'updateCoupon',
  'getTaxRate',
  'updateTaxRate',
  'getShippingRate',
  'updateShippingRate',
]);

const header = (description: string, schema: Schema = { type: 'string' }) => ({ description, schema });

const COMPONENT_HEADERS = {
  'X-Request-Id': header(
    'The id of this request (yours when you sent a sane `X-Request-Id`); quote it when asking for help.',
  ),
  traceparent: header('W3C trace context of this request (continues yours when you sent one).'),
  'Idempotent-Replayed': header(
    '`true` when this response is the stored answer to an earlier request with the same key.',
    {
      type: 'string',
      enum: ['true'],
    },
  ),
  'Retry-After': header('Seconds to wait before retrying (with the same `Idempotency-Key`).', {
    type: 'integer',
    minimum: 0,
  }),
  ETag: header('A strong validator of the body; send it back as `If-None-Match` to get a `304`.'),
  'Cache-Control': header(
    'How long a CDN or browser may keep the response (`public, max-age, stale-while-revalidate`).',
  ),
};

const idempotencyKey = (required: boolean) => ({
  name: 'Idempotency-Key',
  in: 'header',
  required,
  description:
    'Makes the request safe to retry: the same key and request answer the stored response (with ' +
    '`Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; ' +
    'while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.' +
    (required ? ' Required: a checkout must never be charged twice.' : ''),
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  example: 'a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e',
});

const errorRef = { $ref: '#/components/schemas/Error' };
const errorContent = () => ({ 'application/json': { schema: errorRef } });
const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

const EXTRA_ERRORS: Record<string, string> = {
  '409': 'Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`)',
  '422': 'The `Idempotency-Key` was used with a different request',
  '500': 'Unexpected error; it is logged with the request id',
  '503': 'Shutting down or database unreachable; retry after `Retry-After`',
};

// ----------------------------------------------------------------------------------- examples

const ID_BODY = '01jb8x6k2m3n4p5q6r7s8t9v0w';
const ID_PREFIX_BY_FIELD: Record<string, string> = {
  store_id: 'store',
  product_id: 'prod',
  variant_id: 'var',
  collection_id: 'coll',
  order_id: 'ord',
  payment_id: 'pay',
  refund_id: 'ref',
  coupon_id: 'cpn',
  shipping_rate_id: 'shr',
  tax_rate_id: 'txr',
  key_id: 'key',
  cart_id: 'cart',
  endpoint_id: 'we',
  delivery_id: 'whd',
};
const ID_PREFIX_BY_OBJECT: Record<string, string> = {
  store: 'store',
  api_key: 'key',
  product: 'prod',
  variant: 'var',
  collection: 'coll',
  order: 'ord',
  payment: 'pay',
  refund: 'ref',
  coupon: 'cpn',
  tax_rate: 'txr',
  shipping_rate: 'shr',
  cart: 'cart',
  inventory_movement: 'mov',
  fulfillment: 'ful',
  webhook_endpoint: 'we',
  webhook_delivery: 'whd',
  webhook_attempt: 'wha',
};
const STRING_BY_FIELD: Record<string, string> = {
  email: 'shopper@example.com',
  currency: 'USD',
  country: 'US',
  slug: 'linen-shirt',
  sku: 'SHIRT-M-BLUE',
  title: 'Linen shirt',
  name: 'Jane Doe',
  line1: '350 Fifth Avenue',
  line2: 'Floor 4',
  city: 'New York',
  region: 'NY',
  postal_code: '10118',
  phone: '+1 212 736 3100',
  code: 'SUMMER10',
  description: 'Breathable linen, cut for summer.',
  message: 'The card was declined.',
  request_id: 'req_5f2c9a1e7b3d4c6a8e0f1a2b',
  cart_token: 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl',
  token: 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl',
  number: '4242424242424242',
  cvc: '123',
  cursor: 'eyJ2IjpbIjAxIl19',
  q: 'linen',
  tracking_number: '1Z999AA10123456784',
  carrier: 'UPS',
  alt: 'A blue linen shirt, front',
  countrie: 'US',
  fulfillment_status: 'unfulfilled',
  payment_status: 'paid',
  status: 'active',
  hint: 'Did you mean "linen"?',
  note: 'Left at the front desk',
  order_secret: 'os_3q9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9',
  product_slug: 'linen-shirt',
  product_title: 'Linen shirt',
  variant_title: 'M / Blue',
  reason: 'requested_by_customer',
  reference: 'ch_3Pq9xk2m7v1c8b4n',
  replacement: 'linen',
  key: 'pk_test_51Hq9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9',
  secret_key: 'sk_test_51Hq9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9',
  webhook_secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  tag: 'summer',
  value: 'Blue',
  word: 'linen',
  type: 'payment_error',
  object: 'list',
  next_cursor: 'eyJ2IjpbIjAxIl19',
};

function resolve(doc: OpenApiDocument, s: Schema | undefined): Schema | undefined {
  if (s?.$ref) return doc.components.schemas?.[s.$ref.split('/').pop() ?? ''];
  return s;
}

/** A plausible value of a schema, named by the field it fills, so examples read like real API traffic. */
function sample(
  doc: OpenApiDocument,
  schema: Schema | undefined,
  field = '',
  depth = 0,
  object = '',
): unknown {
  const s = resolve(doc, schema);
  if (!s || depth > 8) return null;
  if (s.example !== undefined) return s.example;
  if (s.examples?.length) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum.find((v) => v !== null) ?? s.enum[0];
  if (s.default !== undefined && s.default !== null) return s.default;
  const union = s.anyOf ?? s.oneOf;
  if (union) {
    const first = union.find((u) => resolve(doc, u)?.type !== 'null') ?? union[0];
    return sample(doc, first, field, depth + 1, object);
  }
  if (s.allOf) {
    return Object.assign({}, ...s.allOf.map((part) => sample(doc, part, field, depth + 1, object)));
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = s.properties ?? {};
      const objectName = resolve(doc, props.object)?.const ?? resolve(doc, props.object)?.enum?.[0];
      for (const [name, prop] of Object.entries(props)) {
        out[name] = sample(doc, prop, name, depth + 1, typeof objectName === 'string' ? objectName : '');
      }
      return out;
    }
    case 'array': {
      const n = Math.max(1, s.minItems ?? 1);
      return Array.from({ length: n }, () => sample(doc, s.items, field.replace(/s$/, ''), depth + 1));
    }
    case 'integer':
    case 'number':
      return numberFor(field, s);
    case 'boolean':
      return !/^(deleted|has_more|revoked)$/.test(field) || field === 'deleted';
    case 'null':
      return null;
    default:
      return stringFor(field, s, object);
  }
}

function numberFor(field: string, s: Schema): number {
  let n = 2500;
  if (/quantity|qty|^on_hand$|available|held|committed|delta/.test(field)) n = 2;
  else if (/version/.test(field)) n = 3;
  else if (/limit/.test(field)) n = 20;
  else if (/exp_month/.test(field)) n = 12;
  else if (/exp_year/.test(field)) n = 2030;
  else if (/percent|rate_bps|basis/.test(field)) n = 10;
  else if (/^count$|_count$|position|attempts/.test(field)) n = 1;
  else if (/discount/.test(field)) n = 250;
  if (s.maximum !== undefined && n > s.maximum) n = s.maximum;
  if (s.minimum !== undefined && n < s.minimum) n = s.minimum;
  if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) n = s.exclusiveMinimum + 1;
  return n;
}

function stringFor(field: string, s: Schema, object: string): string {
  if (s.format === 'email' || field === 'email') return 'shopper@example.com';
  if (s.format === 'date-time' || /_at$|_from$|_to$/.test(field)) return '2026-03-14T15:09:26.000Z';
  if (s.format === 'uri' || /url$/.test(field)) return 'https://shop.example.com/images/linen-shirt.jpg';
  const prefix =
    ID_PREFIX_BY_FIELD[field] ?? (field === 'id' ? ID_PREFIX_BY_OBJECT[object] : undefined) ?? undefined;
  if (prefix) return `${prefix}_${ID_BODY}`;
  if (s.pattern) {
    const m = /\^\(?:?\??:?([a-z]+)_/.exec(s.pattern) ?? /\^([a-z]+)_/.exec(s.pattern);
    if (m) return `${m[1]}_${ID_BODY}`;
  }
  let v =
    STRING_BY_FIELD[field] ?? (/_id$/.test(field) ? `${field.slice(0, 3)}_${ID_BODY}` : field || 'string');
  if (s.minLength !== undefined && v.length < s.minLength) v = v.padEnd(s.minLength, 'x');
  return v;
}

const ADDRESS_EXAMPLE = {
  name: 'Jane Doe',
  line1: '350 Fifth Avenue',
  line2: 'Floor 4',
  city: 'New York',
  region: 'NY',
  postal_code: '10118',
  country: 'US',
  phone: '+1 212 736 3100',
};

/** Request examples written out where a generated one would mislead (one of card or payment_method, …). */
const REQUEST_EXAMPLES: Record<string, unknown> = {
  createCart: {
    currency: 'USD',
    email: 'shopper@example.com',
    lines: [{ variant_id: `var_${ID_BODY}`, quantity: 1 }],
  },
  addCartLine: { variant_id: `var_${ID_BODY}`, quantity: 2 },
  setCartShippingAddress: ADDRESS_EXAMPLE,
  setCartBillingAddress: ADDRESS_EXAMPLE,
  createCheckout: {
    cart_token: STRING_BY_FIELD.cart_token,
    payment: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' } },
    email: 'shopper@example.com',
  },
};

// --------------------------------------------------------------------------------- code samples

function codeSamples(doc: OpenApiDocument, method: string, path: string, op: Operation) {
  const secret = op.security?.some((s) => 'secretKey' in s || 'rootToken' in s);
  const keyed = (op.security?.length ?? 0) > 0;
  const key = op.security?.some((s) => 'rootToken' in s)
    ? '$CROWDSTART_ROOT_TOKEN'
    : secret
      ? 'sk_test_…'
      : 'pk_test_…';
  const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const p = op.parameters?.find((x) => x.name === name && x.in === 'path');
    const v = sample(doc, p?.schema, name);
    return encodeURIComponent(String(v));
  });
  const body = op.requestBody?.content?.['application/json']?.example;
  const lines = [`curl -X ${method.toUpperCase()} "http://localhost:3000${url}"`];
  if (keyed) lines.push(`  -H "Authorization: Bearer ${key}"`);
  if (MUTATING.has(method)) lines.push('  -H "Idempotency-Key: $(uuidgen)"');
  if (body !== undefined) {
    lines.push('  -H "Content-Type: application/json"');
    lines.push(`  -d '${JSON.stringify(body)}'`);
  }
  const fetchArgs: string[] = [];
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
  if (pathParams.length)
    fetchArgs.push(`params: { path: { ${pathParams.map((n) => `${n}: '…'`).join(', ')} } }`);
  if (body !== undefined) fetchArgs.push(`body: ${JSON.stringify(body)}`);
  const js = [
    "import createClient from 'openapi-fetch';",
    "import type { paths } from './crowdstart'; // npx openapi-typescript http://localhost:3000/v1/openapi.json -o crowdstart.d.ts",
    '',
    `const api = createClient<paths>({ baseUrl: 'http://localhost:3000'${keyed ? `, headers: { Authorization: 'Bearer ${key}' }` : ''} });`,
    `const { data, error } = await api.${method.toUpperCase()}('${path}'${fetchArgs.length ? `, { ${fetchArgs.join(', ')} }` : ''});`,
    'if (error) console.error(error.error.code, error.error.message);',
  ];
  return [
    { lang: 'Shell', label: 'curl', source: lines.join(' \\\n') },
    { lang: 'TypeScript', label: 'openapi-fetch', source: js.join('\n') },
  ];
}

// ------------------------------------------------------------------------------------ finishing

/**
 * The cross-cutting parts of the document, done once here rather than in every route: operation ids,
 * `Idempotency-Key` on every mutating operation, the response headers every response carries, the one
 * error schema on every error response, examples on every body, and code samples.
 */
export function finishDocument(doc: OpenApiDocument): OpenApiDocument {
  doc.components.headers = COMPONENT_HEADERS;
  doc.components.parameters = {
    ...(doc.components.parameters as object),
    IdempotencyKey: idempotencyKey(false),
    IdempotencyKeyRequired: idempotencyKey(true),
  };
  const used = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id =
        OPERATION_IDS[`${method.toUpperCase()} ${path}`] ??
        op.operationId ??
        derivedOperationId(method, path);
      if (used.has(id)) throw new Error(`duplicate operationId ${id} (${method} ${path})`);
      used.add(id);
      op.operationId = id;
      op.security ??= [];

      const mutating = MUTATING.has(method);
      op.parameters = (op.parameters ?? []).filter(
        (p) => !(p.in === 'header' && p.name?.toLowerCase() === 'idempotency-key'),
      );
      const keyed = op.security.length > 0;
      if (mutating && keyed) {
        op.parameters.push(
          ref(
            'parameters',
            path === '/v1/checkout' ? 'IdempotencyKeyRequired' : 'IdempotencyKey',
          ) as Parameter,
        );
      }
      if (op.parameters.length === 0) delete op.parameters;

      const responses = op.responses;
      for (const [status, text] of Object.entries(EXTRA_ERRORS)) {
        if (responses[status]) continue;
        if ((status === '409' || status === '422') && !(mutating && keyed)) continue;
        responses[status] = { description: text };
      }
      const cached = method === 'get' && responses['304'] !== undefined;
      for (const [status, response] of Object.entries(responses)) {
        const code = Number(status);
        const headers: Record<string, unknown> = {
          'X-Request-Id': ref('headers', 'X-Request-Id'),
          traceparent: ref('headers', 'traceparent'),
        };
        if (code >= 400) response.content = errorContent();
        if (code === 429 || code === 503 || (code === 409 && mutating && keyed)) {
          headers['Retry-After'] = ref('headers', 'Retry-After');
        }
        if (mutating && keyed && code < 300)
          headers['Idempotent-Replayed'] = ref('headers', 'Idempotent-Replayed');
        if (cached && (code === 200 || code === 304)) {
          headers.ETag = ref('headers', 'ETag');
          headers['Cache-Control'] = ref('headers', 'Cache-Control');
        }
        if (ETAG_ONLY.has(id) && code === 200) headers.ETag = ref('headers', 'ETag');
        response.headers = { ...response.headers, ...headers };
        for (const media of Object.values(response.content ?? {})) {
          if (media.example === undefined && media.examples === undefined && media.schema) {
            media.example = sample(doc, media.schema);
          }
        }
      }
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        if (REQUEST_EXAMPLES[id] !== undefined) media.example = REQUEST_EXAMPLES[id];
        if (media.example === undefined && media.examples === undefined && media.schema) {
          media.example = sample(doc, media.schema);
        }
      }
      op['x-codeSamples'] = codeSamples(doc, method, path, op);
    }
  }
  return doc;
}

/**
 * The document of the app's routes, built once on first use (every route is mounted by then) and shared by
 * `/v1/openapi.json` and the middleware that refuses undeclared query parameters.
 */
export function createApiDocument(app: OpenAPIHono<AppEnv>): () => OpenApiDocument {
  app.openAPIRegistry.registerComponent('securitySchemes', 'publishableKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'Publishable key `pk_test_…` / `pk_live_…`: storefront reads, carts, checkout. Safe in a browser.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'secretKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'Secret key `sk_test_…` / `sk_live_…`: everything in the store. Keep it on a server. A staff access token ' +
      '(from `POST /v1/staff/sessions`) is taken here too, in the mode chosen at sign-in and within its role.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'customerToken', {
    type: 'apiKey',
    in: 'header',
    name: 'Customer-Token',
    description:
      "A signed-in customer's access token (ES256 JWT, 15 minutes; verify it with `/.well-known/jwks.json`), " +
      'sent with the publishable key.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'rootToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The platform root token (`CROWDSTART_ROOT_TOKEN`): creates stores and keys.',
  });
  let doc: OpenApiDocument | null = null;
  return () => {
    doc ??= finishDocument(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Crowdstart API',
          version: '1.0.0',
          description: API_DESCRIPTION,
          license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
        },
        servers: [{ url: '/', description: 'The server that serves this document' }],
        tags: TAGS,
      }) as unknown as OpenApiDocument,
    );
    return doc;
  };
}
