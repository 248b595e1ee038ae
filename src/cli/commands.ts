import type { Config } from '../config.ts';
import { currency, integer, nonEmpty, type OptionSpec, oneOf } from './options.ts';

/** The app and its database load only when a command runs: help and argument errors answer at once. */
const actions = () => import('./run.ts');

export type Values = Record<string, unknown>;

export interface Command {
  /** The words that name it, e.g. `stores create`. */
  name: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** One required positional argument, e.g. `<dir>` (its value is `values[name]`). */
  argument?: { name: string; description: string };
  run(values: Values, config: Config): Promise<void>;
}

/**
 * Every command the CLI knows. This table drives the usage text, each command's `--help` and the parsing of
 * its options; a command's `run` receives values that already passed their option's rule.
 */
export const COMMANDS: Command[] = [
  {
    name: 'start',
    summary: 'embedded mode: API and worker in one process, on an embedded database unless DATABASE_URL',
    options: {},
    run: async (_v, config) => (await actions()).runServer(config, { command: 'start', workers: 1 }),
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
    run: async (v, config) =>
      (await actions()).runServer(config, { command: 'serve', workers: (v.workers as number) ?? 1 }),
  },
  {
    name: 'worker',
    summary: 'background jobs only: hold expiry, reconciliation, events relay',
    options: {},
    run: async (_v, config) => (await actions()).runWorker(config),
  },
  {
    name: 'migrate',
    summary: 'apply the SQL migrations (also done on every start)',
    options: {},
    run: async (_v, config) => (await actions()).runMigrate(config),
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
    run: async (v, config) => (await actions()).runSeed(config, v.products as number | undefined),
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
    run: async (v, config) =>
      (await actions()).runStoresCreate(config, {
        name: v.name as string,
        currency: (v.currency as string | undefined) ?? 'USD',
      }),
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
    run: async (v, config) =>
      (await actions()).runKeysCreate(config, {
        storeId: v.store as string,
        kind: v.kind as 'publishable' | 'secret',
        mode: (v.mode as 'test' | 'live' | undefined) ?? 'test',
      }),
  },
  {
    name: 'storefront export',
    summary: 'write the whole storefront (HTML, JS, CSS, images) to a folder for any static host',
    argument: { name: 'dir', description: 'the folder to write (created if missing)' },
    options: {
      'api-base': {
        value: 'URL',
        description:
          "where the site's pages call the API, e.g. https://api.example.com (default: same origin)",
      },
    },
    run: async (v, config) =>
      (await actions()).runStorefrontExport(config, {
        dir: v.dir as string,
        apiBase: v['api-base'] as string | undefined,
      }),
  },
  {
    name: 'staff create-owner',
    summary: "make someone a store's owner; prints a one-time link to set the password and sign in",
    options: {
      store: { value: 'ID', description: 'the store id, store_… (required)', required: true },
      email: { value: 'EMAIL', description: "the owner's email (required)", required: true, parse: nonEmpty },
    },
    run: async (v, config) =>
      (await actions()).runStaffCreateOwner(config, { storeId: v.store as string, email: v.email as string }),
  },
  {
    name: 'import products',
    summary: 'import a Shopify product CSV into a store (all or nothing), showing progress',
    argument: { name: 'file', description: 'the CSV file (Shopify product export layout)' },
    options: {
      store: { value: 'ID', description: 'the store id, store_… (default: the only store)' },
    },
    run: async (v, config) =>
      (await actions()).runImportProducts(config, {
        file: v.file as string,
        storeId: v.store as string | undefined,
      }),
  },
  {
    name: 'export products',
    summary: "write a store's products to a Shopify product CSV",
    argument: { name: 'file', description: 'the CSV file to write' },
    options: { store: { value: 'ID', description: 'the store id, store_… (default: the only store)' } },
    run: async (v, config) =>
      (await actions()).runExport(config, {
        kind: 'products',
        file: v.file as string,
        storeId: v.store as string | undefined,
      }),
  },
  {
    name: 'export orders',
    summary: "write a store's orders to CSV, one row per order line",
    argument: { name: 'file', description: 'the CSV file to write' },
    options: {
      store: { value: 'ID', description: 'the store id, store_… (default: the only store)' },
      mode: {
        value: 'MODE',
        description: 'test or live orders (default test)',
        parse: oneOf('test', 'live'),
      },
    },
    run: async (v, config) =>
      (await actions()).runExport(config, {
        kind: 'orders',
        file: v.file as string,
        storeId: v.store as string | undefined,
        mode: (v.mode as 'test' | 'live' | undefined) ?? 'test',
      }),
  },
];
