import type { TestApp } from '../support/harness.ts';

/** An active product with one stocked variant, created through the admin API. */
export async function createProduct(
  t: TestApp,
  sk: string,
  o: { title: string; price?: number; onHand?: number; tags?: string[] },
): Promise<{ productId: string; variantId: string; slug: string }> {
  const slug = `${o.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
  const r = await t.request('POST', '/v1/products', {
    key: sk,
    body: {
      title: o.title,
      slug,
      status: 'active',
      description: `The ${o.title}.`,
      tags: o.tags ?? [],
      variants: [{ sku: `SKU-${slug}`, price: o.price ?? 2500, track_inventory: true }],
    },
  });
  if (r.status !== 201) throw new Error(`create product: ${r.status} ${r.text}`);
  const variantId = r.json.variants[0].id as string;
  const stock = await t.request('PUT', `/v1/inventory/${variantId}`, {
    key: sk,
    body: { on_hand: o.onHand ?? 10 },
  });
  if (stock.status !== 200) throw new Error(`stock: ${stock.status} ${stock.text}`);
  return { productId: r.json.id, variantId, slug };
}

/** Polls until `ok` holds (catalog reads follow writes through the cache's change feed). */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, tries = 200): Promise<T> {
  let last: T | undefined;
  let error: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) {
      error = e;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`condition not reached: ${JSON.stringify(last) ?? String(error)}`);
}

/** Calls to a fetch, for assertions on what the SDK sent. */
export interface Sent {
  method: string;
  url: string;
  headers: Headers;
  body: string | undefined;
}

/**
 * A fetch in front of the real server. `intercept` may answer a call itself (a 429, a 503) or pass; `after`
 * sees each real response and may drop it (throwing a network error the way a lost answer looks).
 */
export function frontFetch(o: {
  intercept?: (s: Sent, n: number) => Response | undefined;
  loseResponse?: (s: Sent, n: number) => boolean;
}) {
  const sent: Sent[] = [];
  const fn: typeof fetch = async (input, init) => {
    const s: Sent = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    sent.push(s);
    const n = sent.length;
    const answer = o.intercept?.(s, n);
    if (answer) return answer;
    const res = await fetch(input, init);
    if (o.loseResponse?.(s, n)) {
      await res.arrayBuffer();
      throw new TypeError('fetch failed: the connection was reset');
    }
    return res;
  };
  return { fetch: fn, sent };
}
