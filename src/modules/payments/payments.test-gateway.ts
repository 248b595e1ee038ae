import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import {
  type AuthorizeInput,
  type GatewayResult,
  type GatewayStatus,
  GatewayTimeoutError,
  type PaymentGateway,
  type RefundResult,
  type WebhookEvent,
} from './payments.port.ts';
import {
  findTestOperation,
  findTestPayment,
  findTestPaymentByKey,
  insertTestOperation,
  insertTestPaymentIfAbsent,
  listTestPaymentsForOrder,
  type TestPaymentRow,
  updateTestPayment,
} from './payments.repo.ts';
import { NOT_FOUND, pickOrderPayment, testCardOutcome } from './payments.rules.ts';

/** The header carrying the test gateway's webhook signature: hex HMAC-SHA256 of the raw body. */
export const TEST_SIGNATURE_HEADER = 'Crowdstart-Test-Signature';
export const DEFAULT_TEST_CARD_DELAY_MS = 3000;

/** Computes the `Crowdstart-Test-Signature` header value for a webhook body. */
export function signTestWebhook(rawBody: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex');
}

export function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const GATEWAY_STATUSES: ReadonlySet<string> = new Set<GatewayStatus>([
  'authorized',
  'captured',
  'declined',
  'failed',
  'voided',
  'processing',
  'not_found',
]);

function toResult(p: TestPaymentRow): GatewayResult {
  const r: GatewayResult = {
    status: p.status,
    reference: p.id,
    amountAuthorized: p.amountAuthorized,
    amountCaptured: p.amountCaptured,
    amountRefunded: p.amountRefunded,
  };
  if (p.declineCode) r.declineCode = p.declineCode;
  if (p.message) r.message = p.message;
  return r;
}

const failed = (p: TestPaymentRow, message: string): GatewayResult => ({
  ...toResult(p),
  status: 'failed',
  message,
});

const idBody = (id: string) => id.slice(id.indexOf('_') + 1);

/**
 * The built-in gateway: a card processor simulated on its own ledger tables. Every write is its own
 * transaction on the root database handle, so never call it inside one of ours (on PGlite that would wait forever).
 */
