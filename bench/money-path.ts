// Money-path scenarios: cart update, checkout (test gateway), and a hot SKU (many buyers, one variant).
import { randomUUID } from 'node:crypto';
import { CARD, call } from './lib/api.ts';
import { load } from './lib/load.ts';
import type { Row } from './report.ts';

/** `count` carts of one unit each, round-robin over the variants, made `parallel` at a time. */
async function makeCarts(base: string, pk: string, variants: string[], count: number, parallel = 50) {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, (_, j) =>
      call(base, 'POST', '/v1/carts', pk, {
        email: 'bench@example.com',
        lines: [{ variant_id: variants[(i + j) % variants.length]!, quantity: 1 }],
      }).then((c) => c.token as string),
    );
    tokens.push(...(await Promise.all(batch)));
  }
  return tokens;
}

export async function moneyPathScenarios(o: {
  base: string;
  pk: string;
  sk: string;
  connections: number;
  durationSec: number;
  mode: string;
  size: number;
  /** The API process's CPU time so far (ms): each row notes the CPU it spent per request. */
  cpuMs?: () => number;
  /** The database's CPU time so far (ms), where it runs in processes of its own. */
  dbCpuMs?: () => number;
}): Promise<Row[]> {
  const { base, pk, sk, connections, durationSec, mode, size } = o;
  /** Runs one load and answers it with the API's CPU per request over it. */
  const measured = async <T extends { requests: number }>(run: () => Promise<T>) => {
    const before = o.cpuMs?.() ?? 0;
    const dbBefore = o.dbCpuMs?.() ?? 0;
    const r = await run();
    const per = (ms: number) => (ms / Math.max(1, r.requests)).toFixed(2);
    const cpu = o.cpuMs ? `; API CPU ${per(o.cpuMs() - before)} ms/request` : '';
    const db = o.dbCpuMs ? `, PostgreSQL CPU ${per(o.dbCpuMs() - dbBefore)} ms/request` : '';
    return { ...r, cpu: cpu + db };
  };
  const rows: Row[] = [];
  // Many shoppers: one cart per connection, each on its own variant (the hot-SKU row below is the opposite).
  const variants: string[] = [];
  let cursor: string | null = null;
  while (variants.length < connections + 1) {
    const page: any = await call(
      base,
      'GET',
      `/v1/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      pk,
    );
    for (const p of page.data) variants.push(p.variants[0].id);
    if (!page.has_more) break;
    cursor = page.next_cursor;
  }
  const hot = variants.pop();
  if (!hot || variants.length === 0) throw new Error('no variants to drive the money path');
  const carts: { variant: string; token: string }[] = [];
  for (const variant of variants) {
    await call(base, 'PUT', `/v1/inventory/${variant}`, sk, { on_hand: 10_000_000 });
    const cart = await call(base, 'POST', '/v1/carts', pk, {
      email: 'bench@example.com',
      lines: [{ variant_id: variant, quantity: 1 }],
    });
    carts.push({ variant, token: cart.token });
  }
  const cartOf = (n: number) => carts[n % carts.length]!;

  const cartUpdate = await measured(() =>
    load({
      url: base,
      method: 'PATCH',
      paths: carts.map((c) => `/v1/carts/current/lines/${c.variant}`),
      headers: { authorization: `Bearer ${pk}`, 'content-type': 'application/json' },
      headersFor: (n) => ({ 'x-cart-token': cartOf(n).token }),
      body: (n) => JSON.stringify({ quantity: 1 + (Math.floor(n / carts.length) % 3) }),
      connections,
      durationSec,
    }),
  );
  const { cpu: cartCpu, ...cartRow } = cartUpdate;
  rows.push({
    mode,
    size,
    scenario: `cart update (${carts.length} carts: re-price + hold + new token)`,
    ...cartRow,
    note: cartCpu.replace(/^; /, ''),
  });

  // One cart makes one order: every checkout needs a cart of its own, made before the clock starts.
  const checkoutCarts = await makeCarts(base, pk, variants, Math.max(2000, durationSec * 600));
  const statuses = new Map<number, number>();
  const { cpu: checkoutCpu, ...checkout } = await measured(() =>
    load({
      url: base,
      method: 'POST',
      paths: ['/v1/checkout'],
      headers: { authorization: `Bearer ${pk}`, 'content-type': 'application/json' },
      headersFor: () => ({ 'idempotency-key': randomUUID() }),
      body: (n) =>
        JSON.stringify({ cart_token: checkoutCarts[n % checkoutCarts.length], payment: { card: CARD } }),
      statuses,
      connections,
      durationSec,
    }),
  );
  rows.push({
    mode,
    size,
    scenario: 'checkout (test gateway, capture)',
    ...checkout,
    note: `${statuses.get(201) ?? 0} orders paid of ${checkoutCarts.length} carts${checkoutCpu}`,
  });

  // Hot SKU: 100 units, everyone buys the same variant. Soft holds let only as many carts exist as units,
  // so each of the 100 carts races its own checkout against the rest, and later attempts meet a checked-out cart.
  const STOCK = 100;
  await call(base, 'PUT', `/v1/inventory/${hot}`, sk, { on_hand: STOCK });
  const hotCarts = await makeCarts(base, pk, [hot], STOCK);
  const hotStatuses = new Map<number, number>();
  const hotRun = await load({
    url: base,
    method: 'POST',
    paths: ['/v1/checkout'],
    headers: { authorization: `Bearer ${pk}`, 'content-type': 'application/json' },
    headersFor: () => ({ 'idempotency-key': randomUUID() }),
    body: (n) => JSON.stringify({ cart_token: hotCarts[n % hotCarts.length], payment: { card: CARD } }),
    statuses: hotStatuses,
    connections,
    durationSec: Math.min(5, durationSec),
  });
  const level = await call(base, 'GET', `/v1/inventory/${hot}`, sk);
  const paid = hotStatuses.get(201) ?? 0;
  const oversold = paid > STOCK || level.on_hand < 0;
  rows.push({
    mode,
    size,
    scenario: `hot SKU: ${STOCK} in stock, ${connections} buyers`,
    ...hotRun,
    note: `${paid} paid, ${hotStatuses.get(409) ?? 0} × 409; on_hand ${level.on_hand}, committed ${level.committed}; ${oversold ? 'OVERSOLD' : 'zero oversell'}`,
  });
  return rows;
}
