import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { adminRoutes, buildAdminAssets } from './modules/admin/index.ts';
import {
  ANALYTICS_EVENTS_PATH,
  createAnalyticsModule,
  createReportsModule,
} from './modules/analytics/index.ts';
import { BULK_IMPORT_MAX_BYTES, BULK_IMPORTS_PATH, createBulkModule } from './modules/bulk/index.ts';
import { createCartModule } from './modules/cart/index.ts';
import { createCatalogFastPath, createCatalogModule } from './modules/catalog/index.ts';
import { createCheckoutModule } from './modules/checkout/index.ts';
import { createCustomersModule } from './modules/customers/index.ts';
import { createEventsModule } from './modules/events/index.ts';
import { createIdempotencyModule } from './modules/idempotency/index.ts';
import {
  createInventoryModule,
  getAvailability,
  listExpiredReservations,
  setStockLevels,
  stockStateQuery,
} from './modules/inventory/index.ts';
import { createWorker, type PeriodicTask } from './modules/jobs/index.ts';
import { createMailer, createMailModule, leaseMsFor, serializeEmail } from './modules/mail/index.ts';
import { createApiDocument, mountOpenApi, opsRoutes } from './modules/ops/index.ts';
import {
  createOrdersModule,
  fulfillmentsAndRefunds,
  type OrderLineRow,
  type OrderRow,
  salesByDay,
  serializeOrder,
  storesWithSales,
} from './modules/orders/index.ts';
import { createPaymentsModule } from './modules/payments/index.ts';
import {
  couponRedemptionWrites,
  couponRefusal,
  createPricingModule,
  releaseCouponRedemption,
} from './modules/pricing/index.ts';
import { createSearchModule } from './modules/search/index.ts';
import { createPasswordHasher, createSessions, createSessionsModule } from './modules/sessions/index.ts';
import { createStaffService, staffRoutes, staffSessionsFrom } from './modules/staff/index.ts';
import { createStorefrontBuilder, storefrontFastPath, storefrontRoutes } from './modules/storefront/index.ts';
import { createStoresService, storeApiKeysRoutes, storesRoutes } from './modules/stores/index.ts';
import { createWebhooksModule } from './modules/webhooks/index.ts';
import { AppError } from './shared/app-error.ts';
import { type Clock, systemClock } from './shared/clock.ts';
import type { Database } from './shared/db.ts';
import { requireKey, requireRoot } from './shared/http/auth.ts';
import { nodeIncoming, readNodeBody, tooLarge } from './shared/http/body.ts';
import { publicCors } from './shared/http/cors.ts';
import type { AppEnv } from './shared/http/env.ts';
import { onError, onNotFound } from './shared/http/errors.ts';
import { rejectNul } from './shared/http/nul.ts';
import { createRouter, refuseUnknownQuery } from './shared/http/openapi.ts';
import {
  memoryRateLimiter,
  quickTake,
  rateLimit,
  redisRateLimiter,
  signInLimiters,
} from './shared/http/rate-limit.ts';
import { createRequestTracer, IN_PROCESS, requestContext } from './shared/http/request-id.ts';
import { ids as defaultIds, type IdGenerator } from './shared/ids.ts';
import { createLogger, type Logger } from './shared/logger.ts';
import { createMetrics } from './shared/metrics.ts';
import { openRedis } from './shared/redis.ts';

/** The largest request body taken, product imports aside. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface AppOptions {
  config: Config;
  database: Database;
  logger?: Logger;
  clock?: Clock;
  ids?: IdGenerator;
}

/**
 * The composition root: builds every dependency once and mounts each module's routes.
 * Nothing else in the code constructs services or reads the environment.
 */
