import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cartToken, checkout, count, liveKey, seedVariant } from '../../../test/support/commerce.ts';
import { type TestApp, testApp } from '../../../test/support/harness.ts';
import { type Receiver, startReceiver } from '../../../test/support/receiver.ts';
import { fixedClock } from '../../shared/clock.ts';
import { guardedLookup } from './webhooks.net.ts';

const receivers: Receiver[] = [];
async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
afterAll(async () => {
  for (const r of receivers) await r.close();
});

const clock = fixedClock(new Date());
let t: TestApp;
let store: { id: string; pk: string; sk: string };

beforeAll(async () => {
  t = await testApp({
    env: { WEBHOOK_ALLOW_PRIVATE: 'loopback', WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '4' },
    clock,
  });
  store = await t.createStore();
});

async function createEndpoint(url: string, extra: Record<string, unknown> = {}, key = store.sk) {
  const r = await t.request('POST', '/v1/webhook_endpoints', {
    key,
    body: { url, enabled_events: ['*'], ...extra },
  });
  if (r.status !== 201) throw new Error(`create endpoint: ${r.status} ${r.text}`);
  return r.json as { id: string; secret: string; url: string };
}

async function sendTest(endpointId: string) {
  const r = await t.request('POST', `/v1/webhook_endpoints/${endpointId}/test`, { key: store.sk });
  expect(r.status).toBe(200);
  return r.json as { id: string; event_id: string };
}

const delivery = async (endpointId: string, id: string) =>
  (await t.request('GET', `/v1/webhook_endpoints/${endpointId}/deliveries/${id}`, { key: store.sk })).json;

const endpoint = async (id: string) =>
  (await t.request('GET', `/v1/webhook_endpoints/${id}`, { key: store.sk })).json;

