import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordStatements, testApp } from '../../../test/support/harness.ts';
import { rows } from '../../shared/db.ts';
import { newId } from '../../shared/ids.ts';
import { collection, collectionProduct, product, variant } from '../catalog/index.ts';
import { inventoryLevel } from '../inventory/index.ts';
import { createSearchModule } from './index.ts';
import { FACET_LIMIT } from './search.service.ts';

const t = await testApp();
const db = t.database.db;

interface VariantSeed {
  price: number;
  options?: Record<string, string>;
  track?: boolean;
  backorder?: boolean;
  onHand?: number;
  committed?: number;
}

let clock = Date.UTC(2030, 0, 1);

/** Inserts a product with its variants and stock straight into the tables (the catalog API is not needed). */
async function seedProduct(
  storeId: string,
  p: {
    title: string;
    description?: string;
    tags?: string[];
    status?: 'draft' | 'active' | 'archived';
    variants: VariantSeed[];
    image?: boolean;
  },
) {
  clock += 60_000;
  const id = newId('product', clock);
  const prices = p.variants.map((v) => v.price);
  await db.insert(product).values({
    id,
    storeId,
    title: p.title,
    slug: `${p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${id.slice(-6)}`,
    description: p.description ?? '',
    status: p.status ?? 'active',
    tags: p.tags ?? [],
    images: p.image ? [{ id: newId('image'), url: `https://cdn.example.com/${id}.jpg`, alt: p.title }] : [],
    priceMin: Math.min(...prices),
    priceMax: Math.max(...prices),
    createdAt: new Date(clock),
  });
  let n = 0;
  for (const v of p.variants) {
    const variantId = newId('variant');
    await db.insert(variant).values({
      id: variantId,
      storeId,
      productId: id,
      sku: `${id}-${n++}`,
      title: Object.values(v.options ?? {}).join(' / ') || 'Default',
      optionValues: v.options ?? {},
      price: v.price,
      trackInventory: v.track ?? true,
      allowBackorder: v.backorder ?? false,
      // As the catalog's stock-change statement would leave it (the stock goes in below, straight into the table).
      listedInStock: v.track === false || v.backorder === true || (v.onHand ?? 0) - (v.committed ?? 0) > 0,
    });
    if (v.onHand !== undefined) {
      await db
        .insert(inventoryLevel)
        .values({ variantId, storeId, onHand: v.onHand, committed: v.committed ?? 0 });
    }
  }
  return id;
}

async function seedCollection(storeId: string, title: string, productIds: string[]) {
  const id = newId('collection');
  await db.insert(collection).values({ id, storeId, title, slug: title.toLowerCase() });
  let position = 0;
  for (const productId of productIds) {
    await db.insert(collectionProduct).values({ collectionId: id, productId, storeId, position: position++ });
  }
  return id;
}

const search = (key: string, query: string) =>
  t.request('GET', `/v1/products/search${query ? `?${query}` : ''}`, { key });
const ids = (r: { json: { data: Array<{ id: string }> } }) => r.json.data.map((d) => d.id);

let A: Awaited<ReturnType<typeof t.createStore>>;
let B: Awaited<ReturnType<typeof t.createStore>>;
const P: Record<string, string> = {};
let wallets: string;

beforeAll(async () => {
  A = await t.createStore({ name: 'A' });
  B = await t.createStore({ name: 'B' });
  // Title match, tag match and description-only match of "leather".
  P.leatherWallet = await seedProduct(A.id, {
    title: 'Leather Wallet',
    tags: ['gift'],
    description: 'Slim bifold.',
    image: true,
    variants: [
      { price: 4500, options: { Color: 'Brown' }, onHand: 5 },
      { price: 4500, options: { Color: 'Black' }, onHand: 0 },
    ],
  });
  P.travelWallet = await seedProduct(A.id, {
    title: 'Travel Wallet',
    tags: ['leather'],
    description: 'Zip around.',
    variants: [{ price: 3000, options: { Color: 'Black' }, onHand: 2, committed: 2 }],
  });
  P.tote = await seedProduct(A.id, {
    title: 'Canvas Tote',
    tags: ['bag'],
    description: 'Pairs well with a leather wallet.',
    variants: [{ price: 2000, options: { Color: 'Red' }, track: false }],
  });
  P.belt = await seedProduct(A.id, {
    title: 'Leather Belt',
    tags: ['accessory'],
    description: 'Full grain.',
    status: 'draft',
    variants: [{ price: 5000, options: { Color: 'Brown' }, onHand: 3 }],
  });
  P.scarf = await seedProduct(A.id, {
    title: 'Wool Scarf',
    tags: ['winter'],
    description: 'Warm and soft.',
    variants: [
      { price: 1500, options: { Color: 'Red', Size: 'M' }, backorder: true, onHand: 0 },
      { price: 1800, options: { Color: 'Grey', Size: 'L' }, onHand: 4 },
    ],
  });
  wallets = await seedCollection(A.id, 'Wallets', [P.leatherWallet!, P.travelWallet!]);
  P.gloves = await seedProduct(B.id, {
    title: 'Leather Gloves',
    tags: ['winter'],
    variants: [{ price: 2500, onHand: 9 }],
  });
});

