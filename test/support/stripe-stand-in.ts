import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local stand-in for the part of the Stripe API the payments adapter uses, on Stripe's wire format:
 * form-encoded requests with nested keys (`metadata[order_id]`, `expand[0]`), JSON objects shaped like
 * Stripe's, card errors as HTTP 402, `Idempotency-Key` replay, and PaymentIntent search by metadata.
 */

type Json = Record<string, unknown>;

interface Intent extends Json {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  status: string;
  capture_method: 'automatic' | 'manual';
  latest_charge: string | null;
  metadata: Record<string, string>;
  last_payment_error: Json | null;
  created: number;
}

interface Charge extends Json {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  refunded: boolean;
  status: 'succeeded' | 'failed';
  payment_intent: string;
  metadata: Record<string, string>;
}

export interface StandInRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: Json;
}

export interface StripeStandIn {
  /** Base URL to put in `settings.stripe.api_base`. */
  url: string;
  intents: Map<string, Intent>;
  charges: Map<string, Charge>;
  /** Every request received, in order. */
  requests: StandInRequest[];
  /** While on, requests are processed (and stored) but the connection is cut before the answer. */
  loseResponses(on: boolean): void;
  /** While on, requests are processed but never answered (the client times out). */
  hangResponses(on: boolean): void;
  /** A Stripe event JSON body for `type` carrying `object`. */
  event(type: string, object: Json): string;
  /** The `Stripe-Signature` header Stripe would send for this body. */
  signWebhook(payload: string, secret: string): string;
  close(): Promise<void>;
}

/** Parses a form body the way Stripe does: `a[b]=1&c[0]=x` → `{ a: { b: '1' }, c: ['x'] }`. */
export function parseForm(text: string): Json {
  const out: Json = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.split(/\[|\]\[|\]/).filter((p, i) => p !== '' || i === 0);
    let cur: Record<string, unknown> | unknown[] = out;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(parts[i + 1]!);
      const key: string | number = Array.isArray(cur) ? (part === '' ? cur.length : Number(part)) : part;
      const container = cur as Record<string | number, unknown>;
      if (last) container[key] = value;
      else {
        container[key] ??= nextIsIndex ? [] : {};
        cur = container[key] as Record<string, unknown> | unknown[];
      }
    });
  }
  return out;
}

const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

const TEST_METHODS: Record<string, { code: string; decline_code?: string; message: string } | null> = {
  pm_card_visa: null,
  pm_card_mastercard: null,
  pm_card_chargeDeclined: {
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeDeclinedProcessingError: {
    code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String(body.message));
  }
}

