import { sql } from 'drizzle-orm';
import { type Executor, inTransaction } from '../../shared/db.ts';
import { newId } from '../../shared/ids.ts';
import type { StoresService } from '../stores/index.ts';
import {
  insertChanges,
  insertJsonRows,
  insertProductRows,
  insertVariantRows,
  type NewProductRow,
  type NewVariantRow,
} from './catalog.repo.ts';
import { slugify, variantTitle } from './catalog.rules.ts';
import type { ProductOption } from './catalog.tables.ts';

/**
 * The demo catalog: a store with N generated products that read like a real shop's. Everything
 * that is shown (titles, slugs, SKUs, prices, stock) comes from a seeded PRNG, so the same N gives
 * the same catalog every time; only ids and timestamps differ.
 */

export interface SeedOptions {
  db: Executor;
  stores: StoresService;
  products: number;
  onProgress?: (done: number, total: number) => void;
  /** PRNG seed; the default gives the documented demo catalog. */
  seed?: number;
  storeName?: string;
}

export interface SeedResult {
  storeId: string;
  publishableKey: string;
  secretKey: string;
  products: number;
  sampleSlug: string;
}

/** mulberry32: small, fast, good enough for demo data, identical on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Category {
  key: string;
  code: string;
  collection: string;
  nouns: string[];
  materials: string[];
  options: ProductOption[];
  /** Price range in whole currency units. */
  price: [number, number];
  weight: [number, number];
  blurbs: string[];
}

const COLORS = [
  'Black',
  'White',
  'Navy',
  'Charcoal',
  'Sand',
  'Olive',
  'Rust',
  'Sage',
  'Ivory',
  'Forest',
  'Slate',
  'Burgundy',
];

