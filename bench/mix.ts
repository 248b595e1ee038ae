// Paper mix: the workload of the seed paper (shared/seeds/001_5316ed083f271b31.txt, "workload mix" and
// Table 1) at a FIXED ARRIVAL RATE, measured beside the paper's own p99 figures.
//
// Runs by default in `npm run bench` for every mode and size (`--skip-mix` leaves it out; `--mix-rates 200,1000`
// sets the rates, `--duration` the seconds per rate, `--mix-max-in-flight` the cap on outstanding requests).
// Before the measured rates, the products at the head of the Zipf order are read once (`--mix-warm N`, default
// 10,000: a running store's cache holds the products its traffic keeps asking for; 0 measures a cold start),
// then an unmeasured 3 s warm-up at the lowest rate (JIT, prepared statements, caches).
//
// - Open loop: request n is due at start + n / rate and is sent then, whether or not earlier requests have
//   answered (node:http with a keep-alive agent and a 1 ms timer that sends every due request). Latency is
//   taken from the SCHEDULED send time, so waiting in the client (timer lag, agent socket queue) counts and
//   slow answers cannot hide later ones (no coordinated omission).
// - Bounded: at most `maxInFlight` requests outstanding; a request due while the cap is reached is dropped
//   and counted. After the schedule ends, stragglers get `drainSec` to answer, then count as errors.
// - Mix: 70% product reads (a Zipf choice, s = 1, over every slug of the catalog in a fixed shuffled order),
//   20% cart operations (a simulated shopper with no cart, or after 5 updates, creates a cart with one line;
//   otherwise sets the quantity of its line with its cart token, and keeps the new token), 8% search (1–2 words
//   of the catalog's title vocabulary, one in three with one letter substituted), 2% checkout (a fresh cart
//   with one line, then POST /v1/checkout with its own Idempotency-Key and the test card; its latency is the
//   whole flow, from the scheduled time to the checkout's answer).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { prng } from '../src/modules/catalog/index.ts';
import { CARD, call } from './lib/api.ts';
import { percentile } from './lib/latency.ts';

/** Table 1 of shared/seeds/001_5316ed083f271b31.txt, "Request latency by operation type (ms)". */
export const PAPER_TABLE1 = {
  product: { label: 'Product Read', p50: 12, p95: 28, p99: 45 },
  cart: { label: 'Cart Update', p50: 18, p95: 42, p99: 78 },
  search: { label: 'Search', p50: 35, p95: 85, p99: 142 },
  checkout: { label: 'Checkout', p50: 245, p95: 520, p99: 890 },
} as const;
export const PAPER_SOURCE = 'shared/seeds/001_5316ed083f271b31.txt, Table 1';

export type Op = keyof typeof PAPER_TABLE1;
const OPS: Op[] = ['product', 'cart', 'search', 'checkout'];
const SHARE: Record<Op, number> = { product: 0.7, cart: 0.2, search: 0.08, checkout: 0.02 };

export interface MixCatalog {
  /** `/v1/products/<slug>` in Zipf rank order (rank 1 first). */
  productPaths: string[];
  /** First variant of each product in the same rank order, stock raised for the first `cartVariants`. */
  variants: string[];
  cartVariants: number;
  vocabulary: string[];
}

export interface MixOpResult {
  op: Op;
  target: number;
  scheduled: number;
  ok: number;
  /** 2xx answers per second of the schedule. */
  achieved: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  drops: number;
  statuses: Record<string, number>;
}

export interface MixResult {
  rate: number;
  durationSec: number;
  maxInFlight: number;
  peakInFlight: number;
  shoppers: number;
  /** CPU of the load generator and of the API process over the run, % of one core. */
  clientCpu: number;
  serverCpu?: number;
  ops: MixOpResult[];
}

