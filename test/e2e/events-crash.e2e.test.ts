import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, e2eDatabase, e2eStore, type Proc, startCrowdstart } from './processes.ts';

/**
 * DESIGN §1 promise 7 over real processes on PostgreSQL: two API processes and two workers, a checkout storm
 * whose clients retry with the same Idempotency-Key, `kill -9` of an API process and of a worker several times,
 * and a webhook receiver that is down for 30 s in the middle. Afterwards every paid order's `order.paid` has
 * reached the receiver with a valid signature (duplicates allowed, always with the same `webhook-id`) and every
 * confirmation email arrived exactly once.
 */
const ADMIN_URL = process.env.TEST_DATABASE_URL!;
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' };
const CLIENTS = 6;
const ORDERS_PER_CLIENT = 10;

let db: Awaited<ReturnType<typeof e2eDatabase>>;
const procs = new Set<Proc>();
let receiver: Server | undefined;
let smtp: SMTPServer;
const mails: Array<{ to: string; subject: string }> = [];
const received: Array<{ id: string; type: string; orderId: string; valid: boolean }> = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`${what}: not met in ${timeoutMs} ms`);
    await sleep(250);
  }
}

function startReceiver(port: number, secret: string): Promise<Server> {
  const wh = new Webhook(secret);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let valid = true;
      let event: any = null;
      try {
        event = wh.verify(body, {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
      } catch {
        valid = false;
        event = JSON.parse(body);
      }
      received.push({
        id: String(req.headers['webhook-id']),
        type: event?.type,
        orderId: event?.data?.object?.id,
        valid: valid && event?.id === req.headers['webhook-id'],
      });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  db = await e2eDatabase(ADMIN_URL);
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d) => {
        raw += d;
      });
      stream.on('end', () => {
        const subject = /^Subject: (.*)$/im.exec(raw)?.[1] ?? '';
        for (const r of session.envelope.rcptTo) mails.push({ to: r.address, subject });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
}, 60_000);

afterAll(async () => {
  await Promise.all([...procs].map((p) => p.kill('SIGKILL')));
  receiver?.close();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  await db?.drop();
});

describe('events survive crashes of API processes and workers', () => {
  it('every paid order reaches the webhook receiver signed, and its confirmation email arrives once', {
    timeout: 420_000,
  }, async () => {
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    const env = {
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '10',
      WORKER_POLL_MS: '200',
      IDEMPOTENCY_LOCK_SECONDS: '2',
      RECONCILE_AFTER_SECONDS: '2',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      WEBHOOK_ALLOW_PRIVATE: 'loopback',
    };
    const start = async (kind: 'serve' | 'worker') => {
      const p = await startCrowdstart(kind, env);
      procs.add(p);
      return p;
    };
    const apis = [await start('serve'), await start('serve')];
    const workers = [await start('worker'), await start('worker')];
    const store = await e2eStore(apis[0]!.url);

    // The receiver's port is reserved first so that it comes back on the same address after its outage.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const receiverPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const endpoint = await api(apis[0]!.url, 'POST', '/v1/webhook_endpoints', {
      key: store.sk,
      body: { url: `http://127.0.0.1:${receiverPort}/hooks`, enabled_events: ['order.paid'] },
    });
    expect(endpoint.status, endpoint.text).toBe(201);
    const secret = endpoint.json.secret as string;
    receiver = await startReceiver(receiverPort, secret);

    const sku = `STORM-${randomUUID().slice(0, 6)}`;
    const p = await api(apis[0]!.url, 'POST', '/v1/products', {
      key: store.sk,
      body: {
        title: 'Storm kit',
        status: 'active',
        options: [{ name: 'Size', values: ['One'] }],
        variants: [{ sku, price: 1500, option_values: { Size: 'One' } }],
      },
    });
    expect(p.status, p.text).toBe(201);
    const variantId = p.json.variants[0].id as string;
    expect(
      (
        await api(apis[0]!.url, 'PUT', `/v1/inventory/${variantId}`, {
          key: store.sk,
          body: { on_hand: 1000 },
        })
      ).status,
    ).toBe(200);

    // One shopper = one cart and one Idempotency-Key, retried on any API process until it gets an answer.
    let stormOver = false;
    const outcomes = { paid: 0, retries: 0 };
    const live = () => apis.filter((a) => a.child.exitCode === null && a.child.signalCode === null);
    async function shopper(n: number): Promise<void> {
      const email = `storm-${n}-${randomUUID().slice(0, 6)}@example.com`;
      const key = `storm-${randomUUID()}`;
      let token: string | undefined;
      for (let attempt = 0; attempt < 200; attempt++) {
        const base = live()[attempt % Math.max(1, live().length)]?.url;
        if (!base) {
          await sleep(200);
          continue;
        }
        try {
          if (!token) {
            const c = await api(base, 'POST', '/v1/carts', {
              key: store.pk,
              body: { email, lines: [{ variant_id: variantId, quantity: 1 }] },
            });
            if (c.status !== 201) throw new Error(`cart ${c.status}`);
            token = c.json.token as string;
          }
          const r = await api(base, 'POST', '/v1/checkout', {
            key: store.pk,
            headers: { 'idempotency-key': key },
            body: { cart_token: token, payment: { card: CARD } },
          });
          if (r.status === 201) {
            outcomes.paid++;
            return;
          }
          if (r.status < 500 && r.status !== 409 && r.status !== 429) {
            throw new Error(`checkout answered ${r.status}: ${r.text}`);
          }
        } catch (err) {
          if (String(err).includes('checkout answered')) throw err;
        }
        outcomes.retries++;
        await sleep(150 + Math.random() * 250);
      }
      throw new Error(`shopper ${n} never got an answer`);
    }
    const storm = Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < ORDERS_PER_CLIENT; i++) await shopper(c * ORDERS_PER_CLIENT + i);
      }),
    ).finally(() => {
      stormOver = true;
    });

    // Chaos: kill -9 an API process and a worker, three times each; the receiver is down for 30 s meanwhile.
    const chaos = (async () => {
      let kills = 0;
      for (let round = 0; round < 3; round++) {
        await sleep(2_000);
        const victim = apis.shift()!;
        await victim.kill('SIGKILL');
        procs.delete(victim);
        apis.push(await start('serve'));
        const w = workers.shift()!;
        await w.kill('SIGKILL');
        procs.delete(w);
        workers.push(await start('worker'));
        kills += 2;
        if (round === 0) {
          const down = new Promise((r) => receiver!.close(r));
          receiver!.closeAllConnections();
          await down;
          await sleep(30_000);
          receiver = await startReceiver(receiverPort, secret);
        }
      }
      return kills;
    })();
    const [kills] = await Promise.all([chaos, storm]);
    expect(stormOver).toBe(true);
    expect(kills).toBe(6);
    expect(outcomes.paid).toBe(CLIENTS * ORDERS_PER_CLIENT);

    const paid = await db.pool.query(
      `select id, email from "order" where store_id = $1 and status = 'paid' order by id`,
      [store.id],
    );
    expect(paid.rows).toHaveLength(CLIENTS * ORDERS_PER_CLIENT);
    const paidIds = new Set(paid.rows.map((r) => r.id as string));

    // Every paid order's order.paid reaches the receiver (the backoff after the outage is at most minutes: the
    // test nudges due retries by moving their next attempt forward, as a merchant's "redeliver" would).
    await waitFor(
      async () => {
        await db.pool.query(
          `update webhook_delivery set next_attempt_at = now() where state = 'pending' and next_attempt_at > now()`,
        );
        const got = new Set(received.filter((r) => r.type === 'order.paid' && r.valid).map((r) => r.orderId));
        return [...paidIds].every((id) => got.has(id)) ? true : undefined;
      },
      120_000,
      'every order.paid delivered',
    );
    expect(received.filter((r) => !r.valid)).toEqual([]);
    // Duplicates are allowed, but one order's order.paid always carries the same webhook-id.
    const idsByOrder = new Map<string, Set<string>>();
    for (const r of received.filter((x) => x.type === 'order.paid')) {
      const s = idsByOrder.get(r.orderId) ?? new Set<string>();
      s.add(r.id);
      idsByOrder.set(r.orderId, s);
    }
    for (const id of paidIds) expect(idsByOrder.get(id)?.size, id).toBe(1);
    const events = await db.pool.query(
      `select count(*)::int as n from event where store_id = $1 and type = 'order.paid'`,
      [store.id],
    );
    expect(events.rows[0].n).toBe(paidIds.size);

    // Every confirmation email arrives exactly once.
    await waitFor(
      async () => {
        const got = new Set(mails.map((m) => m.to));
        return paid.rows.every((r) => got.has(r.email)) ? true : undefined;
      },
      60_000,
      'every confirmation email',
    );
    await sleep(2_000);
    for (const r of paid.rows)
      expect(
        mails.filter((m) => m.to === r.email),
        r.email,
      ).toHaveLength(1);
    process.stdout.write(
      `events crash test: ${paidIds.size} paid orders, ${outcomes.retries} client retries, ${kills} kill -9, ` +
        `${received.length} deliveries (${received.length - paidIds.size} duplicates), ${mails.length} emails\n`,
    );
  });
});
