import Stripe from 'stripe';
import { AppError } from '../../shared/app-error.ts';
import {
  type AuthorizeInput,
  type GatewayResult,
  GatewayTimeoutError,
  GatewayUnavailableError,
  type PaymentGateway,
  type RefundResult,
  type WebhookEvent,
} from './payments.port.ts';
import { NOT_FOUND, pickOrderPayment, stripeTokenForTestCard } from './payments.rules.ts';
import { headerValue } from './payments.test-gateway.ts';

export interface StripeGatewayOptions {
  secretKey: string;
  webhookSecret?: string;
  /** From STRIPE_API_BASE: `https://api.stripe.com` (default) or a local stand-in `http://127.0.0.1:4010`. */
  apiBase?: string;
  timeoutMs?: number;
}

export function createStripeClient(o: StripeGatewayOptions): Stripe {
  const config: ConstructorParameters<typeof Stripe>[1] = {
    maxNetworkRetries: 1,
    timeout: o.timeoutMs ?? 10_000,
    telemetry: false,
    appInfo: { name: 'crowdstart' },
  };
  if (o.apiBase) {
    const url = new URL(o.apiBase);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    config.protocol = protocol;
    config.host = url.hostname;
    config.port = Number(url.port || (protocol === 'http' ? 80 : 443));
  }
  return new Stripe(o.secretKey, config);
}

// Errors raised before the request could reach Stripe: nothing happened there.
const NOT_SENT: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CERT_HAS_EXPIRED',
]);

/**
 * Turns SDK exceptions into the port's two transport errors. Anything where Stripe may have acted
 * (a timeout, a connection cut after sending, a 5xx) is a GatewayTimeoutError so the caller reconciles.
 * Returns null for API errors that are answers (card and request errors), which the caller maps.
 */
function transportError(e: unknown): Error | null {
  if (e instanceof Stripe.errors.StripeConnectionError) {
    const code = (e.detail as { code?: string } | undefined)?.code;
    if (code && NOT_SENT.has(code))
      return new GatewayUnavailableError(`Stripe could not be reached (${code}).`);
    return new GatewayTimeoutError(`Stripe did not answer: ${e.message}`);
  }
  if (e instanceof Stripe.errors.StripeAPIError)
    return new GatewayTimeoutError(`Stripe failed: ${e.message}`);
  if (
    e instanceof Stripe.errors.StripeRateLimitError ||
    e instanceof Stripe.errors.StripeAuthenticationError ||
    e instanceof Stripe.errors.StripePermissionError
  ) {
    return new GatewayUnavailableError(`Stripe refused the request: ${e.message}`);
  }
  return null;
}

type Intent = Stripe.PaymentIntent;

function chargeOf(pi: Intent): Stripe.Charge | null {
  return pi.latest_charge && typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
}

/** Maps a PaymentIntent to the port's view of a payment. */
export function fromIntent(pi: Intent): GatewayResult {
  const base = { reference: pi.id, amountAuthorized: 0, amountCaptured: 0, amountRefunded: 0 };
  switch (pi.status) {
    case 'requires_capture':
      return { ...base, status: 'authorized', amountAuthorized: pi.amount_capturable };
    case 'succeeded':
      return {
        ...base,
        status: 'captured',
        amountAuthorized: pi.amount,
        amountCaptured: pi.amount_received,
        amountRefunded: chargeOf(pi)?.amount_refunded ?? 0,
      };
    case 'canceled':
      return { ...base, status: 'voided' };
    case 'processing':
      return { ...base, status: 'processing', amountAuthorized: pi.amount };
    case 'requires_action':
      return {
        ...base,
        status: 'declined',
        declineCode: 'authentication_required',
        message: 'The card needs authentication (3-D Secure).',
      };
    case 'requires_payment_method': {
      const err = pi.last_payment_error;
      if (!err) return { ...base, status: 'failed', message: 'The payment has no payment method.' };
      return declinedFrom(base, err.code, err.decline_code, err.message);
    }
    default:
      return { ...base, status: 'failed', message: `Unexpected PaymentIntent status ${pi.status}.` };
  }
}

function declinedFrom(
  base: Pick<GatewayResult, 'reference' | 'amountAuthorized' | 'amountCaptured' | 'amountRefunded'>,
  code: string | undefined,
  declineCode: string | undefined,
  message: string | undefined,
): GatewayResult {
  const r: GatewayResult = {
    ...base,
    status: code === 'processing_error' ? 'failed' : 'declined',
    declineCode:
      (code === 'card_declined' && declineCode && declineCode !== 'generic_decline' ? declineCode : code) ??
      'card_declined',
  };
  if (message) r.message = message;
  return r;
}

function requestFailure(e: Stripe.errors.StripeError, reference: string | null): GatewayResult {
  if (e.code === 'resource_missing') return { ...NOT_FOUND, reference };
  return {
    ...NOT_FOUND,
    reference,
    status: 'failed',
    message: e.message,
    ...(e.code ? { declineCode: e.code } : {}),
  };
}

const EXPAND = ['latest_charge'];