/** Draws ranks 0..n-1 with P(rank k) ∝ 1 / (k + 1)^s. */
function zipf(n: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cdf[k] = sum;
  }
  return () => {
    const u = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * Reads the whole catalog (every slug, title and first variant), shuffles it into a fixed Zipf rank order,
 * and raises stock on the variants carts use so holds never run out during the run.
 */
export async function prepareMixCatalog(o: {
  base: string;
  pk: string;
  sk: string;
  cartVariants?: number;
}): Promise<MixCatalog> {
  const items: { path: string; title: string; variant: string }[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: any = await call(
      o.base,
      'GET',
      `/v1/products?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      o.pk,
    );
    for (const p of page.data)
      items.push({ path: `/v1/products/${p.slug}`, title: p.title, variant: p.variants[0].id });
    if (!page.has_more) break;
    cursor = page.next_cursor;
  }
  const rand = prng(20141129);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  const cartVariants = Math.min(items.length, o.cartVariants ?? 1000);
  for (let i = 0; i < cartVariants; i += 25) {
    await Promise.all(
      items
        .slice(i, Math.min(i + 25, cartVariants))
        .map((it) => call(o.base, 'PUT', `/v1/inventory/${it.variant}`, o.sk, { on_hand: 10_000_000 })),
    );
  }
  const vocabulary = [
    ...new Set(
      items.flatMap((it) =>
        it.title
          .toLowerCase()
          .split(/\s+/)
          .filter((w) => /^[a-z]{4,}$/.test(w)),
      ),
    ),
  ].sort();
  return {
    productPaths: items.map((it) => it.path),
    variants: items.map((it) => it.variant),
    cartVariants,
    vocabulary,
  };
}

/**
 * Reads the first `products` products of the Zipf order once, `parallel` at a time: the cache of a store that
 * has been serving this traffic holds them. Answers how many were read.
 */
export async function warmMixCatalog(o: {
  base: string;
  pk: string;
  catalog: MixCatalog;
  products: number;
  parallel?: number;
}): Promise<number> {
  const paths = o.catalog.productPaths.slice(0, o.products);
  const parallel = o.parallel ?? 32;
  let next = 0;
  const worker = async () => {
    while (next < paths.length) await call(o.base, 'GET', paths[next++]!, o.pk);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return paths.length;
}

interface Answer {
  status: number;
  body: string;
}

/** One fixed-rate run of the mix for `durationSec` at `rate` requests per second. */
export async function runMix(o: {
  base: string;
  pk: string;
  catalog: MixCatalog;
  rate: number;
  durationSec: number;
  maxInFlight?: number;
  drainSec?: number;
  seed?: number;
  /** CPU time (ms) the API process has used so far, to report its load beside the client's. */
  serverCpuMs?: () => number;
}): Promise<MixResult> {
  const { catalog, rate, durationSec } = o;
  const maxInFlight = o.maxInFlight ?? 2000;
  const drainSec = o.drainSec ?? 15;
  const url = new URL(o.base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  const rand = prng(o.seed ?? rate);
  const productRank = zipf(catalog.productPaths.length, 1, rand);
  const variantRank = zipf(catalog.cartVariants, 1, rand);
  const auth = { authorization: `Bearer ${o.pk}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const open = new Set<http.ClientRequest>();

  function send(method: string, path: string, headers: Record<string, string>, body?: unknown) {
    return new Promise<Answer>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: payload ? { ...headers, 'content-length': Buffer.byteLength(payload) } : headers,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => {
            open.delete(req);
            resolve({ status: res.statusCode ?? 0, body: text });
          });
          res.on('error', reject);
        },
      );
      open.add(req);
      req.on('error', (e) => {
        open.delete(req);
        reject(e);
      });
      req.end(payload);
    });
  }

  const newCart = (variant: string) =>
    send('POST', '/v1/carts', json, {
      email: 'mix@example.com',
      lines: [{ variant_id: variant, quantity: 1 }],
    });
  const tokenOf = (a: Answer) => (JSON.parse(a.body) as { token: string }).token;

  interface Shopper {
    token?: string;
    variant?: string;
    updates: number;
    busy: boolean;
  }
  // About six cart operations per shopper over the run (one create, then up to five updates); a shopper is
  // never used by two operations at once, so the pool grows when every probed shopper is busy.
  const shoppers: Shopper[] = Array.from(
    { length: Math.max(20, Math.round((rate * SHARE.cart * durationSec) / 6)) },
    () => ({ updates: 0, busy: false }),
  );

  function misspell(word: string): string {
    const at = 1 + Math.floor(rand() * (word.length - 1));
    const letters = 'abcdefghijklmnopqrstuvwxyz'.replace(word[at]!, '');
    return word.slice(0, at) + letters[Math.floor(rand() * letters.length)] + word.slice(at + 1);
  }
  function searchPath(): string {
    const voc = catalog.vocabulary;
    const words = Array.from({ length: rand() < 0.5 ? 1 : 2 }, () => voc[Math.floor(rand() * voc.length)]!);
    if (rand() < 1 / 3) {
      const i = Math.floor(rand() * words.length);
      words[i] = misspell(words[i]!);
    }
    return `/v1/products/search?q=${encodeURIComponent(words.join(' '))}&limit=20`;
  }

  /** Builds the operation now (choices are drawn in schedule order) and returns the function that runs it. */
  function plan(op: Op): () => Promise<Answer> {
    switch (op) {
      case 'product': {
        const path = catalog.productPaths[productRank()]!;
        return () => send('GET', path, auth);
      }
      case 'search': {
        const path = searchPath();
        return () => send('GET', path, auth);
      }
      case 'cart': {
        let k = Math.floor(rand() * shoppers.length);
        for (let probe = 0; probe < 8 && shoppers[k]!.busy; probe++) k = Math.floor(rand() * shoppers.length);
        if (shoppers[k]!.busy) k = shoppers.push({ updates: 0, busy: false }) - 1;
        const shopper = shoppers[k]!;
        const variant = catalog.variants[variantRank()]!;
        return async () => {
          shopper.busy = true;
          try {
            if (!shopper.token || shopper.updates >= 5) {
              const a = await newCart(variant);
              if (a.status === 201) {
                shopper.token = tokenOf(a);
                shopper.variant = variant;
                shopper.updates = 0;
              }
              return a;
            }
            const a = await send(
              'PATCH',
              `/v1/carts/current/lines/${shopper.variant}`,
              { ...json, 'x-cart-token': shopper.token },
              { quantity: 1 + ((shopper.updates + 1) % 3) },
            );
            if (a.status === 200) {
              shopper.token = tokenOf(a);
              shopper.updates++;
            } else shopper.token = undefined;
            return a;
          } finally {
            shopper.busy = false;
          }
        };
      }
      case 'checkout': {
        const variant = catalog.variants[variantRank()]!;
        return async () => {
          const cart = await newCart(variant);
          if (cart.status !== 201) return cart;
          return send(
            'POST',
            '/v1/checkout',
            { ...json, 'idempotency-key': randomUUID() },
            { cart_token: tokenOf(cart), payment: { card: CARD } },
          );
        };
      }
    }
  }

  const stats = new Map(
    OPS.map((op) => [
      op,
      {
        scheduled: 0,
        ok: 0,
        errors: 0,
        non2xx: 0,
        drops: 0,
        latencies: [] as number[],
        statuses: {} as Record<string, number>,
      },
    ]),
  );
  let inFlight = 0;
  let peakInFlight = 0;
  let unfinished = 0;
  const pending = new Set<Promise<void>>();

  function launch(op: Op, due: number) {
    const s = stats.get(op)!;
    s.scheduled++;
    if (inFlight >= maxInFlight) {
      s.drops++;
      return;
    }
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    unfinished++;
    const run = plan(op);
    const p = run()
      .then(
        (a) => {
          s.latencies.push(performance.now() - due);
          s.statuses[a.status] = (s.statuses[a.status] ?? 0) + 1;
          if (a.status >= 200 && a.status < 300) s.ok++;
          else s.non2xx++;
        },
        (e: Error) => {
          s.errors++;
          s.statuses[e.message.slice(0, 40)] = (s.statuses[e.message.slice(0, 40)] ?? 0) + 1;
        },
      )
      .finally(() => {
        inFlight--;
        unfinished--;
        pending.delete(p);
      });
    pending.add(p);
  }

  const cpu0 = process.cpuUsage();
  const server0 = o.serverCpuMs?.() ?? 0;
  const total = Math.round(rate * durationSec);
  const interval = 1000 / rate;
  const start = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const u = rand();
        const op: Op = u < SHARE.product ? 'product' : u < 0.9 ? 'cart' : u < 0.98 ? 'search' : 'checkout';
        launch(op, start + next * interval);
        next++;
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const drained = Promise.all([...pending]).then(() => true);
  const timedOut = new Promise<boolean>((r) => setTimeout(() => r(false), drainSec * 1000).unref());
  if (!(await Promise.race([drained, timedOut]))) {
    // Stragglers past the drain window: abort them; each counts once as an error (via its rejection).
    for (const req of open) req.destroy(new Error(`no answer ${drainSec}s after the schedule ended`));
    await Promise.all([...pending]);
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const serverMs = (o.serverCpuMs?.() ?? 0) - server0;
  agent.destroy();
  if (unfinished !== 0) throw new Error(`mix: ${unfinished} requests unaccounted for`);

  return {
    rate,
    durationSec,
    maxInFlight,
    peakInFlight,
    shoppers: shoppers.length,
    clientCpu: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
    serverCpu: o.serverCpuMs ? Math.round((serverMs / wallMs) * 100) : undefined,
    ops: OPS.map((op) => {
      const s = stats.get(op)!;
      const sorted = s.latencies.sort((a, b) => a - b);
      // An operation that got no answer at all shows 0 ms (its row fails its goal on `ok` anyway).
      const at = (p: number) => (sorted.length ? percentile(sorted, p) : 0);
      return {
        op,
        target: Math.round(rate * SHARE[op] * 10) / 10,
        scheduled: s.scheduled,
        ok: s.ok,
        achieved: Math.round((s.ok / durationSec) * 10) / 10,
        p50: at(50),
        p95: at(95),
        p99: at(99),
        errors: s.errors,
        non2xx: s.non2xx,
        drops: s.drops,
        statuses: s.statuses,
      };
    }),
  };
}