describe('product search: ranking and typo tolerance', () => {
  it('pg_trgm works on this database (similarity and the % operator)', async () => {
    const [r] = await rows<{ s: number; m: boolean }>(
      db,
      sql`select similarity('leathr', 'leather') as s, 'leathr' % 'leather' as m`,
    );
    expect(r!.s).toBeCloseTo(0.5, 5);
    expect(r!.m).toBe(true);
  });

  it('ranks a title match above a tag-only match above a description-only match', async () => {
    const r = await search(A.pk, 'q=leather');
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual([P.leatherWallet, P.travelWallet, P.tote]);
    const scores = r.json.data.map((d: { score: number }) => d.score);
    expect(scores[0]).toBeGreaterThan(scores[1]);
    expect(scores[1]).toBeGreaterThan(scores[2]);
    expect(r.json.query).toEqual({ q: 'leather', corrected: [] });
    expect(r.json.data[0]).toMatchObject({
      id: P.leatherWallet,
      object: 'product_summary',
      title: 'Leather Wallet',
      price_range: { min: 4500, max: 4500, currency: 'USD' },
      tags: ['gift'],
      in_stock: true,
      image: { url: `https://cdn.example.com/${P.leatherWallet}.jpg`, alt: 'Leather Wallet' },
    });
    expect(r.json.data[1]).toMatchObject({ id: P.travelWallet, in_stock: false, image: null });
  });

  it('finds "leather" from "leathr" and says what it corrected', async () => {
    const r = await search(A.pk, 'q=leathr');
    expect(ids(r)).toEqual([P.leatherWallet, P.travelWallet, P.tote]);
    expect(r.json.query.corrected).toEqual([{ word: 'leathr', replacements: ['leather'] }]);
  });

  it('two words, one misspelt: finds the leather wallets, best first', async () => {
    const r = await search(A.pk, `q=${encodeURIComponent('leathr wallet')}`);
    expect(ids(r)).toEqual([P.leatherWallet, P.travelWallet, P.tote]);
    expect(r.json.query.corrected).toEqual([{ word: 'leathr', replacements: ['leather'] }]);
    const other = await search(A.pk, `q=${encodeURIComponent('wallet lether ')}`);
    expect(ids(other)).toEqual([P.leatherWallet, P.travelWallet, P.tote]);
    expect(other.json.query.corrected).toEqual([{ word: 'lether', replacements: ['leather'] }]);
  });

  it('matches the last word as a prefix while it is typed, but not after a space', async () => {
    const typing = await search(A.pk, `q=${encodeURIComponent('leather wal')}`);
    expect(ids(typing)).toEqual([P.leatherWallet, P.travelWallet, P.tote]);
    // "wat" is too unlike "waterproof" to be a typo of it: only the prefix can find it.
    const D = await t.createStore({ name: 'D' });
    const jacket = await seedProduct(D.id, {
      title: 'Waterproof Jacket',
      variants: [{ price: 12000, track: false }],
    });
    const prefix = await search(D.pk, 'q=wat');
    expect(ids(prefix)).toEqual([jacket]);
    expect(prefix.json.query.corrected).toEqual([]);
    expect(ids(await search(D.pk, `q=${encodeURIComponent('jacket wat')}`))).toEqual([jacket]);
    expect(ids(await search(D.pk, `q=${encodeURIComponent('wat ')}`))).toEqual([]);
  });

  it('stems: plural query words find singular titles', async () => {
    const r = await search(A.pk, 'q=wallets');
    // Both wallets have "Wallet" in the title (a tie), the tote only in its description.
    expect(ids(r).slice(0, 2).sort()).toEqual([P.leatherWallet, P.travelWallet].sort());
    expect(ids(r)[2]).toBe(P.tote);
    expect(r.json.query.corrected).toEqual([]);
  });

  it('returns nothing for words nothing resembles, and for stop words only', async () => {
    const r = await search(A.pk, 'q=xylophone');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ data: [], has_more: false, next_cursor: null });
    expect(r.json.facets).toMatchObject({
      total: 0,
      exhaustive: true,
      collections: [],
      options: {},
      price: null,
      in_stock: 0,
    });
    const stop = await search(A.pk, `q=${encodeURIComponent('the ')}`);
    expect(stop.json.data).toEqual([]);
  });

  it('keeps the vocabulary in step with product writes', async () => {
    const id = await seedProduct(A.id, { title: 'Copper Kettle', variants: [{ price: 9900, track: false }] });
    expect(ids(await search(A.pk, 'q=kettel'))).toEqual([id]);
    await db.update(product).set({ title: 'Copper Teapot' }).where(sql`id = ${id}`);
    expect(ids(await search(A.pk, 'q=kettle'))).toEqual([]);
    const typo = await search(A.pk, 'q=teapt');
    expect(ids(typo)).toEqual([id]);
    expect(typo.json.query.corrected).toEqual([{ word: 'teapt', replacements: ['teapot'] }]);
    await db.delete(product).where(sql`id = ${id}`);
    expect(ids(await search(A.pk, 'q=teapot'))).toEqual([]);
    const [v] = await rows<{ docs: number }>(
      db,
      sql`select docs from search_term where store_id = ${A.id} and word = 'teapot'`,
    );
    expect(v!.docs).toBe(0);
  });
});

