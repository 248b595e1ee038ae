import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/support/harness.ts';
import { type StripeStandIn, startStripeStandIn } from '../../../test/support/stripe-stand-in.ts';
import { fixedClock, systemClock } from '../../shared/clock.ts';
import { type Database, rows } from '../../shared/db.ts';
import { ids } from '../../shared/ids.ts';
import {
  assertPaymentFitsMode,
  createGatewayRegistry,
  createPaymentsModule,
  GatewayTimeoutError,
  GatewayUnavailableError,
  gatewayForMode,
  type PaymentInput,
  signTestWebhook,
  TEST_CARDS,
} from './index.ts';
import {
  cardExpired,
  cardProblem,
  luhnValid,
  pickOrderPayment,
  stripeTokenForTestCard,
  testCardOutcome,
} from './payments.rules.ts';

const TEST_MODE = { gateway: 'test', livemode: false } as const;

const card = (
  number: string,
  exp: { exp_month?: number; exp_year?: number; cvc?: string } = {},
): PaymentInput => ({
  card: { number, exp_month: exp.exp_month ?? 12, exp_year: exp.exp_year ?? 2099, cvc: exp.cvc ?? '123' },
});
const key = () => `k_${ids('request')}`;

describe('payment rules', () => {
  const now = new Date('2026-06-15T12:00:00Z');

  it('checks card numbers with Luhn', () => {
    for (const n of Object.values(TEST_CARDS)) expect(luhnValid(n)).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('4242')).toBe(false);
    expect(luhnValid('42424242424242a2')).toBe(false);
  });

  it('treats a card as valid through the end of its expiry month', () => {
    expect(cardExpired({ exp_month: 6, exp_year: 2026 }, now)).toBe(false);
    expect(cardExpired({ exp_month: 5, exp_year: 2026 }, now)).toBe(true);
    expect(cardExpired({ exp_month: 6, exp_year: 26 }, now)).toBe(false);
    expect(cardExpired({ exp_month: 12, exp_year: 2025 }, now)).toBe(true);
  });

  it('names what is wrong with card data', () => {
    expect(cardProblem(card('4242 4242 4242 4242').card!, now)).toBeNull();
    expect(cardProblem(card('4242424242424241').card!, now)).toMatch(/not a valid card number/);
    expect(cardProblem(card(TEST_CARDS.success, { exp_month: 13 }).card!, now)).toMatch(/month/);
    expect(cardProblem(card(TEST_CARDS.success, { exp_year: 2020 }).card!, now)).toMatch(/expired/);
    expect(cardProblem(card(TEST_CARDS.success, { cvc: '1' }).card!, now)).toMatch(/CVC/);
  });

  it('maps the documented test cards to outcomes', () => {
    expect(testCardOutcome(card(TEST_CARDS.success), now)).toMatchObject({
      kind: 'success',
      slow: false,
      last4: '4242',
    });
    expect(testCardOutcome(card(TEST_CARDS.slow), now)).toMatchObject({ kind: 'success', slow: true });
    expect(testCardOutcome(card(TEST_CARDS.lostResponse), now)).toMatchObject({
      kind: 'success',
      lostResponse: true,
    });
    expect(testCardOutcome(card(TEST_CARDS.declined), now)).toMatchObject({
      kind: 'declined',
      declineCode: 'card_declined',
    });
    expect(testCardOutcome(card(TEST_CARDS.insufficientFunds), now)).toMatchObject({
      declineCode: 'insufficient_funds',
    });
    expect(testCardOutcome(card(TEST_CARDS.processingError), now)).toMatchObject({
      kind: 'failed',
      declineCode: 'processing_error',
    });
    expect(testCardOutcome(card('5555555555554444'), now)).toMatchObject({ kind: 'success' });
    expect(testCardOutcome({ payment_method: 'pm_unknown' }, now)).toMatchObject({
      kind: 'declined',
      declineCode: 'invalid_payment_method',
    });
    expect(testCardOutcome({}, now)).toMatchObject({ kind: 'declined', declineCode: 'invalid_card' });
  });

  it('maps test card numbers to Stripe test payment methods', () => {
    expect(stripeTokenForTestCard(card(TEST_CARDS.success).card!)).toBe('pm_card_visa');
    expect(stripeTokenForTestCard(card(TEST_CARDS.declined).card!)).toBe('pm_card_chargeDeclined');
    expect(stripeTokenForTestCard(card(TEST_CARDS.insufficientFunds).card!)).toBe(
      'pm_card_chargeDeclinedInsufficientFunds',
    );
    expect(stripeTokenForTestCard(card('5555555555554444').card!)).toBeNull();
  });

  it('picks the attempt that took money, else the latest', () => {
    expect(
      pickOrderPayment([
        { status: 'declined' as const },
        { status: 'captured' as const },
        { status: 'declined' as const },
      ])?.status,
    ).toBe('captured');
    expect(
      pickOrderPayment([
        { status: 'declined' as const, n: 1 },
        { status: 'failed' as const, n: 2 },
      ]),
    ).toEqual({ status: 'failed', n: 2 });
    expect(pickOrderPayment([])).toBeUndefined();
  });
});

