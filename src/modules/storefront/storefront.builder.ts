import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createClient, memoryStorage } from '../../../packages/sdk/src/index.ts';
import { buildIslands, buildSdkBundles } from '../../../storefront/assets.ts';
import { createSite, type Site, type SiteFile } from '../../../storefront/site.ts';
import type { Logger } from '../../shared/logger.ts';

/** A file as served: its body, type and strong ETag. */
export interface ServedFile extends SiteFile {
  etag: string;
  /** The body as bytes, and gzipped when that saves bytes (text bodies), computed once per render. */
  bytes: Buffer;
  gzip: Buffer | null;
}

export interface StorefrontKeys {
  publishableKey: string;
  /** Reads the product events; without it the builder compares product versions instead. */
  secretKey?: string;
}

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SDK_DIST = path.join(ROOT, 'packages/sdk/dist');
const INTERNAL = 'http://storefront.internal';

const etagOf = (body: string | Uint8Array) =>
  `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

function serve(f: SiteFile): ServedFile {
  const bytes = Buffer.from(f.body);
  const gz = bytes.length > 512 ? gzipSync(bytes) : null;
  return { ...f, etag: etagOf(f.body), bytes, gzip: gz && gz.length < bytes.length ? gz : null };
}

/**
 * Builds the storefront in memory and keeps it fresh: every page once, then only the pages of products that
 * changed, found by polling `GET /v1/events?type=product.*` with the secret key (a plain fetch: the SDK is the
 * shopper's client and has no events call). Without a secret key, or while the events API is absent, it lists
 * the products and re-renders those whose version moved.
 */
export function createStorefrontBuilder(deps: {
  /** The app's own fetch: the builder calls the API in-process, through the same routes a browser uses. */
  fetch: (request: Request) => Response | Promise<Response>;
  logger: Logger;
  name: string;
  pollMs: number;
  /** Where the islands call the API: '' (same origin) when served by this process. */
  apiBase?: string;
}) {
  const served = new Map<string, ServedFile>();
  let site: Site | null = null;
  let keys: StorefrontKeys | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let since: string | null = null;
  let eventsMissing = false;
  const seenEvents = new Set<string>();

  const inProcess = (input: RequestInfo | URL, init?: RequestInit) =>
    Promise.resolve(deps.fetch(new Request(input, init)));

  function publish(files: Map<string, SiteFile>, paths?: string[]) {
    for (const p of paths ?? files.keys()) {
      const f = files.get(p);
      if (f) served.set(p, serve(f));
      else served.delete(p);
    }
  }

  /** The SDK builds from packages/sdk/dist (`npm run build:sdk`), or built in memory when dist is absent. */
  async function loadSdk() {
    const files = [
      ['crowdstart.js', '/sdk/crowdstart.js'],
      ['shop.js', '/shop.js'],
    ] as const;
    if (files.every(([file]) => existsSync(path.join(SDK_DIST, file)))) {
      for (const [file, route] of files) {
        const body = readFileSync(path.join(SDK_DIST, file), 'utf8');
        served.set(route, serve({ type: 'text/javascript; charset=utf-8', body }));
      }
      return;
    }
    publish(await buildSdkBundles());
  }

  async function pollEvents(): Promise<string[] | null> {
    if (!keys?.secretKey || eventsMissing) return null;
    const ids = new Set<string>();
    let cursor: string | null = null;
    for (;;) {
      const qs = new URLSearchParams({ type: 'product.*', limit: '100' });
      if (since) qs.set('created_gte', since);
      if (cursor) qs.set('cursor', cursor);
      const res = await inProcess(`${INTERNAL}/v1/events?${qs}`, {
        headers: { authorization: `Bearer ${keys.secretKey}` },
      });
      if (res.status === 404 && cursor === null) {
        eventsMissing = true;
        deps.logger.info('storefront: no events API here; refreshing pages by product versions');
        return null;
      }
      if (!res.ok) throw new Error(`GET /v1/events answered ${res.status}`);
      const page = (await res.json()) as {
        data: { id: string; created: string | number; data: { object: { id: string } } }[];
        has_more: boolean;
        next_cursor: string | null;
      };
      for (const e of page.data) {
        if (seenEvents.has(e.id)) continue;
        seenEvents.add(e.id);
        ids.add(e.data.object.id);
        if (since === null || String(e.created) > since) since = String(e.created);
      }
      if (!page.has_more || !page.next_cursor) break;
      cursor = page.next_cursor;
    }
    if (seenEvents.size > 10_000) seenEvents.clear();
    return [...ids];
  }

  async function changedByVersion(): Promise<string[]> {
    const before = site!.versions();
    const client = createClient({
      key: keys!.publishableKey,
      baseUrl: INTERNAL,
      fetch: inProcess,
      storage: memoryStorage(),
    });
    const changed: string[] = [];
    const now = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const page = await client.products.list({ limit: 100, cursor });
      for (const p of page.data as { id: string; version: number; updated_at: string }[]) {
        now.add(p.id);
        if (before.get(p.id) !== `${p.version}:${p.updated_at}`) changed.push(p.id);
      }
      if (!page.has_more || !page.next_cursor) break;
      cursor = page.next_cursor;
    }
    for (const id of before.keys()) if (!now.has(id)) changed.push(id);
    return changed;
  }

  async function refresh() {
    if (!site) return;
    const ids = (await pollEvents()) ?? (await changedByVersion());
    if (ids.length === 0) return;
    const paths = await site.refreshProducts(ids);
    publish(site.files, paths);
    deps.logger.info({ products: ids.length, pages: paths.length }, 'storefront: pages re-rendered');
  }

  const tick = () => {
    running ??= refresh()
      .catch((e) => deps.logger.warn({ err: e }, 'storefront: refresh failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };

  return {
    served,
    /** Builds the whole site with these keys, then keeps it fresh. */
    async configure(k: StorefrontKeys) {
      keys = k;
      // Events from now on: the full build below reads everything older.
      since = new Date().toISOString();
      const client = createClient({
        key: k.publishableKey,
        baseUrl: INTERNAL,
        fetch: inProcess,
        storage: memoryStorage(),
      });
      const s = createSite({
        client,
        name: deps.name,
        publishableKey: k.publishableKey,
        apiBase: deps.apiBase,
      });
      const [islands] = await Promise.all([buildIslands(), s.buildAll()]);
      publish(islands);
      publish(s.files);
      await loadSdk();
      site = s;
      this.start();
    },
    /** Re-renders what changed since the last look (the poller calls it; tests may too). */
    refresh: tick,
    start() {
      if (timer || !site) return;
      timer = setInterval(() => void tick(), deps.pollMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type StorefrontBuilder = ReturnType<typeof createStorefrontBuilder>;

/** Where a served path is written for a static host: pages as `<path>/index.html`, other files as they are. */
export function exportPath(route: string, type: string): string {
  if (!type.startsWith('text/html') || route.endsWith('.html')) return route.slice(1);
  return route === '/' ? 'index.html' : `${route.slice(1)}/index.html`;
}

/** Builds the site once and writes every file under `dir`; returns how many files it wrote. */
export async function exportStorefront(opts: {
  fetch: (request: Request) => Response | Promise<Response>;
  logger: Logger;
  name: string;
  keys: StorefrontKeys;
  apiBase?: string;
  dir: string;
}): Promise<number> {
  const builder = createStorefrontBuilder({ ...opts, pollMs: 60_000 });
  await builder.configure(opts.keys);
  await builder.stop();
  for (const [route, file] of builder.served) {
    const target = path.join(opts.dir, exportPath(route, file.type));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.body);
  }
  return builder.served.size;
}
