import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import { cursorId, idList, idParams, pageQuery } from '../../shared/http/crud.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import {
  commonErrors,
  createRouter,
  ErrorSchema,
  jsonBody,
  jsonContent,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import type { BulkService } from './bulk.service.ts';
import { BULK_KINDS, BULK_STATUSES } from './bulk.tables.ts';

const tags = ['Bulk'];
const security = SECRET_KEY;

/** The import path takes `text/csv` and a body up to BULK_IMPORT_MAX_BYTES (src/app.ts lets it through). */
export const BULK_IMPORTS_PATH = '/v1/bulk/imports';
export const BULK_IMPORT_MAX_BYTES = 50 * 1024 * 1024;

const BulkJobSchema = z
  .object({
    id: z.string(),
    object: z.literal('bulk_job'),
    kind: z.enum(BULK_KINDS),
    status: z.enum(BULK_STATUSES),
    livemode: z.boolean(),
    progress: z.object({
      done: z
        .number()
        .int()
        .openapi({ description: 'Rows written (imports: CSV rows; exports: products or orders).' }),
      total: z.number().int(),
    }),
    errors: z
      .array(
        z.object({
          line: z
            .number()
            .int()
            .nullable()
            .openapi({ description: 'The 1-based line of the file where the row starts.' }),
          field: z.string().nullable().openapi({ description: 'The CSV column, e.g. `Variant Price`.' }),
          message: z.string(),
        }),
      )
      .openapi({
        description: 'Why the job failed; for an import, every bad row (up to 200), and nothing was written.',
      }),
    result: z.record(z.string(), z.number()).nullable().openapi({
      description:
        'Counts once succeeded: `products_created`, `variants_created`; or `products`/`orders` and `bytes`.',
    }),
    file_name: z.string().nullable(),
    file_url: z.string().nullable().openapi({ description: 'Where a succeeded export downloads (CSV).' }),
    attempts: z.number().int(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi('BulkJob');

const ImportJson = z.strictObject({
  kind: z.literal('products').default('products'),
  csv: z.string().min(1).openapi({ description: 'A Shopify product CSV export.' }),
  file_name: z.string().trim().min(1).max(200).optional(),
});

const ExportBody = z.strictObject({
  kind: z.enum(['products', 'orders']).openapi({
    description:
      '`products`: Shopify product CSV (imports back); `orders`: one row per order line, of the key’s mode.',
  }),
});

const accepted = jsonContent(BulkJobSchema, 'The job, queued: poll it until `succeeded` or `failed`');
const errors = { ...commonErrors, 413: jsonContent(ErrorSchema, 'The CSV is larger than 50 MB') };

const importRoute = createRoute({
  method: 'post',
  path: BULK_IMPORTS_PATH,
  tags,
  summary: 'Import products from a Shopify product CSV, in the worker',
  description:
    'Send the CSV as the body (`Content-Type: text/csv`, up to 50 MB) or as JSON `{ "csv": "…" }`. The whole file ' +
    'is checked before anything is written: one bad row fails the job with every bad row and its line, and no ' +
    'product is created. Handles or SKUs the store already has are such errors (nothing is updated).',
  security,
  request: {
    body: {
      content: {
        'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
        'application/json': { schema: ImportJson },
      },
      // Not `required`: the JSON validator then runs for JSON bodies only, and a CSV body reaches the handler.
      required: false,
    },
  },
  responses: { 202: accepted, ...errors },
});

const exportRoute = createRoute({
  method: 'post',
  path: '/v1/bulk/exports',
  tags,
  summary: 'Export products or orders as CSV, in the worker',
  security,
  request: { body: jsonBody(ExportBody) },
  responses: { 202: accepted, ...commonErrors },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/bulk/jobs',
  tags,
  summary: 'List bulk jobs, newest first',
  security,
  request: { query: pageQuery },
  responses: {
    200: jsonContent(
      z.object({
        object: z.literal('list'),
        data: z.array(BulkJobSchema),
        has_more: z.boolean(),
        next_cursor: z.string().nullable(),
      }),
      'Bulk jobs',
    ),
    ...commonErrors,
  },
});

const params = idParams('job', 'bulk job');

const getRoute = createRoute({
  method: 'get',
  path: '/v1/bulk/jobs/{id}',
  tags,
  summary: 'Retrieve a bulk job and its progress',
  security,
  request: { params },
  responses: { 200: jsonContent(BulkJobSchema, 'The job'), ...commonErrors },
});

const fileRoute = createRoute({
  method: 'get',
  path: '/v1/bulk/jobs/{id}/file',
  tags,
  summary: 'Download the CSV of a succeeded export',
  security,
  request: { params },
  responses: {
    200: { description: 'The CSV', content: { 'text/csv': { schema: z.string() } } },
    409: jsonContent(ErrorSchema, 'Not an export, or not succeeded yet'),
    ...commonErrors,
  },
});

export function bulkRoutes(deps: { service: BulkService; secret: readonly MiddlewareHandler<AppEnv>[] }) {
  const { service } = deps;
  const app = createRouter();
  for (const p of ['/v1/bulk/*']) app.use(p, ...deps.secret);

  app.openapi(importRoute, async (c) => {
    const type = c.req.header('content-type') ?? '';
    let csv: string;
    let fileName: string | undefined;
    if (/^text\/csv\s*(;|$)/i.test(type)) {
      csv = await c.req.text();
    } else if (/^application\/json\s*(;|$)/i.test(type)) {
      const body = c.req.valid('json') as z.infer<typeof ImportJson>;
      csv = body.csv;
      fileName = body.file_name;
    } else {
      throw new AppError('VALIDATION_FAILED', 'Send the CSV as a text/csv body, or as JSON { "csv": "…" }.', {
        param: 'csv',
      });
    }
    if (Buffer.byteLength(csv) > BULK_IMPORT_MAX_BYTES) {
      throw new AppError('PAYLOAD_TOO_LARGE', 'The CSV is larger than 50 MB.');
    }
    return c.json(await service.createImport({ auth: c.get('auth'), csv, fileName }), 202);
  });

  app.openapi(exportRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(await service.createExport({ auth: c.get('auth'), kind: body.kind }), 202);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const data = await service.list({
      storeId: c.get('auth').storeId,
      beforeId: cursorId('bulk_jobs', q.cursor),
      limit: q.limit,
    });
    return c.json(idList('bulk_jobs', data, q.limit), 200);
  });

  app.openapi(getRoute, async (c) => {
    return c.json(await service.get(c.get('auth').storeId, c.req.valid('param').id), 200);
  });

  app.openapi(fileRoute, async (c) => {
    const f = await service.file(c.get('auth').storeId, c.req.valid('param').id);
    return c.body(f.csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${f.name.replace(/[^\w.-]/g, '_')}"`,
      'Cache-Control': 'private, no-store',
    });
  });

  return app;
}