const CATEGORIES: Category[] = [
  {
    key: 'apparel',
    code: 'APP',
    collection: 'Apparel',
    nouns: [
      'T-Shirt',
      'Hoodie',
      'Crewneck Sweater',
      'Cardigan',
      'Polo Shirt',
      'Oxford Shirt',
      'Chinos',
      'Joggers',
      'Overshirt',
      'Flannel Shirt',
      'Rain Jacket',
      'Puffer Vest',
      'Beanie',
      'Scarf',
      'Crew Socks',
      'Shorts',
    ],
    materials: [
      'Cotton',
      'Organic Cotton',
      'Merino Wool',
      'Linen',
      'Cashmere',
      'Fleece',
      'Hemp',
      'Corduroy',
      'Recycled Polyester',
      'Brushed Twill',
    ],
    options: [
      { name: 'Size', values: ['XS', 'S', 'M', 'L', 'XL', 'XXL'] },
      { name: 'Color', values: COLORS },
    ],
    price: [14, 189],
    weight: [80, 900],
    blurbs: [
      'Cut for an easy, relaxed fit that layers well in every season.',
      'Garment-washed for a soft hand from the first wear.',
      'Finished with reinforced seams and a tag-free neckline.',
    ],
  },
  {
    key: 'shoes',
    code: 'SHO',
    collection: 'Shoes',
    nouns: [
      'Sneakers',
      'Running Shoes',
      'Chelsea Boots',
      'Loafers',
      'Sandals',
      'Hiking Boots',
      'Slip-Ons',
      'High-Tops',
      'Derby Shoes',
      'Slippers',
    ],
    materials: ['Leather', 'Suede', 'Canvas', 'Knit', 'Nubuck', 'Vegan Leather', 'Mesh', 'Cork'],
    options: [
      { name: 'Size', values: ['6', '7', '8', '9', '10', '11', '12', '13'] },
      { name: 'Color', values: ['Black', 'White', 'Tan', 'Brown', 'Grey', 'Navy'] },
    ],
    price: [39, 299],
    weight: [300, 1400],
    blurbs: [
      'A cushioned footbed and a grippy rubber outsole carry you from morning to night.',
      'Built on a classic last with room for your toes.',
      'Resoleable construction made to last for years.',
    ],
  },
  {
    key: 'home',
    code: 'HOM',
    collection: 'Home',
    nouns: [
      'Throw Blanket',
      'Cushion Cover',
      'Table Lamp',
      'Vase',
      'Scented Candle',
      'Wall Clock',
      'Picture Frame',
      'Doormat',
      'Storage Basket',
      'Planter',
      'Duvet Cover',
      'Bath Towel',
      'Bookends',
    ],
    materials: [
      'Ceramic',
      'Linen',
      'Wool',
      'Rattan',
      'Oak',
      'Walnut',
      'Marble',
      'Brass',
      'Glass',
      'Jute',
      'Terracotta',
    ],
    options: [
      { name: 'Size', values: ['Small', 'Medium', 'Large'] },
      { name: 'Color', values: ['Natural', 'Charcoal', 'Ivory', 'Sage', 'Terracotta', 'Ink'] },
    ],
    price: [9, 349],
    weight: [150, 4000],
    blurbs: [
      'Quiet, well-made pieces that make a room feel finished.',
      'Each piece varies slightly: that is the mark of the maker.',
      'Pairs well with natural textures and warm light.',
    ],
  },
  {
    key: 'kitchen',
    code: 'KIT',
    collection: 'Kitchen',
    nouns: [
      "Chef's Knife",
      'Cutting Board',
      'Mixing Bowl Set',
      'Dutch Oven',
      'Skillet',
      'Coffee Mug',
      'Pour-Over Kettle',
      'French Press',
      'Salad Servers',
      'Spice Jar Set',
      'Apron',
      'Teapot',
      'Serving Platter',
    ],
    materials: [
      'Stainless Steel',
      'Cast Iron',
      'Bamboo',
      'Acacia',
      'Enamel',
      'Copper',
      'Borosilicate Glass',
      'Porcelain',
      'Carbon Steel',
      'Stoneware',
    ],
    options: [
      { name: 'Size', values: ['Small', 'Medium', 'Large'] },
      { name: 'Color', values: ['Matte Black', 'Cream', 'Cobalt', 'Sage', 'Natural'] },
    ],
    price: [9, 499],
    weight: [200, 6000],
    blurbs: [
      'Made for daily cooking and the occasional dinner party.',
      'Dishwasher safe and built to take the heat.',
      'Balanced in the hand, easy to clean, easy to love.',
    ],
  },
  {
    key: 'outdoor',
    code: 'OUT',
    collection: 'Outdoor',
    nouns: [
      'Backpack',
      'Daypack',
      'Tent',
      'Sleeping Bag',
      'Camp Chair',
      'Hammock',
      'Trekking Poles',
      'Headlamp',
      'Dry Bag',
      'Cooler',
      'Camp Stove',
      'Rain Poncho',
    ],
    materials: [
      'Ripstop Nylon',
      'Canvas',
      'Aluminum',
      'Recycled Nylon',
      'Waxed Cotton',
      'Titanium',
      'Cordura',
    ],
    options: [
      { name: 'Size', values: ['20 L', '30 L', '45 L', 'One Size'] },
      { name: 'Color', values: ['Forest', 'Rust', 'Black', 'Glacier', 'Sand'] },
    ],
    price: [19, 499],
    weight: [100, 5000],
    blurbs: [
      'Trail-tested in wind, rain and the occasional river crossing.',
      'Packs small, sets up fast, and shrugs off the weather.',
      'Backed by a lifetime repair promise.',
    ],
  },
  {
    key: 'electronics-accessories',
    code: 'ELA',
    collection: 'Tech Accessories',
    nouns: [
      'Phone Case',
      'Laptop Sleeve',
      'Charging Cable',
      'Wireless Charger',
      'Headphone Stand',
      'Cable Organizer',
      'Tablet Stand',
      'Power Bank',
      'Desk Mat',
      'Earbud Case',
      'Watch Strap',
    ],
    materials: [
      'Silicone',
      'Leather',
      'Aluminum',
      'Felt',
      'Braided Nylon',
      'Walnut',
      'Recycled Plastic',
      'Cork',
    ],
    options: [
      { name: 'Color', values: ['Black', 'Graphite', 'Sand', 'Blue', 'Forest', 'Clay'] },
      { name: 'Material', values: ['Standard', 'Leather', 'Recycled'] },
    ],
    price: [9, 149],
    weight: [20, 600],
    blurbs: [
      'Precise cut-outs and a slim profile that fits the way you work.',
      'Designed to keep your desk tidy and your devices charged.',
      'Tested for thousands of bends and daily drops.',
    ],
  },
  {
    key: 'accessories',
    code: 'ACC',
    collection: 'Bags & Accessories',
    nouns: [
      'Wallet',
      'Card Holder',
      'Belt',
      'Tote Bag',
      'Crossbody Bag',
      'Sunglasses',
      'Weekender Bag',
      'Keyring',
      'Bucket Hat',
      'Watch',
    ],
    materials: ['Leather', 'Canvas', 'Suede', 'Recycled Nylon', 'Acetate', 'Stainless Steel', 'Waxed Canvas'],
    options: [
      { name: 'Color', values: ['Black', 'Cognac', 'Olive', 'Navy', 'Stone'] },
      { name: 'Material', values: ['Leather', 'Canvas', 'Nylon'] },
    ],
    price: [19, 299],
    weight: [30, 1500],
    blurbs: [
      'Ages beautifully and carries everything you need, nothing you do not.',
      'Hand-finished edges and solid brass hardware.',
      'Sized for everyday carry and the odd weekend away.',
    ],
  },
];