/** The Stripe adapter: PaymentIntents, confirmed at once, manual capture when the store authorizes only. */
export function createStripeGateway(
  o: StripeGatewayOptions,
  client: Stripe = createStripeClient(o),
): PaymentGateway {
  async function call<T>(fn: () => Promise<T>, onApiError: (e: Stripe.errors.StripeError) => T): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const t = transportError(e);
      if (t) throw t;
      if (e instanceof Stripe.errors.StripeError) return onApiError(e);
      throw e;
    }
  }

  async function authorize(i: AuthorizeInput): Promise<GatewayResult> {
    const paymentMethod =
      i.payment.payment_method ?? (i.payment.card ? stripeTokenForTestCard(i.payment.card) : null);
    if (!paymentMethod) {
      return {
        ...NOT_FOUND,
        status: 'declined',
        declineCode: 'invalid_payment_method',
        message:
          'Stripe needs a payment_method token; raw card numbers are accepted only for the documented test cards.',
      };
    }
    return call(
      async () => {
        const pi = await client.paymentIntents.create(
          {
            amount: i.amount,
            currency: i.currency.toLowerCase(),
            payment_method: paymentMethod,
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            confirm: true,
            capture_method: i.capture ? 'automatic' : 'manual',
            description: `Order ${i.orderId}`,
            metadata: { order_id: i.orderId, ...(i.email ? { email: i.email } : {}) },
            expand: EXPAND,
          },
          { idempotencyKey: i.idempotencyKey },
        );
        return fromIntent(pi);
      },
      (e) => {
        if (e instanceof Stripe.errors.StripeCardError) {
          const pi = e.payment_intent as Intent | undefined;
          const base = {
            reference: pi?.id ?? null,
            amountAuthorized: 0,
            amountCaptured: 0,
            amountRefunded: 0,
          };
          return declinedFrom(base, e.code, e.decline_code, e.message);
        }
        return requestFailure(e, null);
      },
    );
  }

  async function current(reference: string): Promise<GatewayResult> {
    return call(
      async () => fromIntent(await client.paymentIntents.retrieve(reference, { expand: EXPAND })),
      (e) => requestFailure(e, reference),
    );
  }

  /** A refused capture/void answers `failed` with the payment's amounts as they stand. */
  async function refusal(reference: string, e: Stripe.errors.StripeError): Promise<GatewayResult> {
    if (e.code === 'resource_missing') return { ...NOT_FOUND, reference };
    const now = await current(reference);
    return { ...now, status: 'failed', message: e.message };
  }

  return {
    name: 'stripe',
    authorize,

    async capture({ reference, amount, idempotencyKey }) {
      try {
        const pi = await client.paymentIntents.capture(
          reference,
          { amount_to_capture: amount, expand: EXPAND },
          { idempotencyKey },
        );
        return fromIntent(pi);
      } catch (e) {
        const t = transportError(e);
        if (t) throw t;
        if (e instanceof Stripe.errors.StripeError) return refusal(reference, e);
        throw e;
      }
    },

    async void({ reference, idempotencyKey }) {
      try {
        const pi = await client.paymentIntents.cancel(reference, { expand: EXPAND }, { idempotencyKey });
        return fromIntent(pi);
      } catch (e) {
        const t = transportError(e);
        if (t) throw t;
        if (e instanceof Stripe.errors.StripeError) return refusal(reference, e);
        throw e;
      }
    },

    refund({ reference, amount, idempotencyKey }): Promise<RefundResult> {
      return call<RefundResult>(
        async () => {
          const r = await client.refunds.create({ payment_intent: reference, amount }, { idempotencyKey });
          // `pending` refunds (some card networks) complete later; Stripe has accepted them.
          const ok = r.status === 'succeeded' || r.status === 'pending';
          return ok
            ? { status: 'succeeded', reference: r.id, amountRefunded: r.amount }
            : { status: 'failed', reference: r.id, amountRefunded: 0 };
        },
        () => ({ status: 'failed', reference: null, amountRefunded: 0 }),
      );
    },

    async retrieve({ orderId, reference }) {
      if (reference) {
        const r = await current(reference);
        if (r.status !== 'not_found') return r;
      }
      // Stripe's search index may lag a few seconds behind writes: a miss here is retried by reconciliation.
      const found = await call(
        async () =>
          (
            await client.paymentIntents.search({
              query: `metadata['order_id']:'${orderId.replace(/['\\]/g, '')}'`,
              limit: 100,
              expand: ['data.latest_charge'],
            })
          ).data,
        () => [] as Intent[],
      );
      const results = [...found]
        .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1))
        .map(fromIntent);
      return pickOrderPayment(results) ?? NOT_FOUND;
    },

    verifyWebhook(rawBody, headers): WebhookEvent {
      if (!o.webhookSecret) {
        throw new AppError(
          'GATEWAY_NOT_CONFIGURED',
          "The store has no Stripe webhook secret for this mode (settings.stripe's test or live webhook_secret).",
        );
      }
      let event: Stripe.Event;
      try {
        event = client.webhooks.constructEvent(
          rawBody,
          headerValue(headers, 'stripe-signature') ?? '',
          o.webhookSecret,
        );
      } catch {
        throw new AppError('INVALID_WEBHOOK_SIGNATURE', 'The Stripe-Signature header does not verify.');
      }
      const obj = event.data.object as { object?: string };
      if (obj.object === 'payment_intent') {
        const pi = obj as Intent;
        return {
          type: event.type,
          orderId: pi.metadata?.order_id ?? null,
          reference: pi.id,
          status: fromIntent(pi).status,
        };
      }
      if (obj.object === 'charge') {
        const ch = obj as Stripe.Charge;
        const reference =
          typeof ch.payment_intent === 'string' ? ch.payment_intent : (ch.payment_intent?.id ?? null);
        const status =
          ch.status === 'failed'
            ? 'declined'
            : ch.captured
              ? 'captured'
              : ch.status === 'pending'
                ? 'processing'
                : 'authorized';
        return { type: event.type, orderId: ch.metadata?.order_id ?? null, reference, status };
      }
      return { type: event.type, orderId: null, reference: null, status: 'not_found' };
    },
  };
}
