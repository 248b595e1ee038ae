import type { Config } from '../config.ts';
import { createStoresService } from '../modules/stores/index.ts';
import { ids } from '../shared/ids.ts';
import { currency, integer, nonEmpty, type OptionSpec, oneOf } from './options.ts';
import { openMigrated, runServer, runWorker, seedIfEmpty } from './run.ts';

export type Values = Record<string, unknown>;

export interface Command {
  /** The words that name it, e.g. `stores create`. */
  name: string;
  summary: string;
  options: Record<string, OptionSpec>;
  run(values: Values, config: Config): Promise<void>;
}

/**
 * Every command the CLI knows. This table drives the usage text, each command's `--help` and the parsing of
 * its options; a command's `run` receives values that already passed their option's rule.
 */
export const COMMANDS: Command[] = [
  {
    name: 'start',
    summary: 'embedded mode: API and worker in one process (PGlite unless DATABASE_URL)',
    options: {},
    run: (_v, config) => runServer(config, { command: 'start', workers: 1 }),
  },
  {
    name: 'serve',
    summary: 'API only; with --workers, N processes through node:cluster',
    options: {
      workers: {
        value: 'N',
        description: 'API processes to run, 1 to 64 (default 1; more than 1 needs DATABASE_URL)',
        parse: integer(1, 64),
      },
    },
    run: (v, config) => runServer(config, { command: 'serve', workers: (v.workers as number) ?? 1 }),
  },
  {
    name: 'worker',
    summary: 'background jobs only: hold expiry, reconciliation, outbox relay',
    options: {},
    run: (_v, config) => runWorker(config),
  },
  {
    name: 'migrate',
    summary: 'apply the SQL migrations (also done on every start)',
    options: {},
    async run(_v, config) {
      const database = await openMigrated(config, 'migrate');
      await database.close();
      process.stdout.write('Migrations applied.\n');
    },
  },
  {
    name: 'seed',
    summary: 'create the demo store with N generated products, if the database has no store yet',
    options: {
      products: {
        value: 'N',
        description: 'how many products to generate, 0 to 1000000 (default SEED_PRODUCTS)',
        parse: integer(0, 1_000_000),
      },
    },
    async run(v, config) {
      const database = await openMigrated(config, 'seed');
      try {
        const products = (v.products as number | undefined) ?? config.SEED_PRODUCTS;
        await seedIfEmpty({ ...config, SEED_PRODUCTS: products }, database);
      } finally {
        await database.close();
      }
    },
  },
  {
    name: 'stores create',
    summary: 'create a store; prints it as JSON',
    options: {
      name: { value: 'NAME', description: "the store's name (required)", required: true, parse: nonEmpty },
      currency: {
        value: 'CODE',
        description: 'its currency: an upper-case ISO 4217 code such as USD, EUR, JPY (default USD)',
        parse: currency,
      },
    },
    async run(v, config) {
      const database = await openMigrated(config, 'stores create');
      try {
        const stores = createStoresService({ db: database.db, ids });
        const s = await stores.createStore({
          name: v.name as string,
          currency: (v.currency as string | undefined) ?? 'USD',
        });
        process.stdout.write(`${JSON.stringify({ id: s.id, name: s.name, currency: s.currency })}\n`);
      } finally {
        await database.close();
      }
    },
  },
  {
    name: 'keys create',
    summary: 'create an API key for a store; the key is printed once',
    options: {
      store: { value: 'ID', description: 'the store id, store_… (required)', required: true },
      kind: {
        value: 'KIND',
        description: 'publishable (browser-safe) or secret (required)',
        required: true,
        parse: oneOf('publishable', 'secret'),
      },
      mode: { value: 'MODE', description: 'test or live (default test)', parse: oneOf('test', 'live') },
    },
    async run(v, config) {
      const database = await openMigrated(config, 'keys create');
      try {
        const stores = createStoresService({ db: database.db, ids });
        const kind = v.kind as 'publishable' | 'secret';
        const mode = (v.mode as 'test' | 'live' | undefined) ?? 'test';
        const { row, plaintext } = await stores.createKey({ storeId: v.store as string, kind, mode });
        process.stdout.write(`${JSON.stringify({ id: row.id, kind, mode, key: plaintext })}\n`);
      } finally {
        await database.close();
      }
    },
  },
];