export function createTestGateway(deps: {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  delayMs?: number;
  /** The store's own secret (generated with the store); null: every webhook is refused. */
  webhookSecret: string | null;
}): PaymentGateway {
  const { db, clock, ids } = deps;
  const delayMs = deps.delayMs ?? DEFAULT_TEST_CARD_DELAY_MS;
  const webhookSecret = deps.webhookSecret;

  async function authorize(i: AuthorizeInput): Promise<GatewayResult> {
    const existing = await findTestPaymentByKey(db, i.idempotencyKey);
    if (existing) return replayAuthorize(existing, i);
    if (!Number.isInteger(i.amount) || i.amount <= 0) {
      return {
        ...NOT_FOUND,
        status: 'failed',
        message: 'The amount must be a positive integer in minor units.',
      };
    }
    const outcome = testCardOutcome(i.payment, clock.now());
    if (outcome.kind === 'success' && outcome.slow && delayMs > 0) {
      await new Promise((r) => setTimeout(r, delayMs));
    }
    const now = clock.now();
    const ok = outcome.kind === 'success';
    const row = {
      id: `tpi_${idBody(ids('payment'))}`,
      idempotencyKey: i.idempotencyKey,
      orderId: i.orderId,
      currency: i.currency.toUpperCase(),
      amount: i.amount,
      status: ok ? (i.capture ? 'captured' : 'authorized') : outcome.kind,
      amountAuthorized: ok ? i.amount : 0,
      amountCaptured: ok && i.capture ? i.amount : 0,
      amountRefunded: 0,
      declineCode: ok ? null : outcome.declineCode,
      message: ok ? null : outcome.message,
      cardLast4: outcome.last4,
      email: i.email ?? null,
      createdAt: now,
      updatedAt: now,
    } satisfies TestPaymentRow;
    const inserted = await insertTestPaymentIfAbsent(db, row);
    if (!inserted) {
      // A concurrent call with the same key won: answer with its payment.
      const winner = await findTestPaymentByKey(db, i.idempotencyKey);
      return replayAuthorize(winner!, i);
    }
    if (outcome.kind === 'success' && outcome.lostResponse) {
      throw new GatewayTimeoutError(
        'Test card 4000000000003220: the payment was recorded but the answer was lost.',
      );
    }
    return toResult(inserted);
  }

  function replayAuthorize(p: TestPaymentRow, i: AuthorizeInput): GatewayResult {
    if (p.orderId !== i.orderId || p.amount !== i.amount || p.currency !== i.currency.toUpperCase()) {
      return {
        ...NOT_FOUND,
        status: 'failed',
        declineCode: 'idempotency_key_reused',
        message: 'This idempotency key was used for another payment.',
      };
    }
    return toResult(p);
  }

  /** Runs one capture/void/refund against a locked payment, replaying an earlier call with the same key. */
  async function operate<R extends object>(
    kind: 'capture' | 'void' | 'refund',
    reference: string,
    idempotencyKey: string,
    notFound: R,
    act: (tx: Executor, p: TestPaymentRow) => Promise<{ result: R; refundId?: string }>,
  ): Promise<R> {
    return inTransaction(db, async (tx) => {
      // The row lock serialises every operation on this payment, so a repeated key sees the first one's record.
      const p = await findTestPayment(tx, reference, { forUpdate: true });
      if (!p) return notFound;
      const previous = await findTestOperation(tx, idempotencyKey);
      if (previous) {
        if (previous.kind !== kind || previous.paymentId !== p.id) {
          return {
            ...notFound,
            status: 'failed',
            message: 'This idempotency key was used for another operation.',
          };
        }
        return previous.result as R;
      }
      const { result, refundId } = await act(tx, p);
      await insertTestOperation(tx, {
        idempotencyKey,
        kind,
        paymentId: p.id,
        refundId: refundId ?? null,
        result: result as Record<string, unknown>,
        createdAt: clock.now(),
      });
      return result;
    });
  }

  return {
    name: 'test',
    authorize,

    capture({ reference, amount, idempotencyKey }) {
      return operate<GatewayResult>(
        'capture',
        reference,
        idempotencyKey,
        { ...NOT_FOUND, reference },
        async (tx, p) => {
          if (p.status !== 'authorized') {
            return {
              result: failed(p, `The payment is ${p.status}; only an authorized payment can be captured.`),
            };
          }
          if (!Number.isInteger(amount) || amount <= 0 || amount > p.amountAuthorized) {
            return {
              result: failed(
                p,
                `The capture amount must be between 1 and the authorized ${p.amountAuthorized}.`,
              ),
            };
          }
          const u = await updateTestPayment(tx, p.id, {
            status: 'captured',
            amountCaptured: amount,
            updatedAt: clock.now(),
          });
          return { result: toResult(u) };
        },
      );
    },

    void({ reference, idempotencyKey }) {
      return operate<GatewayResult>(
        'void',
        reference,
        idempotencyKey,
        { ...NOT_FOUND, reference },
        async (tx, p) => {
          if (p.status === 'voided') return { result: toResult(p) };
          if (p.status !== 'authorized') {
            return {
              result: failed(p, `The payment is ${p.status}; only an authorized payment can be voided.`),
            };
          }
          const u = await updateTestPayment(tx, p.id, {
            status: 'voided',
            amountAuthorized: 0,
            updatedAt: clock.now(),
          });
          return { result: toResult(u) };
        },
      );
    },

    refund({ reference, amount, idempotencyKey }) {
      const refused: RefundResult = { status: 'failed', reference: null, amountRefunded: 0 };
      return operate<RefundResult>('refund', reference, idempotencyKey, refused, async (tx, p) => {
        const refundable = p.amountCaptured - p.amountRefunded;
        if (p.status !== 'captured' || !Number.isInteger(amount) || amount <= 0 || amount > refundable) {
          return { result: refused };
        }
        await updateTestPayment(tx, p.id, {
          amountRefunded: p.amountRefunded + amount,
          updatedAt: clock.now(),
        });
        const refundId = `tre_${idBody(ids('refund'))}`;
        return { result: { status: 'succeeded', reference: refundId, amountRefunded: amount }, refundId };
      });
    },

    async retrieve({ orderId, reference }) {
      if (reference) {
        const p = await findTestPayment(db, reference);
        if (p) return toResult(p);
      }
      const picked = pickOrderPayment(await listTestPaymentsForOrder(db, orderId));
      return picked ? toResult(picked) : NOT_FOUND;
    },

    verifyWebhook(rawBody, headers): WebhookEvent {
      if (!webhookSecret) {
        throw new AppError(
          'GATEWAY_NOT_CONFIGURED',
          'The store has no test gateway webhook secret (settings.test_gateway.webhook_secret).',
        );
      }
      const given = headerValue(headers, TEST_SIGNATURE_HEADER) ?? '';
      const expected = signTestWebhook(rawBody, webhookSecret);
      const a = Buffer.from(given.trim().toLowerCase(), 'utf8');
      const b = Buffer.from(expected, 'utf8');
      if (a.length !== b.length || !timingSafeEqual(a, b)) {
        throw new AppError(
          'INVALID_WEBHOOK_SIGNATURE',
          `The ${TEST_SIGNATURE_HEADER} header does not match the body.`,
        );
      }
      let event: { type?: unknown; data?: { order_id?: unknown; reference?: unknown; status?: unknown } };
      try {
        event = JSON.parse(rawBody);
      } catch {
        throw new AppError('MALFORMED_JSON', 'The webhook body is not valid JSON.');
      }
      const data = event?.data ?? {};
      if (
        typeof event?.type !== 'string' ||
        typeof data.status !== 'string' ||
        !GATEWAY_STATUSES.has(data.status)
      ) {
        throw new AppError('VALIDATION_FAILED', 'The webhook body needs `type` and `data.status`.', {
          param: 'type',
        });
      }
      return {
        type: event.type,
        orderId: typeof data.order_id === 'string' ? data.order_id : null,
        reference: typeof data.reference === 'string' ? data.reference : null,
        status: data.status as GatewayStatus,
      };
    },
  };
}
