import { z } from 'zod';

/**
 * Every environment variable the product reads, parsed once at start.
 * A bad value stops the process with one line per problem, naming the variable.
 */
const intFrom = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

const boolFrom = (def: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === '1' || v === 'true' || v === 'yes');

const configSchema = z.object({
  PORT: intFrom(3000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: intFrom(10, 1, 500),
  CROWDSTART_DATA_DIR: z.string().min(1).default('./.crowdstart'),
  /**
   * The database of embedded mode (no DATABASE_URL): `postgres` (a PostgreSQL server started from the bundled
   * binaries, its cluster in `<CROWDSTART_DATA_DIR>/pg`), `pglite` (in the process), or `auto`: the one the
   * data directory already holds, else PostgreSQL where it can run, else PGlite (saying why).
   */
  EMBEDDED_DB: z.enum(['auto', 'pglite', 'postgres']).default('auto'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  CROWDSTART_ROOT_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Where the Stripe adapter sends its requests: Stripe's own API unless the operator points it elsewhere
   * (a local stand-in for tests, an egress proxy). Operator configuration, never a store setting.
   */
  STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  /** When set, `GET /metrics` needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_PER_SECOND: intFrom(1000, 1, 1_000_000),
  RATE_LIMIT_BURST: intFrom(2000, 1, 10_000_000),
  CACHE_MAX_ENTRIES: intFrom(50_000, 100, 10_000_000),
  CACHE_MAX_AGE_SECONDS: intFrom(60, 0, 86_400),
  CACHE_POLL_MS: intFrom(250, 20, 60_000),
  SEED_PRODUCTS: intFrom(1000, 0, 1_000_000),
  SEED_ON_START: boolFrom(true),
  /** Days of demo orders and funnel events the first start gives the demo store (0: none). */
  SEED_HISTORY_DAYS: intFrom(30, 0, 90),
  SHUTDOWN_TIMEOUT_MS: intFrom(10_000, 0, 600_000),
  CART_SIGNING_KEYS: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]+:[^,]{32,}(,[A-Za-z0-9_-]+:[^,]{32,})*$/,
      'must be kid:secret pairs separated by commas, the first signs, secrets ≥ 32 chars',
    )
    .optional(),
  CART_TTL_SECONDS: intFrom(30 * 86_400, 60, 365 * 86_400),
  HOLD_TTL_SECONDS: intFrom(900, 10, 86_400),
  WORKER_POLL_MS: intFrom(1000, 10, 600_000),
  /** The events relay's own pause (short: events reach webhooks and mail that soon after commit). */
  EVENTS_RELAY_POLL_MS: intFrom(200, 10, 600_000),
  /** A warning is logged while the oldest event not yet relayed is older than this. */
  EVENTS_STALE_AFTER_SECONDS: intFrom(60, 1, 86_400),
  RECONCILE_AFTER_SECONDS: intFrom(60, 0, 86_400),
  /** The storefront's base URL: links in customer emails (verification, password reset) point there. */
  STOREFRONT_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** `iss` of session access tokens. */
  SESSION_ISSUER: z.string().min(1).max(200).default('crowdstart'),
  CUSTOMER_ACCESS_TTL_SECONDS: intFrom(900, 60, 3600),
  CUSTOMER_REFRESH_TTL_SECONDS: intFrom(30 * 86_400, 3600, 365 * 86_400),
  /** Staff sessions: a role change or removal reaches an access token at its next refresh, so keep it short. */
  STAFF_ACCESS_TTL_SECONDS: intFrom(600, 60, 3600),
  STAFF_REFRESH_TTL_SECONDS: intFrom(7 * 86_400, 3600, 90 * 86_400),
  /** How often the worker rebuilds the recent days' analytics rollups (reports lag by at most this much). */
  ANALYTICS_ROLLUP_EVERY_MS: intFrom(300_000, 1000, 86_400_000),
  /** The address people reach this server at: staff invitation and sign-in links (`/admin/accept`) point there. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** scrypt cost N for new password hashes (a power of two); stored hashes keep their own and are upgraded at sign-in. */
  PASSWORD_SCRYPT_COST: intFrom(32_768, 1024, 1_048_576).refine(
    (n) => (n & (n - 1)) === 0,
    'must be a power of two',
  ),
  /** Sign-in attempts allowed per minute for one account (store + email). */
  SIGNIN_LIMIT_PER_ACCOUNT: intFrom(5, 1, 10_000),
  /** Sign-in and password-reset requests allowed per minute from one client address. */
  SIGNIN_LIMIT_PER_ADDRESS: intFrom(20, 1, 100_000),
  /** How long an in-flight Idempotency-Key blocks retries before a retry may take over (owner presumed dead). */
  IDEMPOTENCY_LOCK_SECONDS: intFrom(60, 1, 3600),
  /**
   * Which non-public addresses webhook deliveries may reach: `none` (production), `loopback` (local
   * development, tests), `private` (adds RFC 1918, unique-local and CGNAT networks), `all` (adds link-local,
   * cloud metadata included). Checked when an endpoint is saved and again on every delivery.
   */
  WEBHOOK_ALLOW_PRIVATE: z.enum(['none', 'loopback', 'private', 'all']).default('none'),
  /** How long one webhook POST may take, connection to last byte read, before the attempt fails. */
  WEBHOOK_TIMEOUT_MS: intFrom(10_000, 100, 60_000),
  /** How often the worker looks for due webhook deliveries. */
  WEBHOOK_POLL_MS: intFrom(150, 10, 60_000),
  /** Webhook POSTs one worker process keeps in flight at once. */
  WEBHOOK_CONCURRENCY: intFrom(64, 1, 1000),
  /** Webhook POSTs in flight to one endpoint at once, across all workers: a slow receiver is not flooded. */
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: intFrom(16, 1, 1000),
  /**
   * Fault injection for recovery tests: `crash_after_authorize` kills the process (SIGKILL) right after the
   * gateway accepted a payment and before the order is marked paid. Never set it in production.
   */
  CROWDSTART_FAULT: z.enum(['crash_after_authorize']).optional(),
  /**
   * The keys the storefront at `/` uses: the publishable one is written into its pages, the secret one reads
   * the product events that trigger re-renders. Unset in embedded mode: `start` makes and keeps a pair.
   */
  STOREFRONT_PUBLISHABLE_KEY: z
    .string()
    .regex(/^pk_(test|live)_/, 'must be a publishable key (pk_…)')
    .optional(),
  STOREFRONT_SECRET_KEY: z
    .string()
    .regex(/^sk_(test|live)_/, 'must be a secret key (sk_…)')
    .optional(),
  STOREFRONT_NAME: z.string().min(1).max(100).default('Crowdstart Demo Store'),
  /** How often the storefront looks for changed products to re-render. */
  STOREFRONT_POLL_MS: intFrom(2000, 50, 600_000),
  /** Sends emails through this SMTP server (`smtp://user:pass@host:587`, `smtps://…`); logged only when unset. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  /**
   * The longest one SMTP send may take; a claimed email stays invisible to other workers for 2.5× this
   * (its lease), so a worker killed mid-send delays its emails by that much.
   */
  MAIL_SEND_TIMEOUT_SECONDS: intFrom(120, 1, 600),
  /** The sender address of emails whose store sets none (`settings.email.from_address`). */
  MAIL_FROM: z
    .string()
    .regex(/^[^\s@<>",;]+@[^\s@<>",;]+$/, 'must be a bare email address like orders@example.com')
    .default('orders@localhost'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset": shells and .env files produce them often.
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${String(i.path[0])}: ${i.message} (got ${JSON.stringify(input[String(i.path[0])])})`,
      ),
    );
  }
  return parsed.data;
}
