import { sql } from 'drizzle-orm';
import { newId } from '../../src/shared/ids.ts';
import { ROOT_TOKEN, type TestApp } from './harness.ts';

export const CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  processingError: '4000000000000119',
  lostResponse: '4000000000003220',
} as const;

export const card = (number: string) => ({ card: { number, exp_month: 12, exp_year: 2099, cvc: '123' } });

/** A product with one variant, written straight to the catalog tables, and its stock set through the API. */
export async function seedVariant(
  t: TestApp,
  store: { id: string; sk: string },
  o: {
    price?: number;
    onHand?: number;
    trackInventory?: boolean;
    allowBackorder?: boolean;
    title?: string;
  } = {},
): Promise<string> {
  const productId = newId('product');
  const variantId = newId('variant');
  const title = o.title ?? 'Mug';
  await t.database.db.execute(
    sql`insert into product (id, store_id, title, slug, status) values (${productId}, ${store.id}, ${title}, ${productId}, 'active')`,
  );
  await t.database.db.execute(sql`insert into variant (id, store_id, product_id, sku, title, price, track_inventory, allow_backorder)
    values (${variantId}, ${store.id}, ${productId}, ${`SKU-${variantId.slice(-8)}`}, 'Default', ${o.price ?? 2500},
            ${o.trackInventory ?? true}, ${o.allowBackorder ?? false})`);
  if (o.trackInventory !== false) {
    const r = await t.request('PUT', `/v1/inventory/${variantId}`, {
      key: store.sk,
      body: { on_hand: o.onHand ?? 10 },
    });
    if (r.status !== 200) throw new Error(`set stock: ${r.status} ${r.text}`);
  }
  return variantId;
}

export async function cartToken(
  t: TestApp,
  pk: string,
  lines: Array<{ variant_id: string; quantity: number }>,
  email: string | null = 'shopper@example.com',
): Promise<string> {
  const r = await t.request('POST', '/v1/carts', { key: pk, body: { lines, ...(email ? { email } : {}) } });
  if (r.status !== 201) throw new Error(`cart: ${r.status} ${r.text}`);
  return r.json.token as string;
}

let keys = 0;
export const newKey = () => `checkout-${Date.now()}-${++keys}`;

export async function checkout(
  t: TestApp,
  pk: string,
  token: string,
  payment: object = card(CARDS.success),
  key: string = newKey(),
  extra: Record<string, unknown> = {},
) {
  return t.request('POST', '/v1/checkout', {
    key: pk,
    body: { cart_token: token, payment, ...extra },
    headers: { 'idempotency-key': key },
  });
}

export async function level(t: TestApp, sk: string, variantId: string) {
  const r = await t.request('GET', `/v1/inventory/${variantId}`, { key: sk });
  return r.json as { on_hand: number; committed: number; held: number; available: number };
}

export async function count(t: TestApp, query: ReturnType<typeof sql>): Promise<number> {
  const res = (await t.database.db.execute(query)) as unknown as { rows: Array<{ n: number | string }> };
  return Number(res.rows[0]?.n ?? 0);
}

/** The store's own test gateway webhook secret (generated with the store), as the secret key reads it. */
export async function testWebhookSecret(t: TestApp, sk: string): Promise<string> {
  const r = await t.request('GET', '/v1/store', { key: sk });
  const secret = r.json?.settings?.test_gateway?.webhook_secret;
  if (typeof secret !== 'string') throw new Error(`store settings: ${r.status} ${r.text}`);
  return secret;
}

/** A key of the other mode for the same store (root token). */
export async function liveKey(t: TestApp, storeId: string, kind: 'publishable' | 'secret'): Promise<string> {
  const r = await t.request('POST', `/v1/stores/${storeId}/keys`, {
    key: ROOT_TOKEN,
    body: { kind, mode: 'live' },
  });
  if (r.status !== 201) throw new Error(`live key: ${r.status} ${r.text}`);
  return r.json.key as string;
}
