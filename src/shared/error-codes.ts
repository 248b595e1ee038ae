/**
 * The closed catalogue of error codes. Every AppError carries one of these codes;
 * `docs/errors.md` lists the same set (a test keeps them in sync).
 * Each entry gives the HTTP status, the error `type`, and what it means.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'payment_error'
  | 'idempotency_error'
  | 'api_error';

interface ErrorSpec {
  status: 400 | 401 | 402 | 403 | 404 | 405 | 409 | 410 | 412 | 413 | 415 | 422 | 429 | 500 | 502 | 503;
  type: ErrorType;
  description: string;
}

export const ERROR_CODES = {
  // request shape
  VALIDATION_FAILED: {
    status: 400,
    type: 'invalid_request_error',
    description: 'A parameter is missing, of the wrong type, out of range or not allowed; `param` names it.',
  },
  MALFORMED_JSON: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The request body is not valid JSON.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    type: 'invalid_request_error',
    description: 'The request body must be `application/json`.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    type: 'invalid_request_error',
    description: 'The request body is larger than the limit (1 MiB; 32 KB for a batch of funnel events).',
  },
  INVALID_CURSOR: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The pagination cursor is malformed or belongs to another list.',
  },
  INVALID_ID: {
    status: 400,
    type: 'invalid_request_error',
    description: 'An identifier in the path is not of the expected form.',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No route matches the method and path.',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    type: 'invalid_request_error',
    description: 'The route exists but not for this method.',
  },
  // auth
  AUTH_REQUIRED: {
    status: 401,
    type: 'authentication_error',
    description: 'No `Authorization: Bearer <key>` header was sent.',
  },
  INVALID_API_KEY: {
    status: 401,
    type: 'authentication_error',
    description: 'The API key is malformed, unknown or revoked.',
  },
  INVALID_ROOT_TOKEN: {
    status: 401,
    type: 'authentication_error',
    description: 'The root token is wrong, or no root token is configured.',
  },
  INVALID_METRICS_TOKEN: {
    status: 401,
    type: 'authentication_error',
    description: '`/metrics` is protected by `METRICS_TOKEN` and the bearer token sent is not it.',
  },
  SECRET_KEY_REQUIRED: {
    status: 403,
    type: 'permission_error',
    description: 'The route needs a secret key (`sk_…`); a publishable key was sent.',
  },
  LIVE_KEY_REQUIRED: {
    status: 403,
    type: 'permission_error',
    description:
      'Only a live secret key (`sk_live_`) may change live-mode settings such as `settings.stripe.live`.',
  },
  RATE_LIMITED: {
    status: 429,
    type: 'rate_limit_error',
    description: 'Too many requests for this key; retry after the `Retry-After` seconds.',
  },
  // staff
  INVALID_STAFF_TOKEN: {
    status: 401,
    type: 'authentication_error',
    description:
      'The staff access token is malformed, expired, for another audience or signed by an unknown key.',
  },
  STAFF_ROLE_FORBIDDEN: {
    status: 403,
    type: 'permission_error',
    description:
      "The staff user's role does not allow this: `read_only` may only read, and only an `owner` manages staff and API keys.",
  },
  STAFF_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No staff user with this id in the store.',
  },
  STAFF_TOKEN_REQUIRED: {
    status: 403,
    type: 'permission_error',
    description:
      'The route is about the signed-in staff user and needs a staff access token, not an API key.',
  },
  STAFF_EMAIL_TAKEN: {
    status: 409,
    type: 'conflict_error',
    description: 'Another staff user of the store already has this email.',
  },
  STAFF_LAST_OWNER: {
    status: 409,
    type: 'conflict_error',
    description: 'The store must keep at least one active owner; promote another owner first.',
  },
  STAFF_INVITATION_INVALID: {
    status: 400,
    type: 'invalid_request_error',
    description:
      'The invitation or sign-in link is unknown, already used or expired; ask an owner for a new one.',
  },
  // customers and sessions
  CUSTOMER_AUTH_REQUIRED: {
    status: 401,
    type: 'authentication_error',
    description: 'The route needs a signed-in customer: send the access token as `Customer-Token: <jwt>`.',
  },
  CUSTOMER_TOKEN_INVALID: {
    status: 401,
    type: 'authentication_error',
    description:
      'The `Customer-Token` is malformed, expired, signed by an unknown key, meant for another audience or another store; refresh the session.',
  },
  INVALID_CREDENTIALS: {
    status: 401,
    type: 'authentication_error',
    description: 'The email or password is wrong (the answer is the same whether or not the account exists).',
  },
  REFRESH_TOKEN_INVALID: {
    status: 401,
    type: 'authentication_error',
    description:
      'The refresh token is unknown, expired, revoked or was already used (a reused token revokes its whole session family); sign in again.',
  },
  EMAIL_TOKEN_INVALID: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The email verification or password reset token is unknown, already used or expired.',
  },
  CUSTOMER_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No such customer in the store, or the signed-in customer no longer exists.',
  },
  ADDRESS_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'The signed-in customer has no address with this id.',
  },
  // stores and keys
  STORE_NOT_FOUND: { status: 404, type: 'not_found_error', description: 'No store with this id.' },
  API_KEY_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No API key with this id in the store.',
  },
  // catalog
  PRODUCT_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No product with this id or slug in the store (or it is not active, for publishable keys).',
  },
  VARIANT_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No variant with this id or SKU in the store.',
  },
  COLLECTION_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No collection with this id or slug in the store.',
  },
  SLUG_TAKEN: {
    status: 409,
    type: 'conflict_error',
    description: 'Another product or collection of the store already uses this slug.',
  },
  SKU_TAKEN: {
    status: 409,
    type: 'conflict_error',
    description: 'Another variant of the store already uses this SKU.',
  },
  VERSION_CONFLICT: {
    status: 409,
    type: 'conflict_error',
    description:
      'The resource changed since the version you sent (`version` or `If-Match`); re-read it and retry.',
  },
  INVALID_OPTION_VALUES: {
    status: 400,
    type: 'invalid_request_error',
    description: "A variant's option values do not match the product's options.",
  },
  // idempotency
  IDEMPOTENCY_KEY_REQUIRED: {
    status: 400,
    type: 'idempotency_error',
    description: 'This route needs an `Idempotency-Key` header.',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    type: 'idempotency_error',
    description: 'The `Idempotency-Key` header is empty or longer than 255 characters.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    type: 'idempotency_error',
    description: 'The `Idempotency-Key` was already used with a different request.',
  },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    type: 'idempotency_error',
    description: 'A request with this `Idempotency-Key` is still in flight; retry later.',
  },
  // carts
  CART_TOKEN_MISSING: { status: 400, type: 'invalid_request_error', description: 'No cart token was sent.' },
  CART_TOKEN_MALFORMED: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The cart token is not a well-formed signed cart.',
  },
  CART_TOKEN_INVALID_SIGNATURE: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The cart token signature does not verify (tampered, or signed by an unknown key).',
  },
  CART_TOKEN_EXPIRED: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The cart token has expired; start a new cart.',
  },
  CART_TOKEN_WRONG_STORE: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The cart token belongs to another store.',
  },
  CART_TOKEN_TOO_LARGE: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The cart token is larger than 8 KB.',
  },
  CART_LINE_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'The cart has no line for this variant.',
  },
  CART_TOO_MANY_LINES: {
    status: 400,
    type: 'invalid_request_error',
    description: 'A cart holds at most 100 lines.',
  },
  CART_EMPTY: { status: 400, type: 'invalid_request_error', description: 'The cart has no lines.' },
  VARIANT_UNAVAILABLE: {
    status: 409,
    type: 'conflict_error',
    description: 'The variant is not for sale (product not active, or removed).',
  },
  CURRENCY_MISMATCH: {
    status: 400,
    type: 'invalid_request_error',
    description: "The currency differs from the store's or the cart's.",
  },
  // inventory
  INSUFFICIENT_STOCK: {
    status: 409,
    type: 'conflict_error',
    description: 'Not enough stock is available for the quantity asked.',
  },
  INVENTORY_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No inventory level for this variant.',
  },
  // pricing
  COUPON_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No coupon with this code in the store.',
  },
  COUPON_CODE_TAKEN: {
    status: 409,
    type: 'conflict_error',
    description: 'Another coupon of the store already uses this code.',
  },
  COUPON_NOT_APPLICABLE: {
    status: 409,
    type: 'conflict_error',
    description: 'The coupon is not active yet, has ended, or the cart is below its minimum subtotal.',
  },
  COUPON_EXHAUSTED: {
    status: 409,
    type: 'conflict_error',
    description: 'The coupon has reached its usage limit.',
  },
  SHIPPING_RATE_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No shipping rate with this id for the destination.',
  },
  TAX_RATE_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No tax rate with this id in the store.',
  },
  TAX_RATE_EXISTS: {
    status: 409,
    type: 'conflict_error',
    description: 'The store already has a tax rate for this country and region.',
  },
  SHIPPING_REQUIRED: {
    status: 400,
    type: 'invalid_request_error',
    description: 'Checkout needs a shipping address and a shipping choice.',
  },
  EMAIL_REQUIRED: {
    status: 400,
    type: 'invalid_request_error',
    description: 'Checkout needs an email address.',
  },
  // payments and checkout
  PAYMENT_DECLINED: {
    status: 402,
    type: 'payment_error',
    description: 'The payment was declined; the reservations were released. `decline_code` tells why.',
  },
  PAYMENT_FAILED: {
    status: 402,
    type: 'payment_error',
    description: 'The gateway could not process the payment (processing error).',
  },
  GATEWAY_UNAVAILABLE: {
    status: 502,
    type: 'api_error',
    description: 'The payment gateway could not be reached; the order stays pending and is reconciled.',
  },
  GATEWAY_NOT_CONFIGURED: {
    status: 400,
    type: 'invalid_request_error',
    description: "The store's payment gateway is not configured.",
  },
  LIVE_GATEWAY_NOT_CONFIGURED: {
    status: 400,
    type: 'invalid_request_error',
    description:
      'A live key (`pk_live_`/`sk_live_`) pays only through Stripe live credentials (`settings.stripe.live`); the built-in test gateway takes test keys only.',
  },
  TEST_CARD_IN_LIVE_MODE: {
    status: 400,
    type: 'invalid_request_error',
    description:
      'A test card number was sent with a live key; use a test key (`pk_test_`) to pay with test cards.',
  },
  CART_ALREADY_CHECKED_OUT: {
    status: 409,
    type: 'conflict_error',
    description:
      'The cart already has an order that is not cancelled; `order_id` names it. Nothing was charged.',
  },
  INVALID_WEBHOOK_SIGNATURE: {
    status: 400,
    type: 'invalid_request_error',
    description: 'The webhook signature does not verify.',
  },
  // events
  EVENT_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No event with this id for this key: another store, the other mode, or older than 30 days.',
  },
  // orders
  ORDER_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No order with this id in the store, or the order secret is wrong.',
  },
  INVALID_ORDER_TRANSITION: {
    status: 409,
    type: 'conflict_error',
    description: 'The order cannot move to that state from its current one.',
  },
  REFUND_EXCEEDS_CAPTURED: {
    status: 409,
    type: 'conflict_error',
    description: 'The refund would take more than what was captured and not yet refunded.',
  },
  // webhooks
  WEBHOOK_URL_NOT_ALLOWED: {
    status: 400,
    type: 'invalid_request_error',
    description:
      'The webhook URL is refused: not http(s), http in live mode, credentials in it, or a host that is or ' +
      'resolves to a loopback, private, link-local or reserved address.',
  },
  WEBHOOK_ENDPOINT_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No webhook endpoint with this id in the store and mode of the key.',
  },
  WEBHOOK_DELIVERY_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No delivery with this id for the webhook endpoint.',
  },
  BULK_JOB_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    description: 'No bulk import or export job with this id in the store.',
  },
  BULK_FILE_NOT_READY: {
    status: 409,
    type: 'conflict_error',
    description:
      'The job has no file to download: it is an import, or an export that has not succeeded (yet).',
  },
  // server
  SERVICE_UNAVAILABLE: {
    status: 503,
    type: 'api_error',
    description: 'The service is shutting down or its database is unreachable.',
  },
  INTERNAL_ERROR: {
    status: 500,
    type: 'api_error',
    description: 'An unexpected error; it is logged with the request id.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