describe('webhook endpoints', () => {
  it('creates an endpoint with a Standard Webhooks secret shown once, then lists, reads, updates, deletes', async () => {
    const created = await createEndpoint('http://127.0.0.1:9/hook', {
      enabled_events: ['order.paid', 'order.created'],
      description: 'ERP sync',
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(32);
    const got = await endpoint(created.id);
    expect(got).toMatchObject({
      id: created.id,
      object: 'webhook_endpoint',
      livemode: false,
      disabled: false,
    });
    expect(got.enabled_events).toEqual(['order.paid', 'order.created']);
    expect(got).not.toHaveProperty('secret');
    const list = await t.request('GET', '/v1/webhook_endpoints', { key: store.sk });
    expect(list.json.data.map((e: { id: string }) => e.id)).toContain(created.id);
    expect(JSON.stringify(list.json)).not.toContain(created.secret);

    const patched = await t.request('PATCH', `/v1/webhook_endpoints/${created.id}`, {
      key: store.sk,
      body: { enabled_events: ['*'], disabled: true, version: 1 },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ enabled_events: ['*'], disabled: true, version: 2 });
    const stale = await t.request('PATCH', `/v1/webhook_endpoints/${created.id}`, {
      key: store.sk,
      body: { description: 'x', version: 1 },
    });
    expect(stale.status).toBe(409);

    // The other mode of the same store does not see it.
    const liveSk = await liveKey(t, store.id, 'secret');
    expect((await t.request('GET', `/v1/webhook_endpoints/${created.id}`, { key: liveSk })).status).toBe(404);

    const del = await t.request('DELETE', `/v1/webhook_endpoints/${created.id}`, { key: store.sk });
    expect(del.json).toEqual({ id: created.id, object: 'webhook_endpoint', deleted: true });
    expect((await t.request('GET', `/v1/webhook_endpoints/${created.id}`, { key: store.sk })).status).toBe(
      404,
    );
  });

  it.each([
    ['not a url', {}, 'WEBHOOK_URL_NOT_ALLOWED', 'url'],
    ['ftp://example.com/hook', {}, 'WEBHOOK_URL_NOT_ALLOWED', 'url'],
    ['http://10.0.0.7/hook', {}, 'WEBHOOK_URL_NOT_ALLOWED', 'url'],
    ['http://169.254.169.254/latest/meta-data', {}, 'WEBHOOK_URL_NOT_ALLOWED', 'url'],
    ['http://[::ffff:192.168.0.1]/hook', {}, 'WEBHOOK_URL_NOT_ALLOWED', 'url'],
    [
      'https://example.com/hook',
      { enabled_events: ['order.paid', 'order.exploded'] },
      'VALIDATION_FAILED',
      'enabled_events.1',
    ],
    ['https://example.com/hook', { enabled_events: [] }, 'VALIDATION_FAILED', 'enabled_events'],
    ['https://example.com/hook', { description: 'x'.repeat(501) }, 'VALIDATION_FAILED', 'description'],
  ])('refuses %s %j with %s on %s', async (url, extra, code, param) => {
    const r = await t.request('POST', '/v1/webhook_endpoints', {
      key: store.sk,
      body: { url, enabled_events: ['*'], ...extra },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code, param, type: 'invalid_request_error' });
    expect(r.json.error.request_id).toBeTruthy();
  });

  it('refuses http in live mode, and publishable keys', async () => {
    const liveSk = await liveKey(t, store.id, 'secret');
    const r = await t.request('POST', '/v1/webhook_endpoints', {
      key: liveSk,
      body: { url: 'http://127.0.0.1:9/hook', enabled_events: ['*'] },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'WEBHOOK_URL_NOT_ALLOWED', param: 'url' });
    expect(r.json.error.message).toMatch(/https/);
    const pk = await t.request('GET', '/v1/webhook_endpoints', { key: store.pk });
    expect(pk.status).toBe(403);
  });

  it('the resolver guard refuses names that resolve to a refused address', async () => {
    const lookup = guardedLookup('none');
    const err = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/loopback/);
    const ok = await new Promise<string>((resolve, reject) =>
      guardedLookup('loopback')('localhost', {}, (e, a) => (e ? reject(e) : resolve(String(a)))),
    );
    expect(ok).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});

describe('delivery', () => {
  it('delivers order.created and order.paid of a checkout, signed so a Standard Webhooks verifier accepts them', async () => {
    const r = await receiver();
    const ep = await createEndpoint(r.url, { enabled_events: ['order.paid', 'order.created'] });
    const variant = await seedVariant(t, store);
    const paid = await checkout(
      t,
      store.pk,
      await cartToken(t, store.pk, [{ variant_id: variant, quantity: 1 }]),
    );
    expect(paid.status).toBe(201);
    await t.events.drain();
    await t.webhooks.deliverAll();
    const types = r.received.map((x) => JSON.parse(x.body).type);
    expect(types.sort()).toEqual(['order.created', 'order.paid']);
    const req = r.received.find((x) => JSON.parse(x.body).type === 'order.paid')!;
    const verified = new Webhook(ep.secret).verify(req.body, req.headers) as {
      id: string;
      data: { object: { id: string } };
    };
    expect(verified.data.object.id).toBe(paid.json.id ?? paid.json.order?.id);
    expect(req.headers['webhook-id']).toBe(verified.id);
    expect(req.headers['content-type']).toBe('application/json');
    // A tampered body does not verify.
    expect(() =>
      new Webhook(ep.secret).verify(req.body.replace('order.paid', 'order.pain'), req.headers),
    ).toThrow();
    const list = await t.request('GET', `/v1/webhook_endpoints/${ep.id}/deliveries?state=succeeded`, {
      key: store.sk,
    });
    expect(list.json.data).toHaveLength(2);
    // Relaying the same events again makes no second delivery.
    await t.request('DELETE', `/v1/webhook_endpoints/${ep.id}`, { key: store.sk });
  });

  it('the running worker relays and delivers on its own, soon after the change commits', async () => {
    const r = await receiver();
    const ep = await createEndpoint(r.url, { enabled_events: ['order.paid'] });
    const variant = await seedVariant(t, store);
    t.worker.start();
    try {
      const paid = await checkout(
        t,
        store.pk,
        await cartToken(t, store.pk, [{ variant_id: variant, quantity: 1 }]),
      );
      expect(paid.status).toBe(201);
      await r.waitFor(1);
    } finally {
      await t.worker.stop();
      // The worker's poll also turned on the service's wake-ups (a finished lane claims again at once); off
      // now, so that no claim of this test runs beside the next test's `deliverAll`.
      await t.webhooks.drain();
    }
    expect(JSON.parse(r.received[0]!.body).type).toBe('order.paid');
    expect(new Webhook(ep.secret).verify(r.received[0]!.body, r.received[0]!.headers)).toBeTruthy();
    await t.request('DELETE', `/v1/webhook_endpoints/${ep.id}`, { key: store.sk });
  });

  it('retries a 500 with the same webhook-id, then succeeds', async () => {
    const r = await receiver((_req, _res, n) => (n === 1 ? { status: 500, body: 'boom' } : { status: 200 }));
    const ep = await createEndpoint(r.url);
    const d = await sendTest(ep.id);
    await t.webhooks.deliverAll();
    let got = await delivery(ep.id, d.id);
    expect(got).toMatchObject({ state: 'pending', attempts: 1, last_status_code: 500 });
    const wait = new Date(got.next_attempt_at).getTime() - clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(4_500);
    expect(wait).toBeLessThanOrEqual(5_500);
    await t.webhooks.deliverAll(); // not due yet
    expect(r.received).toHaveLength(1);
    clock.advance(6_000);
    await t.webhooks.deliverAll();
    got = await delivery(ep.id, d.id);
    expect(got).toMatchObject({
      state: 'succeeded',
      attempts: 2,
      last_status_code: 200,
      next_attempt_at: null,
    });
    expect(got.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200]);
    expect(got.attempt_log[0].response_body).toBe('boom');
    expect(r.received).toHaveLength(2);
    expect(r.received[0]!.headers['webhook-id']).toBe(d.event_id);
    expect(r.received[1]!.headers['webhook-id']).toBe(d.event_id);
    expect(new Webhook(ep.secret).verify(r.received[1]!.body, r.received[1]!.headers)).toMatchObject({
      type: 'webhook.test',
    });
  });

  it('410 Gone disables the endpoint at once and tells the store with webhook_endpoint.disabled', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const ep = await createEndpoint(r.url);
    const d = await sendTest(ep.id);
    const d2 = await sendTest(ep.id);
    await t.webhooks.deliverAll();
    expect(await endpoint(ep.id)).toMatchObject({ disabled: true, disabled_reason: 'gone' });
    const states = [(await delivery(ep.id, d.id)).state, (await delivery(ep.id, d2.id)).state].sort();
    // The first answer 410 fails its delivery; the other is cancelled, or also failed if it went out together.
    expect(states.every((s) => s === 'failed' || s === 'cancelled')).toBe(true);
    const events = await t.request('GET', '/v1/events?type=webhook_endpoint.disabled', { key: store.sk });
    expect(events.json.data.map((e: { data: { object: { id: string } } }) => e.data.object.id)).toContain(
      ep.id,
    );
  });

  it('a receiver that never answers does not hold up another endpoint', async () => {
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const slow = await createEndpoint(hanging.url);
    const fast = await createEndpoint(healthy.url);
    await sendTest(slow.id);
    await t.webhooks.deliverDue();
    await hanging.waitFor(1);
    const d = await sendTest(fast.id);
    await t.webhooks.deliverDue();
    await healthy.waitFor(1);
    // The healthy endpoint got its event while the hanging one is still in flight.
    expect(t.webhooks.inFlightCount()).toBeGreaterThanOrEqual(1);
    expect(healthy.received[0]!.headers['webhook-id']).toBe(d.event_id);
    await hanging.close(); // the hanging attempt fails now instead of at its timeout
    await t.webhooks.deliverAll();
    await t.request('PATCH', `/v1/webhook_endpoints/${slow.id}`, { key: store.sk, body: { disabled: true } });
  });

  it('keeps at most 4 deliveries in flight to one endpoint', async () => {
    const hanging = await receiver(() => 'hang');
    const ep = await createEndpoint(hanging.url);
    for (let i = 0; i < 6; i++) await sendTest(ep.id);
    // Four lanes take the six; each sends one at a time, so the other two wait behind a hanging POST.
    expect(await t.webhooks.deliverDue()).toBe(6);
    await hanging.waitFor(4);
    expect(await t.webhooks.deliverDue()).toBe(0); // every lane of this endpoint is out
    expect(t.webhooks.inFlightCount()).toBe(4);
    await hanging.close();
    await t.webhooks.deliverAll();
    expect(hanging.received).toHaveLength(4);
    await t.request('DELETE', `/v1/webhook_endpoints/${ep.id}`, { key: store.sk });
  });

  it('a lane sends its deliveries one after another, stops at a failure and gives the rest back uncounted', async () => {
    const one = await testApp({
      env: { WEBHOOK_ALLOW_PRIVATE: 'loopback', WEBHOOK_CONCURRENCY: '1' },
      clock,
      database: t.database,
    });
    await one.webhooks.deliverAll(); // nothing else due
    const r = await receiver((_req, _res, n) => (n === 1 ? { status: 503 } : { status: 200 }));
    const ep = await createEndpoint(r.url);
    const [a, b, c] = [await sendTest(ep.id), await sendTest(ep.id), await sendTest(ep.id)];
    expect(await one.webhooks.deliverDue()).toBe(3); // one lane (one slot in this process) holds all three
    await one.webhooks.drain();
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual([a!.event_id]);
    expect(await delivery(ep.id, a!.id)).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_status_code: 503,
    });
    for (const d of [b!, c!]) {
      expect(await delivery(ep.id, d.id)).toMatchObject({
        state: 'pending',
        attempts: 0,
        last_attempt_at: null,
        last_status_code: null,
      });
    }
    await one.webhooks.deliverAll(); // the two given back are due at once; the failed one waits for its retry
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual([a!.event_id, b!.event_id, c!.event_id]);
    for (const d of [b!, c!]) {
      const got = await delivery(ep.id, d.id);
      expect(got).toMatchObject({ state: 'succeeded', attempts: 1, last_status_code: 200 });
      expect(got.attempt_log).toHaveLength(1);
    }
    await t.request('DELETE', `/v1/webhook_endpoints/${ep.id}`, { key: store.sk });
  });

  it('checks the address again at delivery: a worker that allows no loopback refuses to send there', async () => {
    const r = await receiver();
    const strict = await testApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'none' }, clock, database: t.database });
    const byName = await createEndpoint(`http://localhost:${r.port}/hook`);
    const byAddress = await createEndpoint(r.url);
    const a = await sendTest(byName.id);
    const b = await sendTest(byAddress.id);
    await strict.webhooks.deliverAll();
    expect(r.received).toHaveLength(0);
    expect((await delivery(byName.id, a.id)).last_error).toMatch(/localhost/);
    expect((await delivery(byAddress.id, b.id)).last_error).toMatch(/loopback/);
    await t.request('DELETE', `/v1/webhook_endpoints/${byName.id}`, { key: store.sk });
    await t.request('DELETE', `/v1/webhook_endpoints/${byAddress.id}`, { key: store.sk });
  });

  it('a 10 MB answer is read only up to 4 KB, and a redirect is a failure, not followed', async () => {
    const big = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(10 * 1024 * 1024));
      return 'handled';
    });
    const target = await receiver();
    const redirecting = await receiver((_req, res) => {
      res.writeHead(302, { location: target.url });
      res.end();
      return 'handled';
    });
    const a = await createEndpoint(big.url);
    const b = await createEndpoint(redirecting.url);
    const da = await sendTest(a.id);
    const db = await sendTest(b.id);
    await t.webhooks.deliverAll();
    const gotA = await delivery(a.id, da.id);
    expect(gotA.state).toBe('succeeded');
    expect(gotA.attempt_log[0].response_body.length).toBeLessThanOrEqual(4096);
    expect(gotA.attempt_log[0].response_body.length).toBeGreaterThan(0);
    const gotB = await delivery(b.id, db.id);
    expect(gotB).toMatchObject({ state: 'pending', last_status_code: 302, attempts: 1 });
    expect(target.received).toHaveLength(0);
    await t.request('DELETE', `/v1/webhook_endpoints/${b.id}`, { key: store.sk });
  });

  it('after a secret rotation both secrets sign for 24 hours', async () => {
    const r = await receiver();
    const ep = await createEndpoint(r.url);
    const rotated = await t.request('POST', `/v1/webhook_endpoints/${ep.id}/rotate_secret`, {
      key: store.sk,
    });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.json.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(ep.secret);
    await sendTest(ep.id);
    await t.webhooks.deliverAll();
    const req = r.received[0]!;
    expect(req.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(ep.secret).verify(req.body, req.headers)).toBeTruthy();
    expect(new Webhook(newSecret).verify(req.body, req.headers)).toBeTruthy();
    clock.advance(24 * 3_600_000 + 1000);
    await sendTest(ep.id);
    await t.webhooks.deliverAll();
    expect(r.received[1]!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    await t.request('DELETE', `/v1/webhook_endpoints/${ep.id}`, { key: store.sk });
  });

  it('a lease that runs out (the worker died) lets another delivery run take it over', async () => {
    const r = await receiver();
    const ep = await createEndpoint(r.url);
    const d = await sendTest(ep.id);
    const claimed = await t.webhooks.claimDue(10); // a worker claims, then dies before sending
    expect(claimed.map((c) => c.delivery.id)).toContain(d.id);
    await t.webhooks.deliverAll();
    expect(r.received).toHaveLength(0); // leased: nobody else sends it
    clock.advance(31_000);
    await t.webhooks.deliverAll();
    expect(r.received).toHaveLength(1);
    expect(await delivery(ep.id, d.id)).toMatchObject({ state: 'succeeded', attempts: 2 });
    await t.request('DELETE', `/v1/webhook_endpoints/${ep.id}`, { key: store.sk });
  });

  it('three days of failures disable the endpoint', async () => {
    const r = await receiver(() => ({ status: 503 }));
    const ep = await createEndpoint(r.url);
    await sendTest(ep.id);
    await t.webhooks.deliverAll();
    expect((await endpoint(ep.id)).disabled).toBe(false);
    clock.advance(2 * 24 * 3_600_000);
    await sendTest(ep.id);
    await t.webhooks.deliverAll();
    expect((await endpoint(ep.id)).disabled).toBe(false);
    clock.advance(24 * 3_600_000);
    await sendTest(ep.id);
    await t.webhooks.deliverAll();
    expect(await endpoint(ep.id)).toMatchObject({ disabled: true, disabled_reason: 'failing' });
    const pending = await t.request('GET', `/v1/webhook_endpoints/${ep.id}/deliveries?state=pending`, {
      key: store.sk,
    });
    expect(pending.json.data).toHaveLength(0);
  });

  it('retries one delivery on request, and redelivers every failed one since a time', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const ep = await createEndpoint(r.url);
    const since = clock.now();
    const a = await sendTest(ep.id);
    const b = await sendTest(ep.id);
    await t.webhooks.deliverAll();
    // Make them final failures.
    await t.database.db.execute(
      sql`update webhook_delivery set state = 'failed' where endpoint_id = ${ep.id}`,
    );
    r.setBehaviour(() => ({ status: 200 }));
    const one = await t.request('POST', `/v1/webhook_endpoints/${ep.id}/deliveries/${a.id}/retry`, {
      key: store.sk,
    });
    expect(one.json).toMatchObject({ id: a.id, state: 'pending' });
    await t.webhooks.deliverAll();
    expect((await delivery(ep.id, a.id)).state).toBe('succeeded');
    expect((await delivery(ep.id, b.id)).state).toBe('failed');
    const re = await t.request('POST', `/v1/webhook_endpoints/${ep.id}/redeliver`, {
      key: store.sk,
      body: { since: since.toISOString() },
    });
    expect(re.json).toEqual({ object: 'redelivery', requeued: 1 });
    await t.webhooks.deliverAll();
    expect((await delivery(ep.id, b.id)).state).toBe('succeeded');
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(
      new Set([a.event_id, b.event_id]),
    );
    const missing = await t.request(
      'GET',
      `/v1/webhook_endpoints/${ep.id}/deliveries/whd_00000000000000000000000000`,
      {
        key: store.sk,
      },
    );
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('WEBHOOK_DELIVERY_NOT_FOUND');
    const metrics = await t.deps.metrics.registry.getSingleMetricAsString('webhook_deliveries_total');
    expect(metrics).toMatch(/outcome="succeeded"/);
    expect(await count(t, sql`select count(*) as n from webhook_attempt`)).toBeGreaterThan(0);
  });
});