const ADJECTIVES = [
  'Classic',
  'Everyday',
  'Essential',
  'Heritage',
  'Modern',
  'Vintage',
  'Minimal',
  'Rugged',
  'Lightweight',
  'Premium',
  'Relaxed',
  'Tailored',
  'Coastal',
  'Alpine',
  'Urban',
  'Nordic',
  'Handcrafted',
  'Weekend',
  'Signature',
  'Studio',
  'Artisan',
  'Compact',
  'Soft',
  'Bold',
  'Timeless',
  'Field',
  'Harbor',
  'Summit',
  'Meadow',
  'Canyon',
];

const CURATED = ['New Arrivals', 'Best Sellers', 'Staff Picks', 'Gifts Under $50', 'Sale'];

interface GenVariant {
  sku: string;
  title: string;
  optionValues: Record<string, string>;
  price: number;
  compareAtPrice: number | null;
  weightGrams: number;
  trackInventory: boolean;
  allowBackorder: boolean;
  onHand: number;
}

export interface GenProduct {
  title: string;
  slug: string;
  description: string;
  status: 'draft' | 'active';
  category: string;
  tags: string[];
  metadata: Record<string, string>;
  images: { url: string; alt: string }[];
  options: ProductOption[];
  variants: GenVariant[];
}

/** Generates product `index` of the demo catalog; call in order 0, 1, 2… with the same `rand` and `slugs`. */
export function generateProduct(rand: () => number, index: number, slugs: Map<string, number>): GenProduct {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const cat = pick(CATEGORIES);
  const adjective = pick(ADJECTIVES);
  const material = pick(cat.materials);
  const noun = pick(cat.nouns);
  const title = `${adjective} ${material} ${noun}`;
  const base = slugify(title);
  const seen = slugs.get(base) ?? 0;
  slugs.set(base, seen + 1);
  const slug = seen === 0 ? base : `${base}-${seen + 1}`;

  // Prices end in .99 mostly, .00 otherwise.
  const whole = between(cat.price[0], cat.price[1]);
  const basePrice = rand() < 0.7 ? whole * 100 + 99 : (whole + 1) * 100;
  const onSale = rand() < 0.18;

  // One or two options, two to four variants with distinct combinations.
  const optionCount = rand() < 0.35 ? 1 : 2;
  const chosen = (optionCount === 1 ? [pick(cat.options)] : cat.options).map((o) => ({
    name: o.name,
    values: [] as string[],
  }));
  const wanted = between(2, 4);
  const combos: Record<string, string>[] = [];
  const keys = new Set<string>();
  for (let attempt = 0; combos.length < wanted && attempt < 40; attempt++) {
    const ov: Record<string, string> = {};
    for (const o of chosen) ov[o.name] = pick(cat.options.find((x) => x.name === o.name)!.values);
    const k = JSON.stringify(ov);
    if (keys.has(k)) continue;
    keys.add(k);
    combos.push(ov);
  }
  for (const o of chosen) {
    const all = cat.options.find((x) => x.name === o.name)!.values;
    o.values = all.filter((v) => combos.some((c) => c[o.name] === v));
  }

  const untracked = rand() < 0.02;
  const variants: GenVariant[] = combos.map((ov, i) => {
    const bump = ov.Size && ['XL', 'XXL', 'Large', '45 L', '13'].includes(ov.Size) ? 500 : 0;
    const price = basePrice + bump;
    const stockRoll = rand();
    return {
      sku: `${cat.code}-${String(index + 1).padStart(6, '0')}-${i + 1}`,
      title: variantTitle(chosen, ov),
      optionValues: ov,
      price,
      compareAtPrice: onSale ? Math.round((price * (1.2 + rand() * 0.3)) / 100) * 100 : null,
      weightGrams: between(cat.weight[0], cat.weight[1]),
      trackInventory: !untracked,
      allowBackorder: rand() < 0.03,
      onHand: stockRoll < 0.06 ? 0 : stockRoll < 0.12 ? between(1, 5) : between(6, 200),
    };
  });

  const tags = [cat.key, material.toLowerCase(), adjective.toLowerCase()];
  if (onSale) tags.push('sale');
  if (/organic|recycled|hemp|bamboo|cork/i.test(material)) tags.push('eco');
  if (rand() < 0.1) tags.push('bestseller');

  const description =
    `The ${title.toLowerCase()} in ${material.toLowerCase()}. ${pick(cat.blurbs)} ` +
    `${pick(['Designed in Portland.', 'Made in Portugal.', 'Made in small batches.', 'Ethically made.', 'Designed in Copenhagen.'])}`;

  const imageCount = between(1, 3);
  const images = Array.from({ length: imageCount }, (_, i) => ({
    url: `https://picsum.photos/seed/${slug}-${i + 1}/800/800`,
    alt: i === 0 ? title : `${title}, view ${i + 1}`,
  }));

  return {
    title,
    slug,
    description,
    status: rand() < 0.03 ? 'draft' : 'active',
    category: cat.key,
    tags,
    metadata: { category: cat.key, material: material.toLowerCase() },
    images,
    options: chosen,
    variants,
  };
}

