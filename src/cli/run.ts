import cluster from 'node:cluster';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type App, createApp } from '../app.ts';
import type { Config } from '../config.ts';
import type { BulkJobJson } from '../modules/bulk/index.ts';
import { type SeedResult, seedDemoStore } from '../modules/catalog/index.ts';
import { exportStorefront, type StorefrontKeys } from '../modules/storefront/index.ts';
import { createStoresService } from '../modules/stores/index.ts';
import { listen } from '../server.ts';
import { type Database, openDatabase, PGLITE_DIR, runMigrations } from '../shared/db.ts';
import {
  embeddedPostgresBlocker,
  runningEmbeddedPostgresUrl,
  startEmbeddedPostgres,
} from '../shared/embedded-postgres.ts';
import { ids } from '../shared/ids.ts';
import { dataDirHolder, lockDataDir } from './data-lock.ts';
import { seedDemoHistory } from './demo-history.ts';
import { CliError } from './errors.ts';
import { assertPortFree } from './port.ts';

/** Where the data lives, for messages: PostgreSQL, or the embedded directory as the user named it. */
export const dataLocation = (config: Config) =>
  config.DATABASE_URL ? 'PostgreSQL' : config.CROWDSTART_DATA_DIR;

/**
 * Opens and migrates the database. In embedded mode the data directory is locked first, so a second process
 * stops here, before it reads or writes a byte of it.
 */
export async function openMigrated(config: Config, command: string): Promise<Database> {
  const database = await openConfigured(config, command);
  try {
    await runMigrations(database);
  } catch (e) {
    await database.close().catch(() => {});
    throw e;
  }
  return database;
}

async function openConfigured(config: Config, command: string): Promise<Database> {
  const poolSize = config.DATABASE_POOL_SIZE;
  if (config.DATABASE_URL) return openDatabase({ url: config.DATABASE_URL, poolSize });
  const dataDir = config.CROWDSTART_DATA_DIR;
  const embedded = await embeddedDatabase(config);
  if (embedded.kind === 'postgres') {
    try {
      return await openEmbeddedPostgres(config, command);
    } catch (e) {
      if (!embedded.mayFallBack) throw e;
      // `auto` on a fresh data directory: nothing is lost by serving it with PGlite instead.
      rmSync(path.join(dataDir, 'pg'), { recursive: true, force: true });
      process.stderr.write(
        `Embedded database: PGlite, since PostgreSQL did not start: ${(e as Error).message}\n`,
      );
    }
  }
  lockDataDir(dataDir, command);
  return openDatabase({ dataDir, poolSize });
}

/**
 * Which embedded database serves (`EMBEDDED_DB`): as set, or for `auto` the one the data directory already
 * holds (a PGlite directory from an earlier version stays PGlite), else PostgreSQL where it can run here
 * (falling back to PGlite if it does not start), else PGlite with a line saying why.
 */
async function embeddedDatabase(
  config: Config,
): Promise<{ kind: 'pglite' | 'postgres'; mayFallBack: boolean }> {
  if (config.EMBEDDED_DB !== 'auto') return { kind: config.EMBEDDED_DB, mayFallBack: false };
  const dataDir = config.CROWDSTART_DATA_DIR;
  if (existsSync(path.join(dataDir, PGLITE_DIR))) return { kind: 'pglite', mayFallBack: false };
  if (existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))) return { kind: 'postgres', mayFallBack: false };
  const blocker = await embeddedPostgresBlocker(dataDir);
  if (!blocker) return { kind: 'postgres', mayFallBack: true };
  process.stderr.write(`Embedded database: PGlite, since PostgreSQL cannot run here: ${blocker}.\n`);
  return { kind: 'pglite', mayFallBack: false };
}

/**
 * Embedded PostgreSQL: a command run while the server is up connects to the PostgreSQL that server
 * started (its URL is in the data directory); otherwise this process locks the directory, starts the
 * cluster, and stops it when the database is closed.
 */
