import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { createApp } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { seedDemoStore } from './modules/catalog/index.ts';
import { createStoresService } from './modules/stores/index.ts';
import { listen } from './server.ts';
import { type Database, openDatabase, runMigrations } from './shared/db.ts';
import { ids } from './shared/ids.ts';

const USAGE = `crowdstart <command> [options]

Commands:
  start                      embedded mode: API and worker in one process (PGlite unless DATABASE_URL)
  serve [--workers N]        API only (server mode); N processes through node:cluster
  worker                     background jobs only (holds expiry, reconciliation, outbox)
  migrate                    apply database migrations
  seed [--products N]        create a demo store with N generated products (default SEED_PRODUCTS)
  stores create --name NAME [--currency USD]
  keys create --store ID --kind publishable|secret [--mode test|live]

Environment: see README.md (PORT, DATABASE_URL, REDIS_URL, CROWDSTART_ROOT_TOKEN, …).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function openMigrated(config: Config): Promise<Database> {
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.CROWDSTART_DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  await runMigrations(database);
  return database;
}

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

async function seedIfEmpty(config: Config, database: Database, print: boolean) {
  const stores = createStoresService({ db: database.db, ids });
  const existing = await stores.listStores();
  if (existing.length > 0) {
    if (print) {
      process.stdout.write(
        `Using existing data in ${config.DATABASE_URL ? 'PostgreSQL' : config.CROWDSTART_DATA_DIR}: ${existing.length} store(s), first ${existing[0]!.id}.\n` +
          'Keys are shown only when created; make new ones with `npm run cli -- keys create --store <id> --kind publishable`.\n',
      );
    }
    return;
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
}

async function runServer(config: Config, mode: 'start' | 'serve') {
  const database = await openMigrated(config);
  if (mode === 'start' && config.SEED_ON_START) await seedIfEmpty(config, database, true);
  const built = createApp({ config, database });
  await built.start({ worker: mode === 'start' });
  const { port, shutdown } = await listen(built, {
    port: config.PORT,
    host: config.HOST,
    onClosed: () => database.close(),
  });
  built.deps.logger.info({ port, mode, database: database.kind }, 'listening');
  process.stdout.write(
    `Crowdstart ${mode === 'start' ? '(embedded) ' : ''}listening on http://localhost:${port} — API reference at /docs\n`,
  );
  const stop = (signal: string) => {
    void shutdown(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function runWorker(config: Config) {
  const database = await openMigrated(config);
  const built = createApp({ config, database });
  await built.start({ worker: true });
  built.deps.logger.info('worker running');
  process.stdout.write('Crowdstart worker running (jobs: hold expiry, reconciliation, outbox relay)\n');
  const stop = async () => {
    await built.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

async function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      workers: { type: 'string' },
      products: { type: 'string' },
      name: { type: 'string' },
      currency: { type: 'string' },
      store: { type: 'string' },
      kind: { type: 'string' },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub] = positionals;
  if (!command || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }

  switch (command) {
    case 'start':
      return runServer(config, 'start');
    case 'serve': {
      const workers = Number(values.workers ?? 1);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64)
        fail('--workers must be an integer from 1 to 64');
      if (workers > 1 && cluster.isPrimary) {
        for (let i = 0; i < workers; i++) cluster.fork();
        cluster.on('exit', (w, code) =>
          process.stderr.write(`worker ${w.process.pid} exited with ${code}\n`),
        );
        return;
      }
      return runServer(config, 'serve');
    }
    case 'worker':
      return runWorker(config);
    case 'migrate': {
      const database = await openMigrated(config);
      await database.close();
      process.stdout.write('Migrations applied.\n');
      return;
    }
    case 'seed': {
      const database = await openMigrated(config);
      const n = values.products === undefined ? config.SEED_PRODUCTS : Number(values.products);
      if (!Number.isInteger(n) || n < 0) fail('--products must be a non-negative integer');
      await seedIfEmpty({ ...config, SEED_PRODUCTS: n }, database, true);
      await database.close();
      return;
    }
    case 'stores': {
      if (sub !== 'create') fail('usage: crowdstart stores create --name NAME [--currency USD]');
      if (!values.name) fail('--name is required');
      const database = await openMigrated(config);
      const stores = createStoresService({ db: database.db, ids });
      const s = await stores.createStore({ name: values.name, currency: values.currency ?? 'USD' });
      process.stdout.write(`${JSON.stringify({ id: s.id, name: s.name, currency: s.currency })}\n`);
      await database.close();
      return;
    }
    case 'keys': {
      if (sub !== 'create')
        fail('usage: crowdstart keys create --store ID --kind publishable|secret [--mode test|live]');
      const kind = values.kind;
      const mode = values.mode ?? 'test';
      if (!values.store) fail('--store is required');
      if (kind !== 'publishable' && kind !== 'secret') fail('--kind must be publishable or secret');
      if (mode !== 'test' && mode !== 'live') fail('--mode must be test or live');
      const database = await openMigrated(config);
      const stores = createStoresService({ db: database.db, ids });
      try {
        const { row, plaintext } = await stores.createKey({ storeId: values.store, kind, mode });
        process.stdout.write(`${JSON.stringify({ id: row.id, kind, mode, key: plaintext })}\n`);
      } catch (e) {
        fail((e as Error).message);
      } finally {
        await database.close();
      }
      return;
    }
    default:
      fail(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