const BATCH = 1000;

/** Creates "Demo Store" (USD) with a publishable and a secret test key and `products` generated products. */
export async function seedDemoStore(options: SeedOptions): Promise<SeedResult> {
  const { db, stores } = options;
  const total = Math.max(0, Math.floor(options.products));
  const rand = prng(options.seed ?? 20_240_601);
  const store = await stores.createStore({ name: options.storeName ?? 'Demo Store', currency: 'USD' });
  const pk = await stores.createKey({
    storeId: store.id,
    kind: 'publishable',
    mode: 'test',
    name: 'Demo storefront',
  });
  const sk = await stores.createKey({ storeId: store.id, kind: 'secret', mode: 'test', name: 'Demo admin' });

  const collections = [...CATEGORIES.map((c) => c.collection), ...CURATED].map((title) => ({
    id: newId('collection'),
    store_id: store.id,
    title,
    slug: slugify(title),
    description: `${title} from the Demo Store.`,
    metadata: {},
  }));
  const collectionId = new Map(collections.map((c) => [c.title, c.id]));
  await insertJsonRows(
    db,
    'collection',
    ['id', 'store_id', 'title', 'slug', 'description', 'metadata'],
    collections,
  );

  const members = new Map<string, string[]>(collections.map((c) => [c.id, []]));
  const slugs = new Map<string, number>();
  let sampleSlug = '';
  options.onProgress?.(0, total);

  for (let start = 0; start < total; start += BATCH) {
    const end = Math.min(total, start + BATCH);
    const products: NewProductRow[] = [];
    const variants: NewVariantRow[] = [];
    const levels: object[] = [];
    const movements: object[] = [];
    for (let i = start; i < end; i++) {
      const g = generateProduct(rand, i, slugs);
      const id = newId('product');
      if (!sampleSlug && g.status === 'active') sampleSlug = g.slug;
      const prices = g.variants.map((v) => v.price);
      products.push({
        id,
        storeId: store.id,
        title: g.title,
        slug: g.slug,
        description: g.description,
        status: g.status,
        tags: g.tags,
        metadata: g.metadata,
        images: g.images.map((im) => ({ id: newId('image'), url: im.url, alt: im.alt })),
        options: g.options,
        priceMin: Math.min(...prices),
        priceMax: Math.max(...prices),
      });
      g.variants.forEach((v, position) => {
        const variantId = newId('variant');
        variants.push({
          id: variantId,
          storeId: store.id,
          productId: id,
          sku: v.sku,
          title: v.title,
          optionValues: v.optionValues,
          price: v.price,
          compareAtPrice: v.compareAtPrice,
          weightGrams: v.weightGrams,
          trackInventory: v.trackInventory,
          allowBackorder: v.allowBackorder,
          position,
          // Known from the start (the stock goes in below without the stock-change statement): search's in-stock
          // facet reads it.
          listedInStock: !v.trackInventory || v.allowBackorder || v.onHand > 0,
        });
        levels.push({ variant_id: variantId, store_id: store.id, on_hand: v.onHand });
        movements.push({
          id: newId('movement'),
          store_id: store.id,
          variant_id: variantId,
          delta_on_hand: v.onHand,
          reason: 'set',
          note: 'demo seed',
        });
      });
      const cat = CATEGORIES.find((c) => c.key === g.category)!;
      members.get(collectionId.get(cat.collection)!)!.push(id);
      const minPrice = Math.min(...prices);
      if (g.variants.some((v) => v.compareAtPrice !== null)) members.get(collectionId.get('Sale')!)!.push(id);
      if (minPrice < 5000) members.get(collectionId.get('Gifts Under $50')!)!.push(id);
      if (g.tags.includes('bestseller')) members.get(collectionId.get('Best Sellers')!)!.push(id);
      if (rand() < 0.01) members.get(collectionId.get('Staff Picks')!)!.push(id);
    }
    await inTransaction(db, async (tx) => {
      await insertProductRows(tx, products);
      await insertVariantRows(tx, variants);
      // Stock goes straight into the inventory tables (level + ledger row), as the inventory module's
      // own "set stock" would write it.
      await insertJsonRows(tx, 'inventory_level', ['variant_id', 'store_id', 'on_hand'], levels);
      await insertJsonRows(
        tx,
        'inventory_movement',
        ['id', 'store_id', 'variant_id', 'delta_on_hand', 'reason', 'note'],
        movements,
      );
    });
    options.onProgress?.(end, total);
  }

  // New arrivals: the latest hundred across categories, newest first (ids sort by creation).
  const newest: string[] = [];
  for (const list of CATEGORIES.map((c) => members.get(collectionId.get(c.collection)!)!))
    newest.push(...list.slice(-20));
  newest.sort((a, b) => (a < b ? 1 : -1));
  members.set(collectionId.get('New Arrivals')!, newest.slice(0, 100));
  const bestSellers = members.get(collectionId.get('Best Sellers')!)!;
  members.set(collectionId.get('Best Sellers')!, bestSellers.slice(0, 100));

  const rows: object[] = [];
  for (const [cid, productIds] of members) {
    productIds.forEach((pid, position) => {
      rows.push({ collection_id: cid, product_id: pid, store_id: store.id, position });
    });
  }
  for (let i = 0; i < rows.length; i += 5 * BATCH) {
    await insertJsonRows(
      db,
      'collection_product',
      ['collection_id', 'product_id', 'store_id', 'position'],
      rows.slice(i, i + 5 * BATCH),
    );
  }
  await insertChanges(db, [{ storeId: store.id, entity: 'store', entityId: store.id }]);
  // Fresh statistics after a bulk load: PGlite has no autovacuum, and without them its planner picks
  // sequential scans for search and lists. The facet triggers rewrote every product row once, so the
  // catalog tables are vacuumed too: otherwise each search visits a dead version of every row it matches
  // until autovacuum (where there is one) gets to it (at 100k products, 23 ms → 4.4 ms for a broad query).
  await db.execute(sql`vacuum (analyze) product, variant, collection_product, inventory_level`);
  await db.execute(sql`analyze`);

  return {
    storeId: store.id,
    publishableKey: pk.plaintext,
    secretKey: sk.plaintext,
    products: total,
    sampleSlug,
  };
}
