import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/support/harness.ts';
import { type StripeStandIn, startStripeStandIn } from '../../../test/support/stripe-stand-in.ts';
import { AppError } from '../../shared/app-error.ts';
import { systemClock } from '../../shared/clock.ts';
import { type Database, rows } from '../../shared/db.ts';
import { ids } from '../../shared/ids.ts';
import {
  createGatewayRegistry,
  type GatewayRegistry,
  GatewayTimeoutError,
  type PaymentGateway,
  type PaymentInput,
  signTestWebhook,
  TEST_CARDS,
} from './index.ts';

/**
 * One contract, two gateways: the built-in test gateway (on PGlite or PostgreSQL) and the Stripe
 * adapter (against the local Stripe stand-in) must answer every scenario the same way.
 */

const STRIPE_WEBHOOK_SECRET = 'whsec_contract_test_secret';
const TEST_WEBHOOK_SECRET = 'whsec_contract_test_gateway_secret';

let database: Database;
let standIn: StripeStandIn;
let registry: GatewayRegistry;

beforeAll(async () => {
  database = await freshDatabase();
  standIn = await startStripeStandIn();
  registry = createGatewayRegistry({
    db: database.db,
    clock: systemClock,
    ids,
    testCardDelayMs: 20,
    stripeTimeoutMs: 2000,
    stripeApiBase: standIn.url,
  });
});

afterAll(async () => {
  await standIn?.close();
  await database?.close();
});

const card = (number: string): PaymentInput => ({
  card: { number, exp_month: 12, exp_year: 2099, cvc: '123' },
});

interface Subject {
  name: 'test' | 'stripe';
  gateway(): PaymentGateway;
  /** Makes the next authorize succeed at the gateway while its answer never reaches us. */
  loseAnswer(): { payment: PaymentInput; restore(): void };
  /** How many payments the gateway holds for this order. */
  countPayments(orderId: string): Promise<number>;
  /** A signed webhook saying the payment was captured. */
  webhook(
    orderId: string,
    reference: string,
  ): { body: string; headers: Record<string, string>; type: string };
}