async function openEmbeddedPostgres(config: Config, command: string): Promise<Database> {
  const dataDir = config.CROWDSTART_DATA_DIR;
  const holder = dataDirHolder(dataDir);
  const running = holder && runningEmbeddedPostgresUrl(dataDir, holder.pid);
  if (running && !SERVER_COMMANDS.has(command)) {
    return openDatabase({ url: running, poolSize: Math.min(config.DATABASE_POOL_SIZE, 2) });
  }
  lockDataDir(dataDir, command);
  const server = await startEmbeddedPostgres({ dataDir });
  try {
    const database = await openDatabase({ url: server.url, poolSize: config.DATABASE_POOL_SIZE });
    return { ...database, close: () => database.close().finally(() => server.stop()) };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

const SERVER_COMMANDS: ReadonlySet<string> = new Set(['start', 'serve', 'worker']);

function progressBar(label: string) {
  let last = 0;
  return (done: number, total: number) => {
    const now = Date.now();
    if (done !== total && now - last < 250) return;
    last = now;
    const pct = total ? Math.floor((done / total) * 100) : 100;
    const width = 30;
    const fill = Math.round((pct / 100) * width);
    process.stderr.write(
      `\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} ${pct}%`,
    );
    if (done === total) process.stderr.write('\n');
  };
}

/** The demo store's owner: `npm start` prints a link to set their password on the first start. */
export const DEMO_OWNER_EMAIL = 'owner@example.com';

/** Seeds the demo store and prints its keys (the only time they are shown) unless a store exists. */
export async function seedIfEmpty(config: Config, database: Database): Promise<SeedResult | null> {
  const stores = createStoresService({ db: database.db, ids });
  const existing = await stores.listStores();
  if (existing.length > 0) {
    process.stdout.write(
      `Using existing data in ${dataLocation(config)}: ${existing.length} store(s), first ${existing[0]!.id}.\n` +
        'Keys are shown only when created; make new ones with `npm run cli -- keys create --store <id> --kind publishable`.\n',
    );
    return null;
  }
  const result = await seedDemoStore({
    db: database.db,
    stores,
    products: config.SEED_PRODUCTS,
    onProgress: progressBar('Seeding demo catalog'),
  });
  process.stdout.write(
    `\nDemo store ${result.storeId} seeded with ${result.products} products.\n` +
      `  publishable key: ${result.publishableKey}\n` +
      `  secret key:      ${result.secretKey}\n` +
      '  (keys are stored hashed and shown only now; keep them)\n\n' +
      `  curl -H "Authorization: Bearer ${result.publishableKey}" http://localhost:${config.PORT}/v1/products/${result.sampleSlug}\n\n`,
  );
  if (config.SEED_HISTORY_DAYS > 0) {
    const history = await seedDemoHistory({
      config,
      database,
      keys: { publishable: result.publishableKey, secret: result.secretKey },
      days: config.SEED_HISTORY_DAYS,
      onProgress: progressBar('Seeding demo orders and visits'),
    });
    process.stdout.write(
      `\n  history: ${history.orders} orders from ${history.sessions} visits over ${config.SEED_HISTORY_DAYS} days (dashboard charts)\n\n`,
    );
  }
  return result;
}

/**
 * The storefront's keys: from the environment, or in embedded mode a pair made for it and kept in the data
 * directory (which holds the whole database anyway). Null with DATABASE_URL and no keys set, or no store.
 */
export async function storefrontKeys(config: Config, built: App): Promise<StorefrontKeys | null> {
  if (config.STOREFRONT_PUBLISHABLE_KEY) {
    return { publishableKey: config.STOREFRONT_PUBLISHABLE_KEY, secretKey: config.STOREFRONT_SECRET_KEY };
  }
  if (config.DATABASE_URL) return null;
  const stores = built.deps.stores;
  const file = path.join(config.CROWDSTART_DATA_DIR, 'storefront-keys.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { publishableKey: string; secretKey: string };
    const [pk, sk] = await Promise.all([
      stores.resolveKey(saved.publishableKey),
      stores.resolveKey(saved.secretKey),
    ]);
    if (pk && sk) return saved;
  }
  const [store] = await stores.listStores();
  if (!store) return null;
  const make = (kind: 'publishable' | 'secret') =>
    stores.createKey({ storeId: store.id, kind, mode: 'test', name: 'storefront' });
  const keys = {
    publishableKey: (await make('publishable')).plaintext,
    secretKey: (await make('secret')).plaintext,
  };
  writeFileSync(file, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
  return keys;
}

async function configureStorefront(config: Config, built: App) {
  if (config.STOREFRONT_PUBLISHABLE_KEY) return; // the app did it at start
  const keys = await storefrontKeys(config, built);
  if (keys) await built.configureStorefront(keys);
  else
    built.deps.logger.info(
      'storefront off: set STOREFRONT_PUBLISHABLE_KEY (and STOREFRONT_SECRET_KEY) to serve it',
    );
}

/** `storefront export <dir>`: the whole site as files for any static host. */
export async function runStorefrontExport(config: Config, input: { dir: string; apiBase?: string }) {
  const database = await openMigrated(config, 'storefront export');
  const built = createApp({ config: { ...config, STOREFRONT_PUBLISHABLE_KEY: undefined }, database });
  try {
    await built.start({ worker: false });
    const keys = await storefrontKeys(config, built);
    if (!keys)
      throw new CliError(
        'no store to export: run `crowdstart seed` first, or set STOREFRONT_PUBLISHABLE_KEY',
      );
    const written = await exportStorefront({
      fetch: (request) => built.app.fetch(request),
      logger: built.deps.logger,
      name: config.STOREFRONT_NAME,
      keys,
      apiBase: input.apiBase,
      dir: input.dir,
    });
    process.stdout.write(`Wrote ${written} files to ${input.dir}\n`);
  } finally {
    await built.close();
    await database.close();
  }
}

/** `start` (API + worker) and `serve` (API only, optionally several processes through node:cluster). */
export async function runServer(config: Config, opts: { command: 'start' | 'serve'; workers: number }) {
  if (opts.workers > 1 && !config.DATABASE_URL) {
    throw new CliError('--workers above 1 needs DATABASE_URL: the embedded database serves one process');
  }
  if (cluster.isPrimary) {
    // The data directory first (a second `start` learns which server holds it), then the port: both before
    // any migration or job, which would otherwise touch the data and fail later.
    if (!config.DATABASE_URL) lockDataDir(config.CROWDSTART_DATA_DIR, opts.command);
    await assertPortFree(config.PORT, config.HOST);
  }
  if (opts.workers > 1 && cluster.isPrimary) {
    for (let i = 0; i < opts.workers; i++) cluster.fork();
    cluster.on('exit', (w, code) => process.stderr.write(`worker ${w.process.pid} exited with ${code}\n`));
    return;
  }
  const database = await openMigrated(config, opts.command);
  const seeded =
    opts.command === 'start' && config.SEED_ON_START ? await seedIfEmpty(config, database) : null;
  const built = createApp({ config, database });
  if (seeded) {
    const owner = await built.staff.createOwner({
      storeId: seeded.storeId,
      email: DEMO_OWNER_EMAIL,
      by: 'cli',
    });
    process.stdout.write(
      `  dashboard owner ${DEMO_OWNER_EMAIL} of store ${seeded.storeId}: set a password and sign in (once, within 24 h):\n  ${owner.link}\n\n`,
    );
  }
  await built.start({ worker: opts.command === 'start' });
  await configureStorefront(config, built);
  const served = await listen(built, {
    port: config.PORT,
    host: config.HOST,
    onClosed: () => database.close(),
  }).catch(async (e) => {
    // Someone took the port since the check: stop the jobs we started and leave.
    await built.close();
    await database.close();
    throw e;
  });
  built.deps.logger.info({ port: served.port, mode: opts.command, database: database.kind }, 'listening');
  process.stdout.write(
    `Crowdstart ${opts.command === 'start' ? '(embedded) ' : ''}listening on http://localhost:${served.port} — storefront at /, API reference at /docs\n`,
  );
  const stop = (signal: string) => {
    void served.shutdown(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** `worker`: background jobs only. */
export async function runWorker(config: Config) {
  const database = await openMigrated(config, 'worker');
  const built = createApp({ config, database });
  await built.start({ worker: true });
  built.deps.logger.info('worker running');
  process.stdout.write('Crowdstart worker running (jobs: hold expiry, reconciliation, events relay)\n');
  const stop = async () => {
    await built.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

export async function runMigrate(config: Config) {
  const database = await openMigrated(config, 'migrate');
  await database.close();
  process.stdout.write('Migrations applied.\n');
}

export async function runSeed(config: Config, products: number | undefined) {
  const database = await openMigrated(config, 'seed');
  try {
    await seedIfEmpty({ ...config, SEED_PRODUCTS: products ?? config.SEED_PRODUCTS }, database);
  } finally {
    await database.close();
  }
}

export async function runStoresCreate(config: Config, input: { name: string; currency: string }) {
  const database = await openMigrated(config, 'stores create');
  try {
    const s = await createStoresService({ db: database.db, ids }).createStore(input);
    process.stdout.write(`${JSON.stringify({ id: s.id, name: s.name, currency: s.currency })}\n`);
  } finally {
    await database.close();
  }
}

export async function runKeysCreate(
  config: Config,
  input: { storeId: string; kind: 'publishable' | 'secret'; mode: 'test' | 'live' },
) {
  const database = await openMigrated(config, 'keys create');
  try {
    const { row, plaintext } = await createStoresService({ db: database.db, ids }).createKey(input);
    process.stdout.write(
      `${JSON.stringify({ id: row.id, kind: input.kind, mode: input.mode, key: plaintext })}\n`,
    );
  } finally {
    await database.close();
  }
}

/** `staff create-owner`: the store's first (or another) owner, and a one-time link to set the password. */
export async function runStaffCreateOwner(config: Config, input: { storeId: string; email: string }) {
  const database = await openMigrated(config, 'staff create-owner');
  const built = createApp({ config, database });
  try {
    const r = await built.staff.createOwner({ ...input, by: 'cli' });
    process.stdout.write(
      `${JSON.stringify({ id: r.user.id, email: r.user.email, role: r.user.role, url: r.link, expires_at: r.expiresAt.toISOString() })}\n`,
    );
  } finally {
    await built.close();
    await database.close();
  }
}

/** The store a bulk command acts on: the one named, or the only one. */
async function bulkStore(built: App, storeId: string | undefined): Promise<string> {
  const stores = await built.deps.stores.listStores();
  if (storeId) {
    if (!stores.some((s) => s.id === storeId)) throw new CliError(`no store ${storeId}`);
    return storeId;
  }
  if (stores.length === 1) return stores[0]!.id;
  throw new CliError(
    stores.length === 0
      ? 'no store yet: run `crowdstart seed` or `crowdstart stores create` first'
      : '--store is required: the database has several stores',
  );
}

/**
 * Runs a queued bulk job here (or, when a running worker claimed it first, waits for that one), printing its
 * progress; returns the job as it ended.
 */
async function followJob(built: App, storeId: string, job: BulkJobJson, label: string): Promise<BulkJobJson> {
  const bar = progressBar(label);
  const ran = built.bulk.runJob(job.id);
  let shown = -1;
  for (;;) {
    const current = await built.bulk.get(storeId, job.id);
    const { done, total } = current.progress;
    if (total > 0 && done !== shown) {
      bar(done, total);
      shown = done;
    }
    if (current.status === 'succeeded' || current.status === 'failed') {
      if (shown >= 0 && done !== total) process.stderr.write('\n');
      await ran;
      return current;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `import products <file>`: the import job, run here; bad rows are printed `line N: field: message`. */
export async function runImportProducts(config: Config, input: { file: string; storeId?: string }) {
  const csv = await readFile(input.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${input.file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  const database = await openMigrated(config, 'import products');
  const built = createApp({ config: { ...config, STOREFRONT_PUBLISHABLE_KEY: undefined }, database });
  try {
    const storeId = await bulkStore(built, input.storeId);
    const auth = { storeId, keyId: 'cli', kind: 'secret' as const, mode: 'test' as const };
    const queued = await built.bulk.createImport({ auth, csv, fileName: path.basename(input.file) });
    const job = await followJob(built, storeId, queued, 'Importing rows');
    if (job.status === 'failed') {
      for (const e of job.errors) {
        process.stderr.write(
          `${e.line === null ? '' : `line ${e.line}: `}${e.field ? `${e.field}: ` : ''}${e.message}\n`,
        );
      }
      throw new CliError(`import failed (${job.errors.length} problem(s)); nothing was imported`);
    }
    process.stdout.write(`${JSON.stringify({ job: job.id, store: storeId, ...job.result })}\n`);
  } finally {
    await built.close();
    await database.close();
  }
}

/** `export products|orders <file>`: the export job, run here, and its CSV written to the file. */
export async function runExport(
  config: Config,
  input: { kind: 'products' | 'orders'; file: string; storeId?: string; mode?: 'test' | 'live' },
) {
  const database = await openMigrated(config, `export ${input.kind}`);
  const built = createApp({ config: { ...config, STOREFRONT_PUBLISHABLE_KEY: undefined }, database });
  try {
    const storeId = await bulkStore(built, input.storeId);
    const auth = { storeId, keyId: 'cli', kind: 'secret' as const, mode: input.mode ?? ('test' as const) };
    const queued = await built.bulk.createExport({ auth, kind: input.kind });
    const job = await followJob(built, storeId, queued, `Exporting ${input.kind}`);
    if (job.status === 'failed')
      throw new CliError(`export failed: ${job.errors[0]?.message ?? 'unknown error'}`);
    const file = await built.bulk.file(storeId, job.id);
    await writeFile(input.file, file.csv);
    process.stdout.write(
      `${JSON.stringify({ job: job.id, store: storeId, file: input.file, ...job.result })}\n`,
    );
  } finally {
    await built.close();
    await database.close();
  }
}