/**
 * Goal: at the low rate every p99 at least 10× below the paper's; at the high rate none above the paper's.
 * A row with errors, non-2xx answers or drops does not meet its goal whatever its p99.
 */
export function goalOf(rate: number, lowRate: number): { factor: number; text: string } {
  return rate <= lowRate ? { factor: 10, text: '≤ paper / 10' } : { factor: 1, text: '≤ paper' };
}

export function renderMix(o: { mode: string; size: number; results: MixResult[] }): string {
  const lowRate = Math.min(...o.results.map((r) => r.rate));
  const lines: string[] = [];
  for (const r of o.results) {
    const goal = goalOf(r.rate, lowRate);
    for (const x of r.ops) {
      const paper = PAPER_TABLE1[x.op];
      const limit = paper.p99 / goal.factor;
      const failed = x.errors + x.non2xx + x.drops;
      const met = x.ok > 0 && x.p99 <= limit && failed === 0;
      const why = met
        ? ''
        : x.ok === 0
          ? ' (no 2xx answers)'
          : x.p99 > limit
            ? ` (p99 ${x.p99} > ${limit})`
            : ` (${failed} failed)`;
      const statuses = Object.entries(x.statuses)
        .filter(([k]) => !/^2\d\d$/.test(k))
        .map(([k, v]) => `${v} × ${k}`)
        .join(', ');
      lines.push(
        `| ${o.mode} | ${o.size.toLocaleString('en-US')} | ${r.rate.toLocaleString('en-US')} | ${paper.label} | ${x.target} | ${x.achieved} | ${x.p50} | ${x.p95} | ${x.p99} | ${paper.p99} | ${x.errors} | ${x.non2xx} | ${x.drops} | ${goal.text} (${limit} ms): **${met ? 'met' : 'not met'}**${why}${statuses ? `; ${statuses}` : ''} |`,
      );
    }
  }
  return lines.join('\n');
}

export function renderMixNotes(o: { mode: string; size: number; results: MixResult[] }): string {
  return o.results
    .map(
      (r) =>
        `- ${o.mode}, ${o.size.toLocaleString('en-US')} products, ${r.rate.toLocaleString('en-US')} req/s offered: peak ${r.peakInFlight} in flight (cap ${r.maxInFlight}), ${r.shoppers} shoppers; CPU over the run: load generator ${r.clientCpu}% of a core${r.serverCpu === undefined ? '' : `, API process ${r.serverCpu}%`}.`,
    )
    .join('\n');
}

export const MIX_TABLE_HEAD = `| mode | products | req/s offered | operation | target op/s | achieved 2xx/s | p50 ms | p95 ms | p99 ms | paper p99 ms | errors | non-2xx | drops | goal |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`;
