// Load scenarios over loopback against real processes. Usage:
//   npm run bench -- [--sizes 1000,100000] [--modes pglite,postgres,embedded-pg] [--duration 10] [--connections 50]
//     [--skip-money] [--skip-mix] [--skip-reads] [--mix-rates 200,1000] [--mix-max-in-flight 2000] [--mix-warm 10000]
//     [--api-workers N]  (postgres mode: `serve --workers N`; CPU and RSS then sum the N processes)
//     [--analyze-every S]  (postgres mode: ANALYZE every S seconds during the loads, as autovacuum would; 0: never)
// --skip-reads leaves out the read rows (by slug, list, search; the ceiling stays), e.g. to profile the
// money path alone: BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" npm run bench -- --skip-reads ...
// The paper mix (bench/mix.ts: fixed arrival rate, the seed paper's workload and Table 1) runs for every
// mode and size unless --skip-mix; its table follows the main one in the report.
// PostgreSQL mode needs BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a fresh
// database is created per catalog size and dropped afterwards. `embedded-pg` is `npm start` with
// EMBEDDED_DB=postgres: a PostgreSQL server of its own in a temporary data directory.
import { execSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { call } from './lib/api.ts';
import { adminQuery, analyzeEvery, databaseUrl } from './lib/db.ts';
import { type LoadResult, load } from './lib/load.ts';
import { cli, postgresCpuMs, ROOT, type Server, startApi, startCeiling } from './lib/proc.ts';
import {
  MIX_TABLE_HEAD,
  type MixResult,
  PAPER_SOURCE,
  prepareMixCatalog,
  renderMix,
  renderMixNotes,
  runMix,
  warmMixCatalog,
} from './mix.ts';
import { moneyPathScenarios } from './money-path.ts';
import { type Row, renderReport } from './report.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,100000' },
    modes: { type: 'string', default: 'pglite,postgres' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'skip-money': { type: 'boolean', default: false },
    'skip-mix': { type: 'boolean', default: false },
    'skip-reads': { type: 'boolean', default: false },
    'mix-rates': { type: 'string', default: '200,1000' },
    'mix-max-in-flight': { type: 'string', default: '2000' },
    /** Products at the head of the mix's Zipf order read once before its runs (bench/mix.ts); 0: a cold cache. */
    'mix-warm': { type: 'string', default: '10000' },
    'api-workers': { type: 'string', default: '1' },
    /** PostgreSQL mode: seconds between the ANALYZEs that stand in for autovacuum (bench/lib/db.ts); 0: none. */
    'analyze-every': { type: 'string', default: '2' },
    out: { type: 'string', default: 'docs/BENCHMARKS.md' },
  },
});
const sizes = values.sizes.split(',').map(Number);
type Mode = 'pglite' | 'postgres' | 'embedded-pg';
const modes = values.modes.split(',') as Mode[];
const durationSec = Number(values.duration);
const connections = Number(values.connections);
const mixRates = values['mix-rates'].split(',').map(Number);
/** API processes in postgres mode (`serve --workers N`); the embedded modes always run one. */
const apiWorkers = Number(values['api-workers']);
const mixTables: string[] = [];
const mixNotes: string[] = [];
const mixRuns: { mode: string; size: number; results: MixResult[] }[] = [];
let port = 3900;

function log(msg: string) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Picks search queries of two words from real titles and misspells one (drops a letter). */
function searchQueries(titles: string[]): string[] {
  const out: string[] = [];
  for (const t of titles) {
    const words = t
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => /^[a-z]{5,}$/.test(w));
    if (words.length < 2) continue;
    const a = words[words.length - 2]!;
    const b = words[words.length - 1]!;
    const typo = a.slice(0, 2) + a.slice(3);
    out.push(`${typo} ${b}`);
    if (out.length >= 20) break;
  }
  return out;
}

async function ceiling(bodyBytes: number): Promise<LoadResult> {
  const server = await startCeiling(port++, bodyBytes);
  try {
    return await load({ url: server.url, paths: ['/'], connections, durationSec });
  } finally {
    await server.stop();
  }
}

