import { describe, expect, it } from 'vitest';
import { CARDS, card, cartToken, checkout, newKey, seedVariant } from '../../../test/support/commerce.ts';
import { DB_KIND, recordStatements, type StatementLog, testApp } from '../../../test/support/harness.ts';

/*
 * Statement budgets of the hot paths (DESIGN §8), counted at the driver (the ORM's query logger) in the
 * request's own async context: background pollers running meanwhile are not counted. BEGIN/COMMIT are not
 * statements here; transactions are counted on their own. A change that needs more says why and moves the
 * budget in the same commit.
 */

/**
 * Statements of a paid checkout that are ours (idempotency, order, stock, payment, events). The stock
 * reservation is one call of a database function that locks the level rows with a statement of its own and
 * then reads other carts' holds with the next one, after the lock (see reserveForOrder): one round trip.
 * An Idempotency-Key used for the first time skips the look-up of an order made under it (there is none).
 */
const CHECKOUT_OURS = 11;
/** The test gateway's own ledger (the simulated processor): look up its idempotency key, record the charge. */
const CHECKOUT_GATEWAY = 2;
const CHECKOUT_TRANSACTIONS = 2;
/**
 * A coupon adds its fresh read (usage counts matter). Taking the use and recording the redemption ride in the
 * statement that writes the order's lines, audit event and outbox row.
 */
const COUPON_EXTRA = 1;
/**
 * A cart line update that raises a tracked line: the hold is one statement and no transaction, a call of
 * `inventory_place_hold` sent as an autocommit statement (no BEGIN/COMMIT). The function locks the level
 * row with a statement of its own, then reads other carts' live holds and writes the hold with the next one,
 * whose fresh snapshot sees a hold another cart committed while this one waited for the lock (one plain
 * statement would not). It is atomic on its own, so it needs no transaction around it.
 * The store, the pricing context and the variants for sale come from in-process caches that the catalog's
 * change feed keeps fresh (checkout still reads the variants fresh).
 */
const CART_LINE_UPDATE = 1;

const t = await testApp();

const GATEWAY_TABLE = /"?test_gateway_/;
const gatewayStatements = (log: StatementLog) => log.statements.filter((q) => GATEWAY_TABLE.test(q));
const ourStatements = (log: StatementLog) => log.statements.filter((q) => !GATEWAY_TABLE.test(q));
const listing = (qs: string[]) =>
  qs.map((q, i) => `  ${i + 1}. ${q.replace(/\s+/g, ' ').slice(0, 140)}`).join('\n');