const invalid = (message: string, code?: string, param?: string) =>
  new ApiError(400, {
    type: 'invalid_request_error',
    message,
    ...(code ? { code } : {}),
    ...(param ? { param } : {}),
  });

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const intents = new Map<string, Intent>();
  const charges = new Map<string, Charge>();
  const idempotent = new Map<string, { fingerprint: string; status: number; body: string }>();
  const requests: StandInRequest[] = [];
  let lose = false;
  let hang = false;

  function expanded(pi: Intent, expand: unknown): Json {
    const list = Array.isArray(expand) ? expand.map(String) : [];
    if ((list.includes('latest_charge') || list.includes('data.latest_charge')) && pi.latest_charge) {
      return { ...pi, latest_charge: charges.get(pi.latest_charge) ?? pi.latest_charge };
    }
    return { ...pi };
  }

  function intentOr404(id: string): Intent {
    const pi = intents.get(id);
    if (!pi) {
      throw new ApiError(404, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'intent',
        message: `No such payment_intent: '${id}'`,
      });
    }
    return pi;
  }

  function createIntent(b: Json): [number, Json] {
    const amount = Number(b.amount);
    if (!Number.isInteger(amount) || amount < 1)
      throw invalid('Invalid integer: amount', 'parameter_invalid_integer', 'amount');
    if (typeof b.currency !== 'string' || !/^[a-z]{3}$/.test(b.currency))
      throw invalid('Invalid currency', 'parameter_invalid_empty', 'currency');
    const pm = String(b.payment_method ?? '');
    if (b.payment_method !== undefined && !(pm in TEST_METHODS)) {
      throw invalid(`No such PaymentMethod: '${pm}'`, 'resource_missing', 'payment_method');
    }
    const manual = b.capture_method === 'manual';
    const pi: Intent = {
      id: rid('pi'),
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency: b.currency,
      status: b.payment_method ? 'requires_confirmation' : 'requires_payment_method',
      capture_method: manual ? 'manual' : 'automatic',
      confirmation_method: 'automatic',
      latest_charge: null,
      last_payment_error: null,
      metadata: (b.metadata as Record<string, string>) ?? {},
      description: b.description ?? null,
      payment_method: b.payment_method ?? null,
      livemode: false,
      created: now(),
      canceled_at: null,
      cancellation_reason: null,
    };
    intents.set(pi.id, pi);
    if (b.confirm !== 'true' || !b.payment_method) return [200, expanded(pi, b.expand)];
    const decline = TEST_METHODS[pm];
    const charge: Charge = {
      id: rid('ch'),
      object: 'charge',
      amount,
      amount_captured: decline || manual ? 0 : amount,
      amount_refunded: 0,
      captured: !decline && !manual,
      refunded: false,
      status: decline ? 'failed' : 'succeeded',
      currency: pi.currency,
      payment_intent: pi.id,
      metadata: pi.metadata,
      created: now(),
    };
    charges.set(charge.id, charge);
    pi.latest_charge = charge.id;
    if (decline) {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { type: 'card_error', charge: charge.id, ...decline };
      throw new ApiError(402, {
        type: 'card_error',
        charge: charge.id,
        ...decline,
        payment_intent: { ...pi },
      });
    }
    if (manual) {
      pi.status = 'requires_capture';
      pi.amount_capturable = amount;
    } else {
      pi.status = 'succeeded';
      pi.amount_received = amount;
    }
    return [200, expanded(pi, b.expand)];
  }

  function capture(id: string, b: Json): [number, Json] {
    const pi = intentOr404(id);
    if (pi.status !== 'requires_capture') {
      throw invalid(
        `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        'payment_intent_unexpected_state',
      );
    }
    const amount = b.amount_to_capture === undefined ? pi.amount_capturable : Number(b.amount_to_capture);
    if (!Number.isInteger(amount) || amount < 1 || amount > pi.amount_capturable) {
      throw invalid(
        `The amount_to_capture (${b.amount_to_capture}) must be at most the amount_capturable (${pi.amount_capturable}).`,
        'amount_too_large',
        'amount_to_capture',
      );
    }
    const charge = charges.get(pi.latest_charge!)!;
    Object.assign(charge, { captured: true, amount_captured: amount });
    Object.assign(pi, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
    return [200, expanded(pi, b.expand)];
  }

  function cancel(id: string, b: Json): [number, Json] {
    const pi = intentOr404(id);
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw invalid(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        'payment_intent_unexpected_state',
      );
    }
    Object.assign(pi, {
      status: 'canceled',
      amount_capturable: 0,
      canceled_at: now(),
      cancellation_reason: b.cancellation_reason ?? null,
    });
    return [200, expanded(pi, b.expand)];
  }

  function refund(b: Json): [number, Json] {
    if (typeof b.payment_intent !== 'string')
      throw invalid('Missing required param: payment_intent.', 'parameter_missing', 'payment_intent');
    const pi = intentOr404(b.payment_intent);
    const charge = pi.latest_charge ? charges.get(pi.latest_charge) : undefined;
    if (pi.status !== 'succeeded' || !charge) {
      throw invalid(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        'charge_not_refundable',
      );
    }
    const left = charge.amount_captured - charge.amount_refunded;
    if (left <= 0) throw invalid(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
    const amount = b.amount === undefined ? left : Number(b.amount);
    if (!Number.isInteger(amount) || amount < 1)
      throw invalid('Invalid integer: amount', 'parameter_invalid_integer', 'amount');
    if (amount > left) {
      throw invalid(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
        'amount_too_large',
        'amount',
      );
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    return [
      200,
      {
        id: rid('re'),
        object: 'refund',
        amount,
        charge: charge.id,
        payment_intent: pi.id,
        currency: pi.currency,
        status: 'succeeded',
        reason: b.reason ?? null,
        metadata: b.metadata ?? {},
        created: now(),
      },
    ];
  }

  function search(q: Json): [number, Json] {
    const m = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(String(q.query ?? '').trim());
    if (!m)
      throw invalid(
        "The stand-in only understands queries of the form metadata['key']:'value'.",
        'parameter_invalid_string_blank',
        'query',
      );
    const [, key, value] = m;
    const data = [...intents.values()]
      .filter((pi) => pi.metadata[key!] === value)
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1))
      .map((pi) => expanded(pi, q.expand));
    return [
      200,
      { object: 'search_result', data, has_more: false, next_page: null, url: '/v1/payment_intents/search' },
    ];
  }

  function route(method: string, path: string, body: Json, query: Json): [number, Json] {
    if (method === 'POST' && path === '/v1/payment_intents') return createIntent(body);
    if (method === 'GET' && path === '/v1/payment_intents/search') return search(query);
    if (method === 'POST' && path === '/v1/refunds') return refund(body);
    const m = /^\/v1\/payment_intents\/([^/]+)(\/capture|\/cancel)?$/.exec(path);
    if (m) {
      const [, id, action] = m;
      if (method === 'GET' && !action) return [200, expanded(intentOr404(id!), query.expand)];
      if (method === 'POST' && action === '/capture') return capture(id!, body);
      if (method === 'POST' && action === '/cancel') return cancel(id!, body);
    }
    throw new ApiError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}).`,
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const body = parseForm(raw);
    const query = parseForm(url.search.slice(1));
    const key = req.headers['idempotency-key'] as string | undefined;
    requests.push({ method, path: url.pathname, idempotencyKey: key, body });

    const send = (status: number, payload: string, replayed = false) => {
      if (lose) {
        res.socket?.destroy();
        return;
      }
      if (hang) return;
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': rid('req'),
        ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
      });
      res.end(payload);
    };

    if (!/^Bearer sk_(test|live)_\S+$/.test(req.headers.authorization ?? '')) {
      send(
        401,
        JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } }),
      );
      return;
    }
    const fingerprint = `${method} ${url.pathname} ${raw}`;
    if (method === 'POST' && key) {
      const stored = idempotent.get(key);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          send(
            400,
            JSON.stringify({
              error: {
                type: 'idempotency_error',
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            }),
          );
          return;
        }
        send(stored.status, stored.body, true);
        return;
      }
    }
    let status: number;
    let payload: string;
    try {
      const [s, out] = route(method, url.pathname, body, query);
      status = s;
      payload = JSON.stringify(out);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status = e.status;
      payload = JSON.stringify({ error: e.body });
    }
    if (method === 'POST' && key) idempotent.set(key, { fingerprint, status, body: payload });
    send(status, payload);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: String(e) } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    intents,
    charges,
    requests,
    loseResponses(on) {
      lose = on;
    },
    hangResponses(on) {
      hang = on;
    },
    event(type, object) {
      return JSON.stringify({
        id: rid('evt'),
        object: 'event',
        api_version: '2024-06-20',
        created: now(),
        data: { object },
        livemode: false,
        pending_webhooks: 0,
        request: { id: null, idempotency_key: null },
        type,
      });
    },
    signWebhook(payload, secret) {
      return Stripe.webhooks.generateTestHeaderString({ payload, secret });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