/** Resident and proportional memory (kB) of an embedded cluster's processes: the postmaster and its children. */
function clusterMemoryKb(dataDir: string): { rss: number; pss: number } {
  const kb = (file: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  const postmaster = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]!;
  const children = readdirSync(`/proc/${postmaster}/task`).flatMap((t) =>
    readFileSync(`/proc/${postmaster}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean),
  );
  let rss = 0;
  let pss = 0;
  for (const pid of [postmaster, ...children]) {
    try {
      rss += kb(`/proc/${pid}/status`, 'VmRSS');
      pss += kb(`/proc/${pid}/smaps_rollup`, 'Pss');
    } catch {
      // a backend that exited meanwhile
    }
  }
  return { rss, pss };
}

async function runMode(mode: Mode, size: number, rows: Row[]) {
  const label = mode === 'postgres' && apiWorkers > 1 ? `postgres, ${apiWorkers} API processes` : mode;
  const p = port++;
  const dbName = `crowdstart_bench_${size}_${Date.now()}`;
  const embedded = mode === 'pglite' || mode === 'embedded-pg';
  const dataDir = embedded ? mkdtempSync(path.join(os.tmpdir(), 'crowdstart-bench-')) : '';
  // Run as root, the embedded cluster belongs to the `postgres` user, which must reach its directory.
  if (mode === 'embedded-pg') chmodSync(dataDir, 0o755);
  const env: Record<string, string> = {
    PORT: String(p),
    HOST: '127.0.0.1',
    SEED_PRODUCTS: String(size),
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    CROWDSTART_ROOT_TOKEN: 'bench_root_token_0123456789',
    ...(embedded ? { CROWDSTART_DATA_DIR: dataDir } : {}),
    ...(embedded ? { EMBEDDED_DB: mode === 'embedded-pg' ? 'postgres' : 'pglite' } : {}),
  };
  if (mode === 'postgres') {
    await adminQuery(`create database ${dbName}`);
    env.DATABASE_URL = databaseUrl(dbName);
    env.DATABASE_POOL_SIZE = '20';
  }
  let server: Server | null = null;
  let analyzer: { stop(): Promise<void> } | null = null;
  try {
    log(`${mode} ${size}: seeding`);
    const started = Date.now();
    const seedOut = await cli(['seed', '--products', String(size)], env);
    const seedSeconds = Math.round((Date.now() - started) / 100) / 10;
    const pk = /publishable key:\s+(\S+)/.exec(seedOut)?.[1];
    const sk = /secret key:\s+(\S+)/.exec(seedOut)?.[1];
    if (!pk || !sk) throw new Error(`seed printed no keys:\n${seedOut}`);
    log(`${mode} ${size}: seeded in ${seedSeconds}s; starting server`);
    server = await startApi(env, p, embedded ? 'start' : 'serve', embedded ? 1 : apiWorkers);
    const analyzeSec = Number(values['analyze-every']);
    if (mode === 'postgres' && analyzeSec > 0)
      analyzer = await analyzeEvery(env.DATABASE_URL!, analyzeSec * 1000);
    const base = server.url;
    const headers = { authorization: `Bearer ${pk}` };

    const slugs: string[] = [];
    const titles: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const list: any = await call(
        base,
        'GET',
        `/v1/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        pk,
      );
      for (const prod of list.data) {
        slugs.push(`/v1/products/${prod.slug}`);
        titles.push(prod.title);
      }
      if (!list.has_more) break;
      cursor = list.next_cursor;
    }
    const sample = await fetch(`${base}${slugs[0]}`, { headers });
    const bodyBytes = (await sample.text()).length;
    // warm the cache for the slugs we drive
    for (const s of slugs) await fetch(`${base}${s}`, { headers }).then((r) => r.arrayBuffer());

    const ceil = await ceiling(bodyBytes);
    rows.push({
      mode: label,
      size,
      scenario: 'ceiling: bare node:http, same body size',
      ...ceil,
      note: `${bodyBytes} B body`,
    });
    log(`${mode} ${size}: ceiling ${ceil.rps} rps`);

    if (!values['skip-reads']) {
      const bySlug = await load({ url: base, paths: slugs, headers, connections, durationSec });
      rows.push({
        mode: label,
        size,
        scenario: 'product by slug (cached)',
        ...bySlug,
        note: `${Math.round((bySlug.rps / ceil.rps) * 100)}% of ceiling`,
      });
      log(`${mode} ${size}: by slug ${bySlug.rps} rps p99 ${bySlug.p99} ms`);

      const listPaths = ['/v1/products?limit=20'];
      const listBody: any = await call(base, 'GET', '/v1/products?limit=20', pk);
      if (listBody.next_cursor) listPaths.push(`/v1/products?limit=20&cursor=${listBody.next_cursor}`);
      // The list page is judged against a ceiling that sends a body of its own size (~50 KB, not the
      // product's ~3 KB): on loopback the bytes alone halve what a bare server does.
      const listBytes = JSON.stringify(listBody).length;
      const list = await load({ url: base, paths: listPaths, headers, connections, durationSec });
      const listCeil = await ceiling(listBytes);
      rows.push({
        mode: label,
        size,
        scenario: 'ceiling: bare node:http, list page body size',
        ...listCeil,
        note: `${listBytes} B body`,
      });
      rows.push({
        mode: label,
        size,
        scenario: 'product list page (20)',
        ...list,
        note: `${Math.round((list.rps / listCeil.rps) * 100)}% of the list-size ceiling, ${Math.round((list.rps / ceil.rps) * 100)}% of the product-size one`,
      });

      const queries = searchQueries(titles).map(
        (q) => `/v1/products/search?q=${encodeURIComponent(q)}&limit=20`,
      );
      const example = queries[0] ? decodeURIComponent(queries[0].split('q=')[1]!.split('&')[0]!) : '';
      const search = await load({ url: base, paths: queries, headers, connections, durationSec });
      rows.push({
        mode: label,
        size,
        scenario: `search, 2 words, 1 misspelt (${queries.length} queries, repeated: results cache)`,
        ...search,
        note: example,
      });
      log(`${mode} ${size}: search ${search.rps} rps p99 ${search.p99} ms`);
      // Every request distinct (a price ceiling that changes each time): none is served from the results cache.
      const distinct = (offset: number) => (n: number) =>
        `${queries[n % queries.length]}&price_max=${offset + n}`;
      const uncached = await load({
        url: base,
        paths: queries,
        pathFor: distinct(1_000_000),
        headers,
        connections,
        durationSec,
      });
      rows.push({
        mode: label,
        size,
        scenario: 'search, every request distinct (database)',
        ...uncached,
        note: example,
      });
      log(`${mode} ${size}: search uncached ${uncached.rps} rps p99 ${uncached.p99} ms`);
      const single = await load({
        url: base,
        paths: queries,
        pathFor: distinct(2_000_000),
        headers,
        connections: 1,
        durationSec: Math.min(5, durationSec),
      });
      rows.push({
        mode: label,
        size,
        scenario: 'search, every request distinct, 1 connection',
        ...single,
        note: example,
      });
    }
    if (!values['skip-money'] && size === sizes[0]) {
      const srv = server;
      const cpuMs = () => srv.cpuMs();
      for (const r of await moneyPathScenarios({
        base,
        pk,
        sk,
        connections,
        durationSec,
        mode: label,
        size,
        cpuMs,
        dbCpuMs: mode === 'pglite' ? undefined : postgresCpuMs,
      }))
        rows.push(r);
    }
    if (!values['skip-mix']) {
      log(`${mode} ${size}: paper mix: reading the catalog`);
      const catalog = await prepareMixCatalog({ base, pk, sk });
      const warmed = await warmMixCatalog({ base, pk, catalog, products: Number(values['mix-warm']) });
      log(`${mode} ${size}: paper mix: read the ${warmed} products at the head of the Zipf order once`);
      const results: MixResult[] = [];
      const srv = server;
      await runMix({ base, pk, catalog, rate: Math.min(...mixRates), durationSec: 3, seed: 1 });
      for (const rate of mixRates) {
        const r = await runMix({
          base,
          pk,
          catalog,
          rate,
          durationSec,
          maxInFlight: Number(values['mix-max-in-flight']),
          serverCpuMs: () => srv.cpuMs(),
        });
        results.push(r);
        log(
          `${mode} ${size}: paper mix at ${rate}/s: ${r.ops.map((x) => `${x.op} p99 ${x.p99} ms (${x.errors + x.non2xx + x.drops} failed)`).join(', ')}`,
        );
      }
      mixRuns.push({ mode: label, size, results });
      mixTables.push(renderMix({ mode: label, size, results }));
      mixNotes.push(renderMixNotes({ mode: label, size, results }));
    }
    rows.push({
      mode: label,
      size,
      scenario: 'API process RSS after the runs',
      rps: 0,
      p50: 0,
      p99: 0,
      requests: 0,
      errors: 0,
      non2xx: 0,
      note: `${server.rssMb()} MB`,
      rssMb: server.rssMb(),
    });
    if (mode === 'embedded-pg') {
      const m = clusterMemoryKb(dataDir);
      rows.push({
        mode: label,
        size,
        scenario: 'PostgreSQL processes after the runs',
        rps: 0,
        p50: 0,
        p99: 0,
        requests: 0,
        errors: 0,
        non2xx: 0,
        note: `RSS ${Math.round(m.rss / 1024)} MB, PSS ${Math.round(m.pss / 1024)} MB`,
      });
    }
  } finally {
    await analyzer?.stop();
    await server?.stop();
    if (mode === 'postgres')
      await adminQuery(`drop database if exists ${dbName} with (force)`).catch(() => {});
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
const rows: Row[] = [];
for (const size of sizes) for (const mode of modes) await runMode(mode, size, rows);
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench/results/latest.json'), JSON.stringify(rows, null, 2));
if (mixRuns.length)
  writeFileSync(path.join(ROOT, 'bench/results/mix-latest.json'), JSON.stringify(mixRuns, null, 2));
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const extra = mixTables.length
  ? `
## Paper mix (fixed arrival rate)

Open loop: requests are sent on a fixed schedule whatever the answers, latency from the scheduled time
(bench/mix.ts). 70% product reads (Zipf s = 1 over every slug), 20% cart create/update, 8% search (1–2 words,
one in three misspelt), 2% checkout (fresh cart + checkout, whole flow timed), ${durationSec} s per rate, at most
${values['mix-max-in-flight']} requests in flight, after the ${Number(values['mix-warm']).toLocaleString('en-US')} products at the head of the Zipf order were read once
(\`--mix-warm\`; 0 measures a cold cache). Paper p99: ${PAPER_SOURCE}. Goal: every p99 at least 10× below the
paper's at ${Math.min(...mixRates)} req/s, none above the paper's at ${Math.max(...mixRates)} req/s; a row with
errors, non-2xx or drops does not meet it.

${MIX_TABLE_HEAD}
${mixTables.join('\n')}

${mixNotes.join('\n')}
`
  : '';
writeFileSync(path.resolve(ROOT, values.out), renderReport({ rows, command, extra }));
log(`wrote ${values.out}`);
process.exit(0);
