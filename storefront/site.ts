import type { Client as ShopClient } from '../packages/sdk/src/index.ts';
import { html } from './html.ts';
import { productImagePath, productSvg } from './images.ts';
import {
  collectionPage,
  FAVICON,
  homePage,
  notFoundPage,
  PAGE_SIZE,
  productPage,
  type SiteContext,
  shellPage,
} from './pages.ts';
import type { Collection, CollectionWithProducts, ListPage, Product } from './types.ts';

/** One file of the site: a path as served (`/products/x`) and its body. */
export interface SiteFile {
  type: string;
  body: string | Uint8Array;
}

const HTML = 'text/html; charset=utf-8';
const SVG = 'image/svg+xml';
const HOME_PER_COLLECTION = 4;

async function all<T>(fetchPage: (cursor?: string) => Promise<ListPage<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    out.push(...page.data);
    if (!page.has_more || !page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

/**
 * The pre-rendered site, in memory: every product, collection and the home page as HTML, the product
 * pictures as SVG, and the shells of the shopper's own pages. It reads the catalog only through the client
 * (the SDK contract) and re-renders just the pages a changed product appears on.
 */
export function createSite(opts: {
  client: ShopClient;
  name: string;
  publishableKey: string;
  apiBase?: string;
  /** Told the paths that changed after every (re)build, e.g. to refresh ETags. */
  onChange?: (paths: string[]) => void;
}) {
  const { client } = opts;
  const files = new Map<string, SiteFile>();
  const products = new Map<string, Product>();
  let collections: Collection[] = [];
  /** Collection id → its product ids in collection order. */
  const members = new Map<string, string[]>();
  const ctx = (): SiteContext => ({
    name: opts.name,
    publishableKey: opts.publishableKey,
    apiBase: opts.apiBase ?? '',
    nav: collections,
  });

  const put = (path: string, type: string, body: string, changed: string[]) => {
    const prev = files.get(path);
    if (prev && prev.body === body) return;
    files.set(path, { type, body });
    changed.push(path);
  };

  function renderProduct(p: Product, changed: string[]) {
    put(`/products/${p.slug}`, HTML, productPage(ctx(), p), changed);
    const count = Math.max(1, p.images.length);
    for (let i = 0; i < count; i++) {
      const alt = p.images[i]?.alt || p.title;
      put(
        productImagePath(p.slug, i),
        SVG,
        productSvg({ slug: p.slug, title: p.title, index: i, alt }),
        changed,
      );
    }
  }

  function renderCollection(c: Collection, changed: string[]) {
    const list = (members.get(c.id) ?? []).map((id) => products.get(id)).filter((p) => p !== undefined);
    const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    for (let n = 1; n <= pages; n++) {
      const path = n === 1 ? `/collections/${c.slug}` : `/collections/${c.slug}/page/${n}`;
      const slice = list.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE);
      put(path, HTML, collectionPage(ctx(), c, slice, { number: n, pages }), changed);
    }
  }

  function renderHome(changed: string[]) {
    const sections = collections
      .map((c) => ({
        collection: c,
        products: (members.get(c.id) ?? [])
          .map((id) => products.get(id))
          .filter((p) => p !== undefined)
          .slice(0, HOME_PER_COLLECTION),
      }))
      .filter((s) => s.products.length > 0);
    put('/', HTML, homePage(ctx(), sections), changed);
  }

  function renderShells(changed: string[]) {
    const c = ctx();
    const shell = (path: string, page: Parameters<typeof shellPage>[1]) =>
      put(path, HTML, shellPage(c, page), changed);
    shell('/search', { title: 'Search', heading: 'All products', island: 'search' });
    shell('/cart', { title: 'Cart', heading: 'Your cart', island: 'cart' });
    shell('/checkout', { title: 'Checkout', heading: 'Checkout', island: 'checkout' });
    shell('/order', { title: 'Order confirmation', heading: 'Thank you for your order', island: 'order' });
    for (const [path, heading, view] of [
      ['/account', 'Your account', 'overview'],
      ['/account/sign-in', 'Sign in', 'sign-in'],
      ['/account/sign-up', 'Create an account', 'sign-up'],
      ['/account/verify', 'Verify your email', 'verify'],
      ['/account/reset', 'Reset your password', 'reset'],
      ['/account/orders', 'Your orders', 'orders'],
      ['/account/addresses', 'Your addresses', 'addresses'],
    ] as const) {
      shell(path, { title: heading, heading, island: 'account', data: view });
    }
    put('/404.html', HTML, notFoundPage(c), changed);
    put('/favicon.svg', SVG, FAVICON, changed);
    put(
      '/robots.txt',
      'text/plain; charset=utf-8',
      html`User-agent: *\nDisallow: /cart\nDisallow: /checkout\nDisallow: /account\n`.value,
      changed,
    );
  }

  return {
    files,
    /** Reads the whole catalog and renders every page. */
    async buildAll(): Promise<string[]> {
      const changed: string[] = [];
      const list = await all<Product>((cursor) => client.products.list({ limit: 100, cursor }));
      const seen = new Set<string>();
      for (const p of list) {
        products.set(p.id, p);
        seen.add(p.id);
      }
      for (const id of [...products.keys()]) if (!seen.has(id)) products.delete(id);
      collections = await all<Collection>((cursor) => client.collections.list({ limit: 100, cursor }));
      members.clear();
      for (const c of collections) {
        const ids: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page: CollectionWithProducts = await client.collections.get(c.id, { limit: 100, cursor });
          for (const p of page.products.data) {
            ids.push(p.id);
            if (!products.has(p.id)) products.set(p.id, p);
          }
          if (!page.products.has_more || !page.products.next_cursor) break;
          cursor = page.products.next_cursor;
        }
        members.set(c.id, ids);
      }
      const live = new Set<string>();
      for (const p of products.values()) renderProduct(p, changed);
      for (const c of collections) renderCollection(c, changed);
      renderHome(changed);
      renderShells(changed);
      for (const p of products.values()) {
        live.add(`/products/${p.slug}`);
        for (let i = 0; i < Math.max(1, p.images.length); i++) live.add(productImagePath(p.slug, i));
      }
      for (const c of collections) {
        const pages = Math.max(1, Math.ceil((members.get(c.id)?.length ?? 0) / PAGE_SIZE));
        live.add(`/collections/${c.slug}`);
        for (let n = 2; n <= pages; n++) live.add(`/collections/${c.slug}/page/${n}`);
      }
      // Pages of products and collections that are gone are dropped.
      for (const path of [...files.keys()]) {
        if (/^\/(products|collections|images)\//.test(path) && !live.has(path)) {
          files.delete(path);
          changed.push(path);
        }
      }
      if (changed.length) opts.onChange?.(changed);
      return changed;
    },

    /**
     * Re-reads the named products and re-renders their pages, the collection pages they are listed on and the
     * home page. A product that is no longer for sale loses its page.
     */
    async refreshProducts(ids: string[]): Promise<string[]> {
      const changed: string[] = [];
      const touched = new Set<string>();
      for (const id of new Set(ids)) {
        const before = products.get(id);
        let after: Product | null = null;
        try {
          after = await client.products.get(id);
        } catch (e) {
          if ((e as { status?: number }).status !== 404) throw e;
        }
        if (before && (!after || after.slug !== before.slug)) {
          for (const path of [...files.keys()]) {
            if (path === `/products/${before.slug}` || path.startsWith(`/images/${before.slug}-`)) {
              files.delete(path);
              changed.push(path);
            }
          }
        }
        if (after) {
          products.set(id, after);
          renderProduct(after, changed);
        } else products.delete(id);
        for (const [cid, list] of members) if (list.includes(id)) touched.add(cid);
      }
      for (const c of collections) if (touched.has(c.id)) renderCollection(c, changed);
      if (touched.size) renderHome(changed);
      if (changed.length) opts.onChange?.(changed);
      return changed;
    },

    /** Products the site knows, by id, with their version (to notice changes without the events API). */
    versions: () => new Map([...products.values()].map((p) => [p.id, `${p.version}:${p.updated_at}`])),
  };
}

export type Site = ReturnType<typeof createSite>;
