import type { StoreSettings } from '../stores/index.ts';

/** Raw card data. Only the built-in `test` gateway accepts it; Stripe needs a `payment_method` token. */
export interface CardInput {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc: string;
}

export interface PaymentInput {
  card?: CardInput;
  /** A gateway token, e.g. Stripe `pm_…`. */
  payment_method?: string;
}

export type GatewayStatus =
  | 'authorized'
  | 'captured'
  | 'declined'
  | 'failed'
  | 'voided'
  | 'processing'
  | 'not_found';

/**
 * What the gateway says about one payment. Amounts are minor units. After a partial capture
 * `amountAuthorized` keeps the original authorization; refunds never change `status`
 * (a fully refunded payment is still `captured`, with `amountRefunded === amountCaptured`).
 */
export interface GatewayResult {
  status: GatewayStatus;
  /** The gateway's id for the payment (`pi_…` for Stripe, `tpi_…` for the test gateway). */
  reference: string | null;
  amountAuthorized: number;
  amountCaptured: number;
  amountRefunded: number;
  declineCode?: string;
  message?: string;
}

/** The request may or may not have reached the gateway, and it may or may not have acted: the caller must reconcile. */
export class GatewayTimeoutError extends Error {
  constructor(message = 'The payment gateway did not answer in time; the outcome is unknown.') {
    super(message);
    this.name = 'GatewayTimeoutError';
  }
}

/** The gateway could not be reached (or refused us) before anything happened: nothing was charged. */
export class GatewayUnavailableError extends Error {
  constructor(message = 'The payment gateway could not be reached.') {
    super(message);
    this.name = 'GatewayUnavailableError';
  }
}

export interface AuthorizeInput {
  orderId: string;
  amount: number;
  currency: string;
  payment: PaymentInput;
  /** true: authorize and capture at once; false: authorize only (capture later). */
  capture: boolean;
  idempotencyKey: string;
  email?: string | null;
}

export interface RefundResult {
  status: 'succeeded' | 'failed';
  /** The gateway's id for the refund (`re_…` / `tre_…`), null when it failed. */
  reference: string | null;
  /** The amount of THIS refund (0 when it failed). */
  amountRefunded: number;
}

export interface WebhookEvent {
  type: string;
  orderId: string | null;
  reference: string | null;
  status: GatewayStatus;
}

/**
 * The payment gateway port. A decline or a processing failure is a RESULT; only transport problems throw
 * (GatewayTimeoutError, GatewayUnavailableError). Every mutating call is idempotent on `idempotencyKey`:
 * repeating it returns the first result and never charges twice.
 */
export interface PaymentGateway {
  readonly name: 'test' | 'stripe';
  authorize(i: AuthorizeInput): Promise<GatewayResult>;
  /** Captures `amount` (≤ authorized) of an authorized payment; the rest of the authorization is released. */
  capture(i: { reference: string; amount: number; idempotencyKey: string }): Promise<GatewayResult>;
  /** Releases an authorization that was not captured. */
  void(i: { reference: string; idempotencyKey: string }): Promise<GatewayResult>;
  /** Refunds `amount` (≤ captured − already refunded); `failed` otherwise. */
  refund(i: { reference: string; amount: number; idempotencyKey: string }): Promise<RefundResult>;
  /** What the gateway knows of the payment of this order (by reference, or by our order id when the reference was never received). */
  retrieve(i: { orderId: string; reference: string | null }): Promise<GatewayResult>;
  /** Verifies a webhook signature and extracts the event; throws AppError INVALID_WEBHOOK_SIGNATURE when it does not verify. */
  verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): WebhookEvent;
}

export type { StoreSettings };