export function createApp(options: AppOptions) {
  const { config, database } = options;
  const db = database.db;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? defaultIds;
  const metrics = createMetrics();
  const redis: Redis | null = config.REDIS_URL ? openRedis(config.REDIS_URL) : null;
  let shuttingDown = false;
  const tasks: PeriodicTask[] = [];
  const starters: Array<() => Promise<void> | void> = [];
  const stoppers: Array<() => Promise<void> | void> = [];

  const stores = createStoresService({
    db,
    ids,
    clock,
    logger,
    redis,
    revocationPollMs: config.CACHE_POLL_MS,
  });
  starters.push(stores.start);
  stoppers.push(stores.stop);
  const limiter = redis
    ? redisRateLimiter(redis, { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST })
    : memoryRateLimiter({ perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST });
  const limited = rateLimit(limiter);
  const resolveKey = (key: string) => stores.resolveKey(key);
  // A staff access token (a JWT) is taken wherever a secret key is; the staff service is built below.
  const verifyStaff = (token: string) => staff.verifyAccessToken(token);
  const secretAuth = requireKey(resolveKey, 'secret', verifyStaff);
  const anyAuth = requireKey(resolveKey, 'any', verifyStaff);
  const auth = {
    /** secret key, rate limited */
    secret: [secretAuth, limited] as const,
    /** publishable or secret key, rate limited */
    any: [anyAuth, limited] as const,
  };

  const app: OpenAPIHono<AppEnv> = createRouter();
  app.onError(onError(logger));
  app.notFound(onNotFound);
  const tracer = createRequestTracer({ logger, metrics });
  app.use('*', requestContext(tracer));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw tooLarge(MAX_BODY_BYTES);
    },
  });
  const limitImportBody = bodyLimit({
    maxSize: BULK_IMPORT_MAX_BYTES,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', 'The CSV is larger than 50 MB.');
    },
  });
  // Only requests that carry a body pay for the size limit and the content-type check.
  app.use('/v1/*', async (c, next) => {
    const method = c.req.method;
    if (method !== 'POST' && method !== 'PATCH' && method !== 'PUT' && method !== 'DELETE') return next();
    const type = c.req.header('content-type');
    const length = c.req.header('content-length');
    const hasBody =
      (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
    // Funnel events may come from navigator.sendBeacon, whose only preflight-free JSON is a text/plain body.
    const textAllowed = c.req.path === ANALYTICS_EVENTS_PATH && /^text\/plain\s*(;|$)/i.test(type ?? '');
    // Product imports take a CSV body (or JSON with the CSV in it), far larger than any other request.
    const isImport = c.req.path === BULK_IMPORTS_PATH;
    const csvAllowed = isImport && /^text\/csv\s*(;|$)/i.test(type ?? '');
    if (
      hasBody &&
      type &&
      !textAllowed &&
      !csvAllowed &&
      !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)
    ) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
    }
    if (isImport) return limitImportBody(c, next);
    // Served by the Node server: the body is read straight from the socket into Hono's body cache.
    const incoming = nodeIncoming(c);
    if (!incoming) return limitBody(c, next);
    await readNodeBody(c, incoming, MAX_BODY_BYTES);
    return next();
  });
  app.use('/v1/*', rejectNul);
  // Browsers may call publishable-key routes directly; secret and root routes stay same-origin only.
  const cors = publicCors();
  for (const p of [
    '/v1/products/*',
    '/v1/products',
    '/v1/variants/*',
    '/v1/collections/*',
    '/v1/collections',
    '/v1/carts/*',
    '/v1/carts',
    '/v1/checkout',
    '/v1/orders/*/public',
    '/v1/customers',
    '/v1/customers/*',
    '/.well-known/jwks.json',
    ANALYTICS_EVENTS_PATH,
  ]) {
    app.use(p, cors);
  }

  // Unknown query parameters are refused like unknown body fields, by the parameters the document declares.
  const apiDocument = createApiDocument(app);
  app.use('/v1/*', refuseUnknownQuery(apiDocument));

  // Every mutating POST is retry-safe (DESIGN §5): one middleware in front of all /v1 routes.
  const idempotency = createIdempotencyModule({ db, clock, lockSeconds: config.IDEMPOTENCY_LOCK_SECONDS });
  // Routes whose answers carry tokens say so (`answerCarriesSecrets`); their answers are never stored.
  app.use('/v1/*', idempotency.middleware);
  tasks.push(...idempotency.tasks);

  app.route(
    '/',
    opsRoutes({ db, metrics, isShuttingDown: () => shuttingDown, metricsToken: config.METRICS_TOKEN }),
  );
  app.route(
    '/',
    storesRoutes({ stores, root: requireRoot(config.CROWDSTART_ROOT_TOKEN), secret: auth.secret }),
  );

  // Events: the outbox every module appends to in its own transactions; webhooks and mail consume it through
  // `events.subscribe` (before the worker starts).
  const events = createEventsModule({ db, ids, clock, logger, metrics, auth, config });
  app.route('/', events.routes);
  tasks.push(...events.tasks);

  // Webhooks: the relay fans events out to deliveries in its own transaction; the worker sends them.
  const webhooks = createWebhooksModule({
    db,
    clock,
    ids,
    logger,
    metrics,
    auth,
    appendEvent: events.append,
    config,
    tuning: {
      concurrency: config.WEBHOOK_CONCURRENCY,
      perEndpoint: config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
    },
  });
  events.subscribe('webhooks', webhooks.consumer);
  app.route('/', webhooks.routes);
  tasks.push(...webhooks.tasks);
  stoppers.push(webhooks.stop);

  const pricing = createPricingModule({ db, auth, ids, clock });
  app.route('/', pricing.routes);

  // Catalog: products, variants, collections; storefront reads from an in-process cache kept fresh
  // across processes by the catalog_change feed. It steps aside for GET /v1/products/search.
  const catalog = createCatalogModule({
    db,
    config,
    metrics,
    redis,
    logger,
    ids,
    clock,
    auth,
    availability: getAvailability,
    stockState: stockStateQuery,
  });
  app.route('/', catalog.routes);
  // Cached product reads are answered before the router (see catalog.fast-path.ts), with either limiter.
  const fastPath = createCatalogFastPath({
    service: catalog.service,
    peekKey: (key) => stores.peekKey(key),
    limiter: { policy: limiter.policy, take: quickTake(limiter) },
    tracer,
    metrics,
    cacheMaxAgeSeconds: config.CACHE_MAX_AGE_SECONDS,
  });
  // Search is mounted after the catalog module is built (it memoises results in the catalog's page cache),
  // and its route is matched first because the catalog's product route steps aside for /v1/products/search.
  // Reports read the rollups the worker builds from the funnel events and the paid orders.
  const reportsModule = createReportsModule({
    db,
    clock,
    logger,
    secret: auth.secret,
    salesByDay,
    storesWithSales,
    rollupEveryMs: config.ANALYTICS_ROLLUP_EVERY_MS,
  });
  const search = createSearchModule({
    onZeroResults: (miss) => reportsModule.recordSearchMiss(miss),
    db,
    auth,
    metrics,
    pageCache: (storeId, key, render, url) =>
      catalog.service.storePage(
        storeId,
        key,
        render,
        url === undefined ? undefined : { url, kind: 'search' },
      ),
  });
  app.route('/', search.routes);
  tasks.push(...catalog.tasks);
  starters.push(catalog.start);
  stoppers.push(catalog.stop);

  // Stock changes reach the catalog (same transaction) so storefront availability stays fresh.
  const inventory = createInventoryModule({
    db,
    auth,
    ids,
    clock,
    config,
    onStockChange: catalog.onStockChange,
  });
  app.route('/', inventory.routes);
  tasks.push(...inventory.tasks);

  // Carts: stateless signed tokens, re-priced on every call; `cart.service` reads and prices them for checkout.
  const cart = createCartModule({
    db,
    clock,
    ids,
    config,
    stores,
    loadPricingContext: pricing.loadPricingContext,
    cachedVariantsForSale: catalog.cachedVariantsForSale,
    auth: auth.any,
  });
  app.route('/', cart.routes);

  // Payments, orders and checkout: one order, one charge; pending orders are settled by asking the gateway.
  const payments = createPaymentsModule({ db, clock, ids, stripeApiBase: config.STRIPE_API_BASE });
  const orders = createOrdersModule({
    db,
    ids,
    clock,
    logger,
    config,
    inventory: { ...inventory.stock, listExpiredReservations },
    coupons: { couponRedemptionWrites, couponRefusal, releaseCouponRedemption },
    gateways: payments.gateways,
    stores,
    auth,
    // The mail module is built below; this runs per request, after it exists.
    emailsOf: async (scope, orderId) => (await mail.emailsOfOrder(scope, orderId)).map(serializeEmail),
  });
  app.route('/', orders.routes);
  tasks.push(...orders.tasks);

  // Bulk import (Shopify product CSV) and CSV exports, run by the worker's `bulk.run` task.
  const bulk = createBulkModule({
    db,
    ids,
    clock,
    logger,
    secret: auth.secret,
    progressOutsideTx: database.kind === 'postgres',
    leaseMs: 5 * 60_000,
    pollMs: config.WORKER_POLL_MS,
    ports: {
      createProductsInBulk: (storeId, products, options) =>
        catalog.service.createProductsInBulk(storeId, products, {
          ...options,
          setStock: (tx, rows) => setStockLevels(tx, rows, catalog.onStockChange),
        }),
      listProducts: (args) => catalog.service.listProducts(args),
      listOrders: async (args) =>
        (await orders.service.list(args)).map((r) => serializeOrder(r.order, r.lines)),
    },
  });
  app.route('/', bulk.routes);
  tasks.push(...bulk.tasks);

  // Customer accounts and their sessions (audience `customer`); the signing keys are shared through the database.
  const sessionsModule = createSessionsModule({
    db,
    clock,
    issuer: config.SESSION_ISSUER,
    accessTtlSeconds: config.CUSTOMER_ACCESS_TTL_SECONDS,
    refreshTtlSeconds: config.CUSTOMER_REFRESH_TTL_SECONDS,
  });
  app.route('/', sessionsModule.routes);
  // Sign-in limits (customers per account and address, staff per address): one policy, separate buckets.
  const signInLimits = signInLimiters({
    redis,
    perAccount: config.SIGNIN_LIMIT_PER_ACCOUNT,
    perAddress: config.SIGNIN_LIMIT_PER_ADDRESS,
  });
  // Mail: emails the events ask for (and other modules queue) are sent by the worker's `mail.send` task.
  const mailer = createMailer(config, logger);
  const mail = createMailModule({
    db,
    ids,
    clock,
    logger,
    metrics,
    mailer,
    stores,
    orderFollowUps: fulfillmentsAndRefunds,
    defaultFrom: config.MAIL_FROM,
    sendLeaseMs: leaseMsFor(config.MAIL_SEND_TIMEOUT_SECONDS * 1000),
  });
  events.subscribe('mail', mail.consumer);
  tasks.push(...mail.tasks);

  const customers = createCustomersModule({
    db,
    clock,
    ids,
    sessions: sessionsModule.sessions,
    passwords: createPasswordHasher({ N: config.PASSWORD_SCRYPT_COST, r: 8, p: 1 }),
    // Verification and reset emails go out through the mail module, in the customer's own transaction, from
    // the store's own sender (read in that transaction).
    emails: { enqueue: (tx, message) => mail.enqueueEmail(tx, message) },
    orders: {
      listForCustomer: orders.service.listForCustomer,
      totalsForCustomer: orders.service.totalsForCustomer,
    },
    serializeOrder: (r: { order: OrderRow; lines: OrderLineRow[] }) => serializeOrder(r.order, r.lines),
    signInLimits: {
      perAccount: signInLimits.customerAccount,
      perAddress: signInLimits.customerAddress,
    },
    auth: auth.any,
    storefrontUrl: config.STOREFRONT_URL,
  });
  app.route('/', customers.routes);
  // Staff: dashboard users on the same session machinery (audience `staff`, its own signing keys).
  const staff = createStaffService({
    db,
    ids,
    clock,
    sessions: staffSessionsFrom(
      createSessions({
        db,
        clock,
        keys: sessionsModule.keys,
        issuer: config.SESSION_ISSUER,
        accessTtlSeconds: config.STAFF_ACCESS_TTL_SECONDS,
        refreshTtlSeconds: config.STAFF_REFRESH_TTL_SECONDS,
      }),
      createPasswordHasher({ N: config.PASSWORD_SCRYPT_COST, r: 8, p: 1 }),
    ),
    stores,
    enqueueEmail: (tx, message) => mail.enqueueEmail(tx, message),
    publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
  });
  app.route(
    '/',
    staffRoutes({
      staff,
      secret: auth.secret,
      root: requireRoot(config.CROWDSTART_ROOT_TOKEN),
      limited: rateLimit(signInLimits.staffAddress),
    }),
  );
  app.route('/', storeApiKeysRoutes({ stores, secret: auth.secret }));
  const checkout = createCheckoutModule({
    customerOf: (storeId, token) => customers.service.authenticate(storeId, token),
    db,
    clock,
    logger,
    carts: cart.service,
    loadPricingContext: pricing.loadPricingContext,
    orders: orders.service,
    gateways: payments.gateways,
    stores,
    auth: auth.any,
    afterGatewayAnswer:
      config.CROWDSTART_FAULT === 'crash_after_authorize'
        ? () => process.kill(process.pid, 'SIGKILL')
        : undefined,
  });
  app.route('/', checkout.routes);

  // Funnel events from storefronts: append-only, one insert per batch.
  const analytics = createAnalyticsModule({ db, ids, clock, resolveKey, limited });
  app.route('/', analytics.routes);
  app.route('/', reportsModule.routes);
  tasks.push(...reportsModule.tasks);

  mountOpenApi(app, apiDocument);

  // The merchant dashboard at /admin (a single page app on the staff API), bundled in memory on first use.
  app.route('/', adminRoutes({ build: buildAdminAssets }));

  // The storefront at `/`, after every API route: pages built in memory from this app's own API (in-process).
  const storefront = createStorefrontBuilder({
    fetch: (request) => app.fetch(request, IN_PROCESS),
    logger,
    name: config.STOREFRONT_NAME,
    pollMs: config.STOREFRONT_POLL_MS,
  });
  stoppers.push(storefront.stop);
  let storefrontReady = false;
  app.route('/', storefrontRoutes({ files: storefront.served, ready: () => storefrontReady }));
  const storefrontFast = storefrontFastPath(storefront.served);

  const worker = createWorker({ tasks, logger, metrics, pollMs: config.WORKER_POLL_MS });

  return {
    app,
    deps: {
      config,
      db,
      database,
      logger,
      clock,
      ids,
      metrics,
      redis,
      stores,
      auth,
      sessionKeys: sessionsModule.keys,
      availability: getAvailability,
      stockState: stockStateQuery,
      stock: inventory.stock,
      loadPricingContext: pricing.loadPricingContext,
      cachedVariantsForSale: catalog.cachedVariantsForSale,
    },
    /** The event log: `subscribe` consumers before `start`; `relayOnce`/`drain`/`backlog` for operations and tests. */
    events: {
      subscribe: events.subscribe,
      relayOnce: events.relayOnce,
      drain: events.drain,
      backlog: events.backlog,
      refreshBacklogMetrics: events.refreshBacklogMetrics,
      append: events.append,
    },
    /** Webhook endpoints and delivery (operations and tests). */
    webhooks: webhooks.service,
    /** The catalog's change feed and cache figures (operations and tests). */
    catalog: { pollChanges: catalog.pollChanges, cacheStats: catalog.cacheStats },
    /** Storefront files and cached product reads, answered before the router. */
    fastPath: (req: IncomingMessage, res: ServerResponse) => storefrontFast(req, res) || fastPath(req, res),
    worker,
    /** The storefront's builder: `configureStorefront` gives it keys when the environment did not. */
    storefront,
    async configureStorefront(keys: { publishableKey: string; secretKey?: string }) {
      await storefront.configure(keys);
      storefrontReady = true;
    },
    /** Mail for other modules: the mailer port, and `enqueueEmail(tx, …)` to send in the worker after commit. */
    mail: {
      mailer,
      enqueueEmail: mail.enqueueEmail,
      consumer: mail.consumer,
      sendDue: mail.sendDue,
      deleteExpired: mail.deleteExpired,
    },
    /** Staff accounts (the CLI's `staff create-owner`, the first start's demo owner link). */
    staff,
    /** Bulk imports and exports (the CLI's `import`/`export`; tests run jobs by hand). */
    bulk: bulk.service,
    /** Analytics rollups and reports (the worker's task; tests run it by hand). */
    reports: reportsModule,
    async start(opts: { worker: boolean }) {
      for (const s of starters) await s();
      if (opts.worker) worker.start();
      if (config.STOREFRONT_PUBLISHABLE_KEY) {
        await this.configureStorefront({
          publishableKey: config.STOREFRONT_PUBLISHABLE_KEY,
          secretKey: config.STOREFRONT_SECRET_KEY,
        });
      }
    },
    beginShutdown() {
      shuttingDown = true;
    },
    async close() {
      shuttingDown = true;
      await worker.stop();
      for (const s of stoppers.reverse()) await s();
      if (redis) redis.disconnect();
      logger.flush();
    },
  };
}

export type App = ReturnType<typeof createApp>;