describe(`statement budgets (${DB_KIND})`, () => {
  it(`a paid checkout of two lines sends ${CHECKOUT_OURS} statements of ours + ${CHECKOUT_GATEWAY} of the test gateway in ${CHECKOUT_TRANSACTIONS} transactions`, async () => {
    const s = await t.createStore();
    const v1 = await seedVariant(t, s, { price: 2500, onHand: 10 });
    const v2 = await seedVariant(t, s, { price: 1000, onHand: 5, title: 'Tee' });
    // Warm the in-process caches (store, rates, signing keys) with a first checkout.
    const warm = await checkout(t, s.pk, await cartToken(t, s.pk, [{ variant_id: v1, quantity: 1 }]));
    expect(warm.status).toBe(201);
    const token = await cartToken(t, s.pk, [
      { variant_id: v1, quantity: 2 },
      { variant_id: v2, quantity: 1 },
    ]);

    const { result, log } = await recordStatements(() =>
      checkout(t, s.pk, token, card(CARDS.success), newKey()),
    );

    expect(result.status).toBe(201);
    expect(result.json.order).toMatchObject({ status: 'paid', total: 6000 });
    expect(result.json.order.lines).toHaveLength(2);
    const ours = ourStatements(log);
    const gateway = gatewayStatements(log);
    expect(
      ours.length,
      `checkout: ${ours.length} statements of ours (budget ${CHECKOUT_OURS}):\n${listing(ours)}`,
    ).toBeLessThanOrEqual(CHECKOUT_OURS);
    expect(gateway.length, `test gateway statements:\n${listing(gateway)}`).toBe(CHECKOUT_GATEWAY);
    expect(log.statements.length).toBeLessThanOrEqual(CHECKOUT_OURS + CHECKOUT_GATEWAY);
    expect(log.transactions, 'transactions per checkout').toBeLessThanOrEqual(CHECKOUT_TRANSACTIONS);

    // The hot rows are locked last: the order transaction ends with the stock reservation (the gateway is
    // called next, outside it), and the paid transaction ends with the stock commit (then the idempotency
    // record). Each stock statement is followed by the catalog's stock-change record, the one statement that
    // must run after it (it reads the new stock to tell whether a variant crossed zero), so the level rows
    // stay locked for that one more round trip.
    const all = log.statements;
    // A new key: no look-up of an order by checkout key (the insert's conflict would find one).
    expect(
      all.filter((q) => /"checkout_key" = /.test(q)),
      listing(all),
    ).toEqual([]);
    const stockChange = /^with stock as/;
    const reserve = all.findIndex((q) => /inventory_reserve_order\(/.test(q));
    expect(reserve, listing(all)).toBeGreaterThan(0);
    expect(all[reserve + 1] ?? '', listing(all)).toMatch(stockChange);
    expect(GATEWAY_TABLE.test(all[reserve + 2] ?? ''), listing(all)).toBe(true);
    const commit = all.findIndex((q) => /^with moved as/.test(q.trim()));
    expect(commit, listing(all)).toBeGreaterThan(reserve);
    expect(all[commit + 1] ?? '', listing(all)).toMatch(stockChange);
    expect(all[commit + 2] ?? '', listing(all)).toMatch(/^update "idempotency_key"/);
  });

  it(`a paid checkout with a coupon sends ${CHECKOUT_OURS + COUPON_EXTRA} statements of ours + ${CHECKOUT_GATEWAY} of the test gateway`, async () => {
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 5000, onHand: 10 });
    const c = await t.request('POST', '/v1/coupons', {
      key: s.sk,
      body: { code: 'TENOFF', kind: 'percent', value: 10, usage_limit: 5 },
    });
    expect(c.status).toBe(201);
    const withCoupon = async () => {
      const token = await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }]);
      const r = await t.request('PUT', '/v1/carts/current/coupon', {
        key: s.pk,
        body: { code: 'tenoff', cart_token: token },
      });
      expect(r.status).toBe(200);
      return r.json.token as string;
    };
    expect((await checkout(t, s.pk, await withCoupon())).status).toBe(201);
    const token = await withCoupon();

    const { result, log } = await recordStatements(() =>
      checkout(t, s.pk, token, card(CARDS.success), newKey()),
    );

    expect(result.status).toBe(201);
    expect(result.json.order).toMatchObject({ status: 'paid', total: 4500, coupon_code: 'TENOFF' });
    const ours = ourStatements(log);
    expect(
      ours.length,
      `checkout with a coupon: ${ours.length} statements of ours (budget ${CHECKOUT_OURS + COUPON_EXTRA}):\n${listing(ours)}`,
    ).toBeLessThanOrEqual(CHECKOUT_OURS + COUPON_EXTRA);
    expect(gatewayStatements(log)).toHaveLength(CHECKOUT_GATEWAY);
    // The plain checkout's 13 and the coupon's fresh read.
    expect(log.statements.length).toBeLessThanOrEqual(CHECKOUT_OURS + CHECKOUT_GATEWAY + COUPON_EXTRA);
    // The use was taken and recorded (in the order's write statement), exactly once.
    const after = await t.request('GET', `/v1/coupons/${c.json.id}`, { key: s.sk });
    expect(after.json.used_count).toBe(2);
    expect(log.transactions).toBeLessThanOrEqual(CHECKOUT_TRANSACTIONS);
  });

  it(`a cart line update sends ${CART_LINE_UPDATE} statement and opens no transaction`, async () => {
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 2500, onHand: 10 });
    const w = await seedVariant(t, s, { price: 900, onHand: 10, title: 'Cap' });
    const token = await cartToken(t, s.pk, [
      { variant_id: v, quantity: 1 },
      { variant_id: w, quantity: 1 },
    ]);
    const update = (cartToken: string, quantity: number) =>
      recordStatements(() =>
        t.request('PATCH', `/v1/carts/current/lines/${v}`, {
          key: s.pk,
          body: { quantity, cart_token: cartToken },
        }),
      );

    const up = await update(token, 3);
    expect(up.result.status).toBe(200);
    expect(up.result.json.lines.find((l: { variant_id: string }) => l.variant_id === v)).toMatchObject({
      quantity: 3,
    });
    expect(
      up.log.statements.length,
      `cart line update: ${up.log.statements.length} statements (budget ${CART_LINE_UPDATE}):\n${listing(up.log.statements)}`,
    ).toBe(CART_LINE_UPDATE);
    expect(up.log.statements[0], listing(up.log.statements)).toMatch(/inventory_place_hold\(/);
    expect(up.log.transactions).toBe(0);

    const down = await update(up.result.json.token, 2);
    expect(down.result.status).toBe(200);
    expect(down.log.statements.length, listing(down.log.statements)).toBe(CART_LINE_UPDATE);
    expect(down.log.transactions).toBe(0);

    // The budget does not buy a weaker check: more than the stock is still refused.
    const tooMany = await update(down.result.json.token, 11);
    expect(tooMany.result.status).toBe(409);
    expect(tooMany.result.json.error.code).toBe('INSUFFICIENT_STOCK');
  });

  it('the counter sees statements of the recorded request only, and would see a regression', async () => {
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 500, onHand: 3 });
    const { log } = await recordStatements(async () => {
      await t.request('GET', `/v1/inventory/${v}`, { key: s.sk });
      await t.request('GET', `/v1/inventory/${v}`, { key: s.sk });
    });
    const { log: once } = await recordStatements(() => t.request('GET', `/v1/inventory/${v}`, { key: s.sk }));
    expect(once.statements.length).toBeGreaterThan(0);
    expect(log.statements.length).toBe(2 * once.statements.length);
    const { log: none } = await recordStatements(async () => undefined);
    expect(none.statements).toEqual([]);
  });
});
