import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, type Tx } from '../../shared/db.ts';
import { type AuthContext, actorOf } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { BulkCreateOptions, BulkProductInput } from '../catalog/index.ts';
import * as repo from './bulk.repo.ts';
import {
  type ExportOrder,
  type ExportProduct,
  type ImportProduct,
  MAX_ERRORS,
  ordersCsvHeader,
  ordersToCsv,
  parseShopifyProducts,
  productsCsvHeader,
  productsToCsv,
  type RowError,
} from './bulk.rules.ts';
import type { BulkJobRow, BulkKind } from './bulk.tables.ts';

/** A worker that dies this many times on one job (lease lapsed each time) fails it for good. */
export const MAX_ATTEMPTS = 3;

export interface BulkPorts {
  /** The catalog's bulk create (one transaction; `beforeCommit` runs last inside it). */
  createProductsInBulk: (
    storeId: string,
    products: BulkProductInput[],
    options: Omit<BulkCreateOptions, 'setStock'>,
  ) => Promise<{ products: number; variants: number }>;
  /** A page of the store's products as the admin API renders them (all statuses), in id order. */
  listProducts: (args: {
    storeId: string;
    limit: number;
    cursor?: string;
  }) => Promise<{ data: ExportProduct[]; next_cursor: string | null }>;
  /** Orders of a store and mode, newest first, before `beforeId`; `limit + 1` rows tell whether more follow. */
  listOrders: (args: {
    storeId: string;
    livemode: boolean;
    beforeId?: string;
    limit: number;
  }) => Promise<ExportOrder[]>;
}

export function serializeJob(job: BulkJobRow, live?: { done: number; total: number }) {
  const isExport = job.kind !== 'import_products';
  return {
    id: job.id,
    object: 'bulk_job' as const,
    kind: job.kind,
    status: job.status,
    livemode: job.livemode,
    progress: live ?? { done: job.progressDone, total: job.progressTotal },
    errors: job.errors,
    result: job.result ?? null,
    file_name: job.fileName,
    file_url: isExport && job.status === 'succeeded' ? `/v1/bulk/jobs/${job.id}/file` : null,
    attempts: job.attempts,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
  };
}

export type BulkJobJson = ReturnType<typeof serializeJob>;

/** The job ran out of its lease and another worker took it over: this attempt's writes must roll back. */
class LeaseLost extends Error {}