describe('product search: statements', () => {
  const searchStatements = async (key: string, query: string) => {
    const { result, log } = await recordStatements(() => search(key, query));
    expect(result.status, query).toBe(200);
    return {
      json: result.json,
      vocabulary: log.statements.filter((s) => /\bsearch_term\b/.test(s)).length,
      products: log.statements.filter((s) => /\bfrom product p\b/.test(s)).length,
    };
  };

  it('a storefront search reads each word from the vocabulary once until the catalog changes', async () => {
    const first = await searchStatements(A.pk, 'q=lether%20walet&price_max=100001');
    expect([first.vocabulary, first.products]).toEqual([1, 1]);
    // Another query of known words, and one with a new word: the new word only is read.
    const again = await searchStatements(A.pk, 'q=walet%20lether&price_max=100002');
    expect([again.vocabulary, again.products]).toEqual([0, 1]);
    expect(ids(again)).toEqual(ids(first));
    expect(again.json.query.corrected).toEqual(first.json.query.corrected.reverse());
    const more = await searchStatements(A.pk, 'q=lether%20satchel&price_max=100003');
    expect(more.vocabulary).toBe(1);
    expect(more.json.data).toEqual([]);
    // A product written through the API retires what was read: "satchel" is a word of the catalog now.
    const created = await t.request('POST', '/v1/products', {
      key: A.sk,
      body: {
        title: 'Leather Satchel',
        status: 'active',
        variants: [{ sku: `SATCHEL-${A.id.slice(-6)}`, price: 8900, option_values: {} }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const after = await searchStatements(A.pk, 'q=lether%20satchel&price_max=100004');
    expect(after.vocabulary).toBe(1);
    expect(ids(after)).toEqual([created.json.id]);
    expect(after.json.query.corrected).toEqual([{ word: 'lether', replacements: ['leather'] }]);
    await t.request('DELETE', `/v1/products/${created.json.id}`, { key: A.sk });
  });

  it('secret keys read the vocabulary on every search', async () => {
    for (const price of [100011, 100012]) {
      const r = await searchStatements(A.sk, `q=lether&price_max=${price}`);
      expect([r.vocabulary, r.products]).toEqual([1, 1]);
    }
  });
});

describe('product search: visibility and isolation', () => {
  it('publishable keys never see drafts, nor get corrections to their words; secret keys see them', async () => {
    expect(ids(await search(A.pk, 'q=belt'))).toEqual([]);
    const typo = await search(A.pk, 'q=blet');
    expect(typo.json.data).toEqual([]);
    expect(typo.json.query.corrected).toEqual([]);
    expect(ids(await search(A.sk, 'q=belt'))).toEqual([P.belt]);
    const all = await search(A.sk, 'q=leather');
    expect(ids(all)).toContain(P.belt);
    expect(all.json.data).toHaveLength(4);
  });

  it("a store's keys never see another store's products or vocabulary", async () => {
    const fromB = await search(B.pk, 'q=leather');
    expect(ids(fromB)).toEqual([P.gloves]);
    const bTypo = await search(B.pk, 'q=wallet');
    expect(bTypo.json.data).toEqual([]);
    expect(bTypo.json.query.corrected).toEqual([]);
    const fromA = await search(A.sk, 'q=gloves');
    expect(fromA.json.data).toEqual([]);
    const browseB = await search(B.sk, '');
    expect(ids(browseB)).toEqual([P.gloves]);
    const foreignCollection = await search(B.pk, `collection=${wallets}`);
    expect(foreignCollection.json.data).toEqual([]);
  });

  it('needs a key', async () => {
    const r = await t.request('GET', '/v1/products/search?q=leather');
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('AUTH_REQUIRED');
  });
});

describe('product search: filters, facets, sorts, pages', () => {
  it('filters by collection, price, option values and stock', async () => {
    expect(ids(await search(A.pk, `collection=${wallets}&sort=price_asc`))).toEqual([
      P.travelWallet,
      P.leatherWallet,
    ]);
    expect(ids(await search(A.pk, 'price_min=2500&sort=price_asc'))).toEqual([
      P.travelWallet,
      P.leatherWallet,
    ]);
    expect(ids(await search(A.pk, 'price_max=2000&sort=price_asc'))).toEqual([P.scarf, P.tote]);
    expect(ids(await search(A.pk, 'price_min=1600&price_max=1900'))).toEqual([P.scarf]);
    expect(ids(await search(A.pk, 'options=Color:Red&sort=price_asc'))).toEqual([P.scarf, P.tote]);
    expect(ids(await search(A.pk, `options=${encodeURIComponent('Color:Red,Size:M')}`))).toEqual([P.scarf]);
    // Red and L exist on the scarf, but not on one variant.
    expect(ids(await search(A.pk, `options=${encodeURIComponent('Color:Red,Size:L')}`))).toEqual([]);
    expect(
      ids(await search(A.pk, `options=${encodeURIComponent('Color:Brown,Color:Grey')}&sort=price_asc`)),
    ).toEqual([P.scarf, P.leatherWallet]);
    expect(ids(await search(A.pk, 'in_stock=true&sort=price_asc'))).toEqual([
      P.scarf,
      P.tote,
      P.leatherWallet,
    ]);
    // The black wallet variants are sold out: stock and option must hold on the same variant.
    expect(ids(await search(A.pk, 'in_stock=true&options=Color:Black'))).toEqual([]);
    expect(ids(await search(A.pk, 'q=leather&in_stock=true'))).toEqual([P.leatherWallet, P.tote]);
  });

  it('counts facets over the whole filtered set, exactly', async () => {
    const r = await search(A.pk, 'limit=1');
    expect(r.json.data).toHaveLength(1);
    expect(r.json.facets).toEqual({
      total: 4,
      exhaustive: true,
      collections: [{ id: wallets, title: 'Wallets', count: 2 }],
      options: { Color: { Black: 2, Red: 2, Brown: 1, Grey: 1 }, Size: { L: 1, M: 1 } },
      price: {
        min: 1500,
        max: 4500,
        buckets: [
          { min: 1000, max: 2000, count: 1 },
          { min: 2000, max: 3000, count: 1 },
          { min: 3000, max: 4000, count: 1 },
          { min: 4000, max: 5000, count: 1 },
        ],
      },
      in_stock: 3,
    });
    const leather = await search(A.pk, 'q=leather&options=Color:Black');
    expect(leather.json.facets).toMatchObject({
      total: 2,
      collections: [{ id: wallets, count: 2 }],
      options: { Color: { Black: 2, Brown: 1 } },
      in_stock: 1,
    });
    const sk = await search(A.sk, 'q=leather');
    expect(sk.json.facets.options.Color).toEqual({ Brown: 2, Black: 2, Red: 1 });
  });

  it('sorts by price both ways and by newest', async () => {
    expect(ids(await search(A.pk, 'sort=price_asc'))).toEqual([
      P.scarf,
      P.tote,
      P.travelWallet,
      P.leatherWallet,
    ]);
    expect(ids(await search(A.pk, 'sort=price_desc'))).toEqual([
      P.leatherWallet,
      P.travelWallet,
      P.tote,
      P.scarf,
    ]);
    expect(ids(await search(A.pk, 'sort=newest'))).toEqual([
      P.scarf,
      P.tote,
      P.travelWallet,
      P.leatherWallet,
    ]);
    // Without q, the default (and relevance) is newest.
    expect(ids(await search(A.pk, ''))).toEqual([P.scarf, P.tote, P.travelWallet, P.leatherWallet]);
    expect(ids(await search(A.pk, 'sort=relevance'))).toEqual([
      P.scarf,
      P.tote,
      P.travelWallet,
      P.leatherWallet,
    ]);
    expect(ids(await search(A.pk, 'q=leather&sort=price_asc'))).toEqual([
      P.tote,
      P.travelWallet,
      P.leatherWallet,
    ]);
  });

  it('pages with cursors for every sort, without gaps or repeats', async () => {
    for (const [query, expected] of [
      ['sort=price_asc', [P.scarf, P.tote, P.travelWallet, P.leatherWallet]],
      ['sort=price_desc', [P.leatherWallet, P.travelWallet, P.tote, P.scarf]],
      ['sort=newest', [P.scarf, P.tote, P.travelWallet, P.leatherWallet]],
      ['q=leather', [P.leatherWallet, P.travelWallet, P.tote]],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await search(A.pk, `${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(r.status).toBe(200);
        seen.push(...ids(r));
        expect(r.json.has_more).toBe(r.json.next_cursor !== null);
        expect(r.json.facets.total).toBe(expected.length);
        cursor = r.json.next_cursor;
        pages++;
      } while (cursor && pages < 5);
      expect(seen).toEqual(expected);
      expect(pages).toBe(2);
    }
  });

  it('refuses malformed and foreign cursors', async () => {
    const bad = await search(A.pk, 'cursor=garbage');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'INVALID_CURSOR', param: 'cursor' });
    const first = await search(A.pk, 'q=leather&limit=1');
    const crossed = await search(A.pk, `sort=price_asc&cursor=${first.json.next_cursor}`);
    expect(crossed.status).toBe(400);
    expect(crossed.json.error.code).toBe('INVALID_CURSOR');
    const forged = Buffer.from(JSON.stringify({ l: 'search.price_asc', v: [100, 'not-an-id'] })).toString(
      'base64url',
    );
    expect((await search(A.pk, `sort=price_asc&cursor=${forged}`)).json.error.code).toBe('INVALID_CURSOR');
    const deep = Buffer.from(JSON.stringify({ l: 'search.relevance', v: [-5] })).toString('base64url');
    expect((await search(A.pk, `q=leather&cursor=${deep}`)).json.error.code).toBe('INVALID_CURSOR');
  });

  it('validates every parameter and names it', async () => {
    const cases: Array<[string, string]> = [
      ['foo=1', 'foo'],
      [`q=${'a'.repeat(201)}`, 'q'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['price_min=abc', 'price_min'],
      ['price_min=-1', 'price_min'],
      ['price_min=500&price_max=100', 'price_max'],
      ['options=Color', 'options'],
      ['options=Color:Red,:M', 'options'],
      ['collection=wallets', 'collection'],
      ['sort=cheapest', 'sort'],
      ['in_stock=yes', 'in_stock'],
    ];
    for (const [query, param] of cases) {
      const r = await search(A.pk, query);
      expect(r.status, query).toBe(400);
      expect(r.json.error, query).toMatchObject({ code: 'VALIDATION_FAILED', param });
    }
  });

  it('bounds facets on large result sets and says so', async () => {
    const C = await t.createStore({ name: 'C' });
    await db.execute(sql`
      insert into product (id, store_id, title, slug, status, price_min, price_max)
      select 'prod_' || lpad(g::text, 26, '0'), ${C.id}, 'Widget ' || g, 'widget-' || g, 'active', g * 10, g * 10
      from generate_series(1, ${FACET_LIMIT + 10}) as g`);
    const r = await search(C.pk, 'q=widget&limit=100');
    expect(r.status).toBe(200);
    expect(r.json.data).toHaveLength(100);
    expect(r.json.facets).toMatchObject({ total: FACET_LIMIT, exhaustive: false, in_stock: 0 });
    expect(r.json.facets.price.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(
      FACET_LIMIT,
    );
    const page2 = await search(C.pk, `q=widget&limit=100&cursor=${r.json.next_cursor}`);
    expect(page2.json.data).toHaveLength(100);
    expect(new Set([...ids(r), ...ids(page2)]).size).toBe(200);
    const cheapest = await search(C.pk, 'sort=price_asc&limit=1');
    expect(ids(cheapest)).toEqual([`prod_${'1'.padStart(26, '0')}`]);
  });

  it('documents its parameters in the OpenAPI document', async () => {
    const { routes } = createSearchModule({ db, auth: { any: [] } });
    const doc = routes.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'search', version: '1' } });
    const op = doc.paths!['/v1/products/search']!.get!;
    expect((op.parameters as Array<{ name: string }>).map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'q',
        'collection',
        'price_min',
        'price_max',
        'options',
        'in_stock',
        'sort',
        'limit',
        'cursor',
      ]),
    );
  });
});