const subjects: Subject[] = [
  {
    name: 'test',
    gateway: () =>
      registry.forMode(
        { test_gateway: { webhook_secret: TEST_WEBHOOK_SECRET } },
        { gateway: 'test', livemode: false },
      ),
    loseAnswer: () => ({ payment: card(TEST_CARDS.lostResponse), restore() {} }),
    async countPayments(orderId) {
      const r = await rows<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from test_gateway_payment where order_id = ${orderId}`,
      );
      return r[0]!.n;
    },
    webhook(orderId, reference) {
      const type = 'payment.captured';
      const body = JSON.stringify({
        id: 'evt_1',
        type,
        data: { order_id: orderId, reference, status: 'captured' },
      });
      return {
        body,
        type,
        headers: { 'Crowdstart-Test-Signature': signTestWebhook(body, TEST_WEBHOOK_SECRET) },
      };
    },
  },
  {
    name: 'stripe',
    gateway: () =>
      registry.forMode(
        { stripe: { test: { secret_key: 'sk_test_contract', webhook_secret: STRIPE_WEBHOOK_SECRET } } },
        { gateway: 'stripe', livemode: false },
      ),
    loseAnswer() {
      standIn.loseResponses(true);
      return { payment: card(TEST_CARDS.success), restore: () => standIn.loseResponses(false) };
    },
    async countPayments(orderId) {
      return [...standIn.intents.values()].filter((pi) => pi.metadata.order_id === orderId).length;
    },
    webhook(orderId, reference) {
      const type = 'payment_intent.succeeded';
      const body = standIn.event(type, {
        id: reference,
        object: 'payment_intent',
        status: 'succeeded',
        amount: 1000,
        amount_capturable: 0,
        amount_received: 1000,
        currency: 'usd',
        metadata: { order_id: orderId },
        latest_charge: null,
        last_payment_error: null,
      });
      return {
        body,
        type,
        headers: { 'stripe-signature': standIn.signWebhook(body, STRIPE_WEBHOOK_SECRET) },
      };
    },
  },
];

const key = (label: string) => `${label}_${ids('request')}`;

describe.each(subjects)('payment gateway contract: $name', (subject) => {
  const authorize = (o: {
    orderId?: string;
    amount?: number;
    payment?: PaymentInput;
    capture?: boolean;
    idempotencyKey?: string;
  }) =>
    subject.gateway().authorize({
      orderId: o.orderId ?? ids('order'),
      amount: o.amount ?? 1000,
      currency: 'USD',
      payment: o.payment ?? card(TEST_CARDS.success),
      capture: o.capture ?? true,
      idempotencyKey: o.idempotencyKey ?? key('auth'),
      email: 'shopper@example.com',
    });

  it('has the name of its gateway', () => {
    expect(subject.gateway().name).toBe(subject.name);
  });

  it('authorizes and captures at once', async () => {
    const orderId = ids('order');
    const r = await authorize({ orderId, amount: 2599 });
    expect(r).toMatchObject({
      status: 'captured',
      amountAuthorized: 2599,
      amountCaptured: 2599,
      amountRefunded: 0,
    });
    expect(r.reference).toMatch(subject.name === 'stripe' ? /^pi_/ : /^tpi_/);
    const again = await subject.gateway().retrieve({ orderId, reference: r.reference });
    expect(again).toMatchObject({ status: 'captured', reference: r.reference, amountCaptured: 2599 });
  });

  it('accepts payment_method tokens', async () => {
    expect((await authorize({ payment: { payment_method: 'pm_card_visa' } })).status).toBe('captured');
    const declined = await authorize({ payment: { payment_method: 'pm_card_chargeDeclined' } });
    expect(declined).toMatchObject({ status: 'declined', declineCode: 'card_declined', amountCaptured: 0 });
  });

  it('authorizes only, then captures part of the authorization', async () => {
    const orderId = ids('order');
    const auth = await authorize({ orderId, capture: false });
    expect(auth).toMatchObject({ status: 'authorized', amountAuthorized: 1000, amountCaptured: 0 });
    const captureKey = key('cap');
    const cap = await subject
      .gateway()
      .capture({ reference: auth.reference!, amount: 600, idempotencyKey: captureKey });
    expect(cap).toMatchObject({
      status: 'captured',
      reference: auth.reference,
      amountAuthorized: 1000,
      amountCaptured: 600,
    });
    // the same key replays the capture
    const replay = await subject
      .gateway()
      .capture({ reference: auth.reference!, amount: 600, idempotencyKey: captureKey });
    expect(replay).toMatchObject({ status: 'captured', amountCaptured: 600 });
    // a second capture is refused and changes nothing
    const second = await subject
      .gateway()
      .capture({ reference: auth.reference!, amount: 400, idempotencyKey: key('cap') });
    expect(second.status).toBe('failed');
    expect(await subject.gateway().retrieve({ orderId, reference: null })).toMatchObject({
      status: 'captured',
      amountCaptured: 600,
    });
  });

  it('refuses to capture more than was authorized', async () => {
    const auth = await authorize({ capture: false, amount: 500 });
    const r = await subject
      .gateway()
      .capture({ reference: auth.reference!, amount: 501, idempotencyKey: key('cap') });
    expect(r.status).toBe('failed');
    expect(r.amountCaptured).toBe(0);
    const after = await subject.gateway().retrieve({ orderId: 'ord_unused', reference: auth.reference });
    expect(after).toMatchObject({ status: 'authorized', amountAuthorized: 500, amountCaptured: 0 });
  });

  it('declines a declined card as a result, not an exception', async () => {
    const orderId = ids('order');
    const r = await authorize({ orderId, payment: card(TEST_CARDS.declined) });
    expect(r).toMatchObject({
      status: 'declined',
      declineCode: 'card_declined',
      amountAuthorized: 0,
      amountCaptured: 0,
    });
    expect(await subject.gateway().retrieve({ orderId, reference: null })).toMatchObject({
      status: 'declined',
    });
  });

  it('declines for insufficient funds', async () => {
    const r = await authorize({ payment: card(TEST_CARDS.insufficientFunds) });
    expect(r).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds', amountCaptured: 0 });
  });

  it('reports a processing error as failed', async () => {
    const r = await authorize({ payment: card(TEST_CARDS.processingError) });
    expect(r).toMatchObject({ status: 'failed', declineCode: 'processing_error', amountCaptured: 0 });
  });

  it('charges once when authorize is repeated with the same key', async () => {
    const orderId = ids('order');
    const idempotencyKey = key('auth');
    const first = await authorize({ orderId, idempotencyKey });
    const second = await authorize({ orderId, idempotencyKey });
    expect(second).toEqual(first);
    expect(await subject.countPayments(orderId)).toBe(1);
  });

  it('voids an authorization, after which it cannot be captured', async () => {
    const orderId = ids('order');
    const auth = await authorize({ orderId, capture: false });
    const voidKey = key('void');
    const v = await subject.gateway().void({ reference: auth.reference!, idempotencyKey: voidKey });
    expect(v).toMatchObject({ status: 'voided', reference: auth.reference, amountCaptured: 0 });
    expect(
      (await subject.gateway().void({ reference: auth.reference!, idempotencyKey: voidKey })).status,
    ).toBe('voided');
    const cap = await subject
      .gateway()
      .capture({ reference: auth.reference!, amount: 1000, idempotencyKey: key('cap') });
    expect(cap.status).toBe('failed');
    expect(await subject.gateway().retrieve({ orderId, reference: null })).toMatchObject({
      status: 'voided',
      amountCaptured: 0,
    });
  });

  it('refuses to void a captured payment', async () => {
    const r = await authorize({});
    const v = await subject.gateway().void({ reference: r.reference!, idempotencyKey: key('void') });
    expect(v).toMatchObject({ status: 'failed', amountCaptured: 1000 });
  });

  it('refunds in parts, never more than was captured, once per key', async () => {
    const orderId = ids('order');
    const r = await authorize({ orderId, amount: 1000 });
    const gw = subject.gateway();
    const firstKey = key('ref');
    const first = await gw.refund({ reference: r.reference!, amount: 300, idempotencyKey: firstKey });
    expect(first).toMatchObject({ status: 'succeeded', amountRefunded: 300 });
    expect(first.reference).toMatch(subject.name === 'stripe' ? /^re_/ : /^tre_/);
    // replaying the first refund's key does not refund again
    expect(await gw.refund({ reference: r.reference!, amount: 300, idempotencyKey: firstKey })).toEqual(
      first,
    );
    const over = await gw.refund({ reference: r.reference!, amount: 701, idempotencyKey: key('ref') });
    expect(over).toEqual({ status: 'failed', reference: null, amountRefunded: 0 });
    const rest = await gw.refund({ reference: r.reference!, amount: 700, idempotencyKey: key('ref') });
    expect(rest).toMatchObject({ status: 'succeeded', amountRefunded: 700 });
    const more = await gw.refund({ reference: r.reference!, amount: 1, idempotencyKey: key('ref') });
    expect(more.status).toBe('failed');
    expect(await gw.retrieve({ orderId, reference: r.reference })).toMatchObject({
      status: 'captured',
      amountCaptured: 1000,
      amountRefunded: 1000,
    });
  });

  it('refuses to refund an authorization that was not captured', async () => {
    const auth = await authorize({ capture: false });
    const r = await subject
      .gateway()
      .refund({ reference: auth.reference!, amount: 100, idempotencyKey: key('ref') });
    expect(r.status).toBe('failed');
  });

  it('finds a payment by order id when its answer was lost', async () => {
    const orderId = ids('order');
    const idempotencyKey = key('auth');
    const lost = subject.loseAnswer();
    try {
      await expect(
        authorize({ orderId, idempotencyKey, payment: lost.payment, amount: 4200 }),
      ).rejects.toBeInstanceOf(GatewayTimeoutError);
    } finally {
      lost.restore();
    }
    const found = await subject.gateway().retrieve({ orderId, reference: null });
    expect(found).toMatchObject({ status: 'captured', amountCaptured: 4200 });
    expect(found.reference).toBeTruthy();
    // retrying with the same key answers with that same payment, without charging again
    const retried = await authorize({ orderId, idempotencyKey, payment: lost.payment, amount: 4200 });
    expect(retried).toMatchObject({ status: 'captured', reference: found.reference });
    expect(await subject.countPayments(orderId)).toBe(1);
  });

  it('answers not_found for an order it never saw', async () => {
    expect(await subject.gateway().retrieve({ orderId: ids('order'), reference: null })).toMatchObject({
      status: 'not_found',
      reference: null,
    });
  });

  it('verifies webhook signatures', async () => {
    const orderId = ids('order');
    const { body, headers, type } = subject.webhook(orderId, 'pi_or_tpi_123');
    expect(subject.gateway().verifyWebhook(body, headers)).toEqual({
      type,
      orderId,
      reference: 'pi_or_tpi_123',
      status: 'captured',
    });
    const tampered = body.replace(orderId, ids('order'));
    expect(() => subject.gateway().verifyWebhook(tampered, headers)).toThrowError(AppError);
    try {
      subject.gateway().verifyWebhook(body, {});
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).code).toBe('INVALID_WEBHOOK_SIGNATURE');
    }
  });
});