describe('test gateway', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });
  const gateway = (o: { delayMs?: number; settings?: object } = {}) =>
    createPaymentsModule({
      db: database.db,
      clock: systemClock,
      ids,
      testCardDelayMs: o.delayMs ?? 10,
    }).gateways.forMode(
      { test_gateway: { webhook_secret: 'whsec_default_for_these_tests' }, ...o.settings },
      { gateway: 'test', livemode: false },
    );
  const authorize = (
    payment: PaymentInput,
    o: { orderId?: string; idempotencyKey?: string; capture?: boolean } = {},
  ) =>
    gateway().authorize({
      orderId: o.orderId ?? ids('order'),
      amount: 1500,
      currency: 'usd',
      payment,
      capture: o.capture ?? true,
      idempotencyKey: o.idempotencyKey ?? key(),
    });

  it('declines malformed or expired cards with invalid_card', async () => {
    expect(await authorize(card('4242424242424241'))).toMatchObject({
      status: 'declined',
      declineCode: 'invalid_card',
    });
    expect(await authorize(card(TEST_CARDS.success, { exp_year: 2001 }))).toMatchObject({
      status: 'declined',
      declineCode: 'invalid_card',
    });
    expect(await authorize({})).toMatchObject({ status: 'declined', declineCode: 'invalid_card' });
  });

  it('judges expiry by the injected clock', async () => {
    const clock = fixedClock(new Date('2030-01-01T00:00:00Z'));
    const gw = createGatewayRegistry({ db: database.db, clock, ids }).forMode({}, TEST_MODE);
    const r = await gw.authorize({
      orderId: ids('order'),
      amount: 100,
      currency: 'USD',
      payment: card(TEST_CARDS.success, { exp_month: 12, exp_year: 2029 }),
      capture: true,
      idempotencyKey: key(),
    });
    expect(r).toMatchObject({
      status: 'declined',
      declineCode: 'invalid_card',
      message: 'The card has expired.',
    });
  });

  it('is the default gateway of test mode, and never the gateway of live mode', () => {
    expect(gatewayForMode({}, false)).toBe('test');
    expect(() => gatewayForMode({}, true)).toThrow(
      expect.objectContaining({ code: 'LIVE_GATEWAY_NOT_CONFIGURED' }),
    );
    // Live credentials in the test slot do not count: the key's own prefix decides its mode.
    expect(() => gatewayForMode({ stripe: { live: { secret_key: 'sk_test_x' } } }, true)).toThrow(
      expect.objectContaining({ code: 'LIVE_GATEWAY_NOT_CONFIGURED' }),
    );
    expect(gatewayForMode({ gateway: 'test', stripe: { live: { secret_key: 'sk_live_x' } } }, true)).toBe(
      'stripe',
    );
    const registry = createGatewayRegistry({ db: database.db, clock: systemClock, ids });
    expect(registry.forMode({}, TEST_MODE).name).toBe('test');
    const live = registry.forMode({}, { gateway: 'test', livemode: true });
    expect(live.name).not.toBe('test');
    expect(() => live.verifyWebhook('{}', {})).toThrow(
      expect.objectContaining({ code: 'LIVE_GATEWAY_NOT_CONFIGURED' }),
    );
  });

  it('refuses test cards with live keys before anything is charged', () => {
    expect(() => assertPaymentFitsMode(card(TEST_CARDS.success), true)).toThrow(
      expect.objectContaining({ code: 'TEST_CARD_IN_LIVE_MODE' }),
    );
    expect(() => assertPaymentFitsMode(card('4242 4242 4242 4242'), true)).toThrow(
      expect.objectContaining({ code: 'TEST_CARD_IN_LIVE_MODE' }),
    );
    expect(() => assertPaymentFitsMode(card(TEST_CARDS.success), false)).not.toThrow();
    expect(() => assertPaymentFitsMode({ payment_method: 'pm_123' }, true)).not.toThrow();
  });

  it('answers the slow card after the delay, with success', async () => {
    const r = await gateway({ delayMs: 30 }).authorize({
      orderId: ids('order'),
      amount: 700,
      currency: 'USD',
      payment: card(TEST_CARDS.slow),
      capture: false,
      idempotencyKey: key(),
    });
    expect(r).toMatchObject({ status: 'authorized', amountAuthorized: 700 });
  });

  it('charges once when the same key arrives concurrently', async () => {
    const orderId = ids('order');
    const idempotencyKey = key();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => authorize(card(TEST_CARDS.slow), { orderId, idempotencyKey })),
    );
    expect(new Set(results.map((r) => r.reference)).size).toBe(1);
    const n = await rows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from test_gateway_payment where order_id = ${orderId}`,
    );
    expect(n[0]!.n).toBe(1);
  });

  it('refuses an idempotency key reused for another payment', async () => {
    const idempotencyKey = key();
    await authorize(card(TEST_CARDS.success), { idempotencyKey });
    expect(await authorize(card(TEST_CARDS.success), { idempotencyKey })).toMatchObject({
      status: 'failed',
      declineCode: 'idempotency_key_reused',
    });
  });

  it('keeps its ledger across a restart of our process (a new gateway on the same database)', async () => {
    const orderId = ids('order');
    await expect(authorize(card(TEST_CARDS.lostResponse), { orderId })).rejects.toBeInstanceOf(
      GatewayTimeoutError,
    );
    const afterRestart = createGatewayRegistry({ db: database.db, clock: systemClock, ids }).forMode(
      {},
      TEST_MODE,
    );
    expect(await afterRestart.retrieve({ orderId, reference: null })).toMatchObject({
      status: 'captured',
      amountCaptured: 1500,
    });
  });

  it('prefers the successful attempt of an order over later declines', async () => {
    const orderId = ids('order');
    const ok = await authorize(card(TEST_CARDS.success), { orderId, capture: false });
    await authorize(card(TEST_CARDS.declined), { orderId });
    expect(await gateway().retrieve({ orderId, reference: null })).toMatchObject({
      status: 'authorized',
      reference: ok.reference,
    });
  });

  it('answers not_found for unknown references', async () => {
    const gw = gateway();
    expect((await gw.capture({ reference: 'tpi_nope', amount: 1, idempotencyKey: key() })).status).toBe(
      'not_found',
    );
    expect((await gw.void({ reference: 'tpi_nope', idempotencyKey: key() })).status).toBe('not_found');
    expect((await gw.refund({ reference: 'tpi_nope', amount: 1, idempotencyKey: key() })).status).toBe(
      'failed',
    );
  });

  it('uses the store webhook secret when set', () => {
    const body = JSON.stringify({
      type: 'payment.voided',
      data: { order_id: null, reference: 'tpi_1', status: 'voided' },
    });
    const gw = gateway({ settings: { test_gateway: { webhook_secret: 'whsec_store' } } });
    expect(
      gw.verifyWebhook(body, { 'crowdstart-test-signature': signTestWebhook(body, 'whsec_store') }),
    ).toMatchObject({
      status: 'voided',
      reference: 'tpi_1',
    });
    expect(() =>
      gw.verifyWebhook(body, {
        'crowdstart-test-signature': signTestWebhook(body, 'whsec_crowdstart_test_gateway'),
      }),
    ).toThrow(/does not match/);
  });

  it('refuses every webhook of a store without its own secret (there is no default secret)', () => {
    const body = JSON.stringify({
      type: 'payment.captured',
      data: { order_id: 'ord_1', status: 'captured' },
    });
    const gw = createGatewayRegistry({ db: database.db, clock: systemClock, ids }).forMode({}, TEST_MODE);
    for (const secret of ['', 'whsec_crowdstart_test_gateway']) {
      expect(() =>
        gw.verifyWebhook(body, { 'crowdstart-test-signature': signTestWebhook(body, secret) }),
      ).toThrow(expect.objectContaining({ code: 'GATEWAY_NOT_CONFIGURED' }));
    }
  });
});

describe('stripe adapter', () => {
  let standIn: StripeStandIn;
  beforeAll(async () => {
    standIn = await startStripeStandIn();
  });
  afterAll(async () => {
    await standIn?.close();
  });
  const registry = (timeoutMs = 2000, apiBase = standIn.url) =>
    createGatewayRegistry({
      db: undefined as never,
      clock: systemClock,
      ids,
      stripeTimeoutMs: timeoutMs,
      stripeApiBase: apiBase,
    });
  const stripe = (o: { apiBase?: string; timeoutMs?: number } = {}) =>
    registry(o.timeoutMs, o.apiBase).forMode(
      { gateway: 'stripe', stripe: { test: { secret_key: 'sk_test_adapter' } } },
      { gateway: 'stripe', livemode: false },
    );

  it('sends PaymentIntents in Stripe form encoding, with an idempotency key on every mutating call', async () => {
    const from = standIn.requests.length;
    const orderId = ids('order');
    const gw = stripe();
    const auth = await gw.authorize({
      orderId,
      amount: 1234,
      currency: 'EUR',
      payment: { payment_method: 'pm_card_visa' },
      capture: false,
      idempotencyKey: 'order-key-1',
      email: 'a@example.com',
    });
    await gw.capture({ reference: auth.reference!, amount: 1234, idempotencyKey: 'cap-key-1' });
    await gw.refund({ reference: auth.reference!, amount: 34, idempotencyKey: 'ref-key-1' });
    const sent = standIn.requests.slice(from);
    expect(sent.map((r) => `${r.method} ${r.path.replace(/pi_\w+/, 'pi_x')}`)).toEqual([
      'POST /v1/payment_intents',
      'POST /v1/payment_intents/pi_x/capture',
      'POST /v1/refunds',
    ]);
    expect(sent.map((r) => r.idempotencyKey)).toEqual(['order-key-1', 'cap-key-1', 'ref-key-1']);
    expect(sent[0]!.body).toMatchObject({
      amount: '1234',
      currency: 'eur',
      confirm: 'true',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      metadata: { order_id: orderId },
    });
    expect(sent[1]!.body).toMatchObject({ amount_to_capture: '1234' });
  });

  it('captures automatically when asked to', async () => {
    const from = standIn.requests.length;
    await stripe().authorize({
      orderId: ids('order'),
      amount: 100,
      currency: 'USD',
      payment: card(TEST_CARDS.success),
      capture: true,
      idempotencyKey: key(),
    });
    expect(standIn.requests[from]!.body).toMatchObject({
      capture_method: 'automatic',
      payment_method: 'pm_card_visa',
    });
  });

  it('never sends raw card numbers to Stripe', async () => {
    const from = standIn.requests.length;
    const r = await stripe().authorize({
      orderId: ids('order'),
      amount: 100,
      currency: 'USD',
      payment: card('5555555555554444'),
      capture: true,
      idempotencyKey: key(),
    });
    expect(r).toMatchObject({ status: 'declined', declineCode: 'invalid_payment_method', reference: null });
    expect(standIn.requests.length).toBe(from);
  });

  it('reports an unreachable Stripe as unavailable', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    await expect(
      stripe({ apiBase: `http://127.0.0.1:${closed}` }).retrieve({
        orderId: ids('order'),
        reference: 'pi_123',
      }),
    ).rejects.toBeInstanceOf(GatewayUnavailableError);
  });

  it('reports a timeout as GatewayTimeoutError', async () => {
    standIn.hangResponses(true);
    try {
      await expect(
        stripe({ timeoutMs: 200 }).authorize({
          orderId: ids('order'),
          amount: 100,
          currency: 'USD',
          payment: { payment_method: 'pm_card_visa' },
          capture: true,
          idempotencyKey: key(),
        }),
      ).rejects.toBeInstanceOf(GatewayTimeoutError);
    } finally {
      standIn.hangResponses(false);
    }
  });

  it('reports a rejected API key as unavailable', async () => {
    const gw = registry().forMode(
      { gateway: 'stripe', stripe: { test: { secret_key: 'rk_test_rejected' } } },
      { gateway: 'stripe', livemode: false },
    );
    await expect(gw.retrieve({ orderId: ids('order'), reference: null })).rejects.toBeInstanceOf(
      GatewayUnavailableError,
    );
  });

  it('reports a store without a Stripe key as unavailable', async () => {
    const gw = registry().forMode({ gateway: 'stripe' }, { gateway: 'stripe', livemode: false });
    expect(gw.name).toBe('stripe');
    await expect(gw.retrieve({ orderId: ids('order'), reference: null })).rejects.toBeInstanceOf(
      GatewayUnavailableError,
    );
    expect(() => gw.verifyWebhook('{}', {})).toThrow(/secret_key/);
  });

  it('never pairs a key with the other mode', async () => {
    const from = standIn.requests.length;
    // Live credentials are used only for live orders, and a test key put in the live slot is refused.
    const swapped = registry().forMode(
      { stripe: { live: { secret_key: 'sk_test_adapter' } } },
      { gateway: 'stripe', livemode: true },
    );
    await expect(swapped.retrieve({ orderId: ids('order'), reference: null })).rejects.toBeInstanceOf(
      GatewayUnavailableError,
    );
    const testOnly = registry().forMode(
      { stripe: { test: { secret_key: 'sk_test_adapter' } } },
      { gateway: 'stripe', livemode: true },
    );
    await expect(testOnly.retrieve({ orderId: ids('order'), reference: null })).rejects.toBeInstanceOf(
      GatewayUnavailableError,
    );
    expect(standIn.requests.length).toBe(from);
  });

  it('refuses webhooks when no webhook secret is configured', () => {
    const body = standIn.event('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' });
    expect(() =>
      stripe().verifyWebhook(body, { 'stripe-signature': standIn.signWebhook(body, 'whsec_x') }),
    ).toThrow(/webhook secret/);
  });
});