export function createBulkService(deps: {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  ports: BulkPorts;
  /**
   * Whether progress may be written on another connection while the import transaction is open (PostgreSQL);
   * PGlite has one connection, so there the progress of a running import is known to this process only.
   */
  progressOutsideTx: boolean;
  leaseMs: number;
}) {
  const { db, clock, logger, ports } = deps;
  /** Progress of the jobs this process is running, newer than what the job row may show. */
  const live = new Map<string, { job: BulkJobRow; done: number; total: number }>();
  const leaseUntil = () => new Date(clock.now().getTime() + deps.leaseMs);

  async function mustFind(storeId: string, id: string) {
    const job = await repo.findJob(db, storeId, id);
    if (!job) throw new AppError('BULK_JOB_NOT_FOUND', `No bulk job ${id}.`, { param: 'id' });
    return job;
  }

  const json = (job: BulkJobRow) => {
    const l = job.status === 'running' ? live.get(job.id) : undefined;
    return serializeJob(job, l && { done: l.done, total: l.total });
  };

  async function progress(job: BulkJobRow, done: number, total: number) {
    live.set(job.id, { job, done, total });
    if (deps.progressOutsideTx) {
      await repo.recordProgress(db, job, { done, total, now: clock.now(), leaseUntil: leaseUntil() });
    }
  }

  async function finish(
    job: BulkJobRow,
    outcome: Omit<Parameters<typeof repo.finishJob>[2], 'now'>,
    tx: Executor = db,
  ) {
    const ok = await repo.finishJob(tx, job, { ...outcome, now: clock.now() });
    if (!ok) throw new LeaseLost(`bulk job ${job.id} was taken over by another worker`);
  }

  // ------------------------------------------------------------------------------------------ import

  function toCatalogInput(p: ImportProduct): BulkProductInput {
    return {
      title: p.title,
      slug: p.handle,
      description: p.description,
      status: p.status,
      tags: p.tags,
      metadata: p.metadata,
      images: p.images,
      options: p.options,
      variants: p.variants.map((v) => ({
        sku: v.sku,
        price: v.price,
        compare_at_price: v.compareAtPrice,
        option_values: v.optionValues,
        weight_grams: v.weightGrams,
        track_inventory: v.trackInventory,
        allow_backorder: v.allowBackorder,
        on_hand: v.onHand,
      })),
    };
  }

  /** Handles and SKUs the store already has: a conflict on the line that asks for them (nothing is updated). */
  async function conflicts(storeId: string, products: ImportProduct[]): Promise<RowError[]> {
    const errors: RowError[] = [];
    const slugs = await repo.takenSlugs(
      db,
      storeId,
      products.map((p) => p.handle),
    );
    const skus = await repo.takenSkus(
      db,
      storeId,
      products.flatMap((p) => p.variants.map((v) => v.sku)),
    );
    for (const p of products) {
      if (slugs.has(p.handle)) {
        errors.push({
          line: p.line,
          field: 'Handle',
          message: `A product with handle "${p.handle}" already exists in the store.`,
        });
      }
      for (const v of p.variants) {
        if (skus.has(v.sku)) {
          errors.push({
            line: v.line,
            field: 'Variant SKU',
            message: `SKU "${v.sku}" is already used in the store.`,
          });
        }
      }
    }
    return errors.sort((a, b) => a.line - b.line).slice(0, MAX_ERRORS);
  }

  async function runImport(job: BulkJobRow) {
    const csv = (await repo.readFile(db, job.id, 'input')) ?? '';
    const currency = await repo.storeCurrency(db, job.storeId);
    const parsed = parseShopifyProducts(csv, currency);
    const errors = parsed.errors.length ? parsed.errors : await conflicts(job.storeId, parsed.products);
    if (errors.length) {
      await finish(job, { status: 'failed', errors, done: 0, total: parsed.rows });
      return;
    }
    const total = parsed.rows;
    await progress(job, 0, total);
    // Rows written after each chunk of products: the CSV rows of those products.
    const rowsBefore: number[] = [0];
    for (const p of parsed.products) rowsBefore.push(rowsBefore[rowsBefore.length - 1]! + p.rows);
    try {
      const result = await ports.createProductsInBulk(job.storeId, parsed.products.map(toCatalogInput), {
        actor: job.createdBy,
        onProgress: (written) => progress(job, rowsBefore[written]!, total),
        beforeCommit: (tx: Tx) =>
          finish(
            job,
            { status: 'succeeded', errors: [], result: countsOf(parsed.products), done: total, total },
            tx,
          ),
      });
      logger.info({ job: job.id, ...result }, 'bulk import done');
    } catch (e) {
      // Another writer took a handle or SKU between the check and the write: the import as a whole is refused.
      if (e instanceof AppError && (e.code === 'SLUG_TAKEN' || e.code === 'SKU_TAKEN')) {
        await finish(job, {
          status: 'failed',
          errors: [
            { line: null, field: e.code === 'SLUG_TAKEN' ? 'Handle' : 'Variant SKU', message: e.message },
          ],
          done: 0,
          total,
        });
        return;
      }
      throw e;
    }
  }

  const countsOf = (products: ImportProduct[]) => ({
    products_created: products.length,
    variants_created: products.reduce((n, p) => n + p.variants.length, 0),
  });

  // ------------------------------------------------------------------------------------------ exports

  async function runProductsExport(job: BulkJobRow) {
    const total = await repo.countProducts(db, job.storeId);
    const currency = await repo.storeCurrency(db, job.storeId);
    const parts = [productsCsvHeader()];
    let done = 0;
    let cursor: string | undefined;
    await progress(job, 0, total);
    do {
      const page = await ports.listProducts({ storeId: job.storeId, limit: 100, cursor });
      parts.push(productsToCsv(page.data, currency));
      done += page.data.length;
      await progress(job, Math.min(done, total), Math.max(done, total));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    await saveExport(job, parts.join(''), { products: done }, done);
  }

  async function runOrdersExport(job: BulkJobRow) {
    const parts = [ordersCsvHeader()];
    let done = 0;
    let beforeId: string | undefined;
    for (;;) {
      const page = await ports.listOrders({
        storeId: job.storeId,
        livemode: job.livemode,
        beforeId,
        limit: 200,
      });
      const batch = page.slice(0, 200);
      parts.push(ordersToCsv(batch));
      done += batch.length;
      await progress(job, done, done + (page.length > 200 ? 1 : 0));
      if (page.length <= 200) break;
      beforeId = batch[batch.length - 1]!.id;
    }
    await saveExport(job, parts.join(''), { orders: done }, done);
  }

  async function saveExport(job: BulkJobRow, csv: string, result: Record<string, number>, done: number) {
    await inTransaction(db, async (tx) => {
      await repo.writeFile(tx, job.id, 'output', csv);
      await finish(
        job,
        {
          status: 'succeeded',
          errors: [],
          result: { ...result, bytes: Buffer.byteLength(csv) },
          done,
          total: done,
        },
        tx,
      );
    });
  }

  // ------------------------------------------------------------------------------------------ running

  async function run(job: BulkJobRow) {
    live.set(job.id, { job, done: job.progressDone, total: job.progressTotal });
    try {
      switch (job.kind) {
        case 'import_products':
          await runImport(job);
          break;
        case 'export_products':
          await runProductsExport(job);
          break;
        case 'export_orders':
          await runOrdersExport(job);
          break;
      }
    } catch (e) {
      if (e instanceof LeaseLost) {
        logger.warn({ job: job.id }, 'bulk job lease lost; another worker runs it');
        return;
      }
      logger.error({ err: e, job: job.id, attempt: job.attempts }, 'bulk job failed');
      // Queued again for another attempt (a database that went away), failed for good after the last one.
      const last = job.attempts >= MAX_ATTEMPTS;
      await finish(job, {
        status: last ? 'failed' : 'queued',
        errors: last
          ? [{ line: null, field: null, message: 'The job failed unexpectedly; see the server log.' }]
          : undefined,
      }).catch(() => {});
    } finally {
      live.delete(job.id);
    }
  }

  return {
    async createImport(input: { auth: AuthContext; csv: string; fileName?: string | null }) {
      if (input.csv.trim() === '') {
        throw new AppError('VALIDATION_FAILED', 'The CSV is empty.', { param: 'csv' });
      }
      const job = await inTransaction(db, (tx) =>
        repo.insertJob(
          tx,
          {
            id: deps.ids('job'),
            storeId: input.auth.storeId,
            livemode: input.auth.mode === 'live',
            kind: 'import_products',
            fileName: input.fileName ?? null,
            createdBy: actorOf(input.auth),
          },
          input.csv,
        ),
      );
      return json(job);
    },

    async createExport(input: { auth: AuthContext; kind: 'products' | 'orders' }) {
      const kind: BulkKind = input.kind === 'products' ? 'export_products' : 'export_orders';
      const job = await repo.insertJob(db, {
        id: deps.ids('job'),
        storeId: input.auth.storeId,
        livemode: input.auth.mode === 'live',
        kind,
        fileName: `${input.kind}.csv`,
        createdBy: actorOf(input.auth),
      });
      return json(job);
    },

    /**
     * A job this process runs is answered from memory: on PGlite (one connection) a read would wait for the
     * import's transaction, and its progress is fresher here anyway.
     */
    async get(storeId: string, id: string) {
      const l = live.get(id);
      if (l && l.job.storeId === storeId) return serializeJob(l.job, { done: l.done, total: l.total });
      return json(await mustFind(storeId, id));
    },

    async list(args: { storeId: string; beforeId: string | null; limit: number }) {
      const rows = await repo.listJobs(db, args);
      return rows.map(json);
    },

    async file(storeId: string, id: string): Promise<{ name: string; csv: string }> {
      const job = await mustFind(storeId, id);
      const csv =
        job.kind !== 'import_products' &&
        job.status === 'succeeded' &&
        (await repo.readFile(db, id, 'output'));
      if (csv === false || csv === undefined) {
        throw new AppError(
          'BULK_FILE_NOT_READY',
          job.kind === 'import_products'
            ? 'An import has no file to download.'
            : `The export is ${job.status}; its file is ready once it has succeeded.`,
          { param: 'id' },
        );
      }
      return { name: job.fileName ?? `${job.id}.csv`, csv };
    },

    /** The worker's task: runs due jobs one after the other (each claimed with a lease) until none is left. */
    async runDue(limit = 10): Promise<number> {
      await repo.failAbandoned(db, { now: clock.now(), maxAttempts: MAX_ATTEMPTS });
      let ran = 0;
      for (; ran < limit; ran++) {
        const job = await repo.claimJob(db, { now: clock.now(), leaseUntil: leaseUntil() });
        if (!job) break;
        await run(job);
      }
      return ran;
    },

    /** Runs one job now if it is due (the CLI's own job); false when another worker has it. */
    async runJob(id: string): Promise<boolean> {
      const job = await repo.claimJob(db, { now: clock.now(), leaseUntil: leaseUntil(), id });
      if (!job) return false;
      await run(job);
      return true;
    },
  };
}

export type BulkService = ReturnType<typeof createBulkService>;
