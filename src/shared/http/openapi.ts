import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../app-error.ts';
import { ERROR_CODES } from '../error-codes.ts';
import type { AppEnv } from './env.ts';
import { validationError } from './errors.ts';

/** A router whose validation failures come out in the product's error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, _c) => {
      if (!result.success) throw validationError(result.error as never, result.target);
    },
  });
}

const ERROR_TYPES = [...new Set(Object.values(ERROR_CODES).map((e) => e.type))] as [string, ...string[]];

/**
 * The one error shape. Besides `type`, `code`, `message`, `param` and `request_id`, some codes carry
 * fields a client acts on (every `extra:` given to an AppError); they are listed here so typed clients see them.
 */
export const ErrorSchema = z
  .object({
    error: z.object({
      type: z.enum(ERROR_TYPES).openapi({ description: 'The family of the error.' }),
      code: z
        .enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]])
        .openapi({ description: 'A code from the catalogue (docs/errors.md); branch on this.' }),
      message: z.string().openapi({ description: 'For people: may change between versions.' }),
      param: z
        .string()
        .optional()
        .openapi({ description: 'The parameter, field (dotted path) or header at fault.' }),
      decline_code: z
        .string()
        .nullable()
        .optional()
        .openapi({ description: 'PAYMENT_DECLINED / PAYMENT_FAILED: why the gateway refused the card.' }),
      order_id: z
        .string()
        .optional()
        .openapi({ description: 'Checkout and payment errors: the order that was created (and not paid).' }),
      refund_id: z.string().optional().openapi({ description: 'The refund concerned, when one exists.' }),
      refundable: z
        .number()
        .int()
        .optional()
        .openapi({ description: 'REFUND_EXCEEDS_CAPTURED: what can still be refunded, in minor units.' }),
      current_version: z
        .number()
        .int()
        .optional()
        .openapi({ description: 'VERSION_CONFLICT: the version to read again and retry with.' }),
      from: z.string().optional().openapi({ description: 'INVALID_TRANSITION: the current status.' }),
      to: z.string().optional().openapi({ description: 'INVALID_TRANSITION: the status asked for.' }),
      reason: z
        .string()
        .optional()
        .openapi({ description: 'Why a coupon does not apply (e.g. `min_subtotal`).' }),
      variant_id: z.string().optional().openapi({ description: 'Stock errors: the variant concerned.' }),
      available: z
        .number()
        .int()
        .optional()
        .openapi({ description: 'INSUFFICIENT_STOCK: how many can be sold now.' }),
      on_hand: z
        .number()
        .int()
        .optional()
        .openapi({ description: 'Stock adjustments: the current on-hand count.' }),
      problems: z
        .array(z.object({ code: z.string(), message: z.string(), variant_id: z.string().optional() }))
        .optional()
        .openapi({ description: 'Checkout: every problem found in the cart.' }),
      request_id: z.string().openapi({ description: 'Quote it to support; it is in the logs.' }),
    }),
  })
  .openapi('Error', {
    example: {
      error: {
        type: 'payment_error',
        code: 'PAYMENT_DECLINED',
        message: 'The card was declined.',
        decline_code: 'card_declined',
        order_id: 'ord_01jb8x6k2m3n4p5q6r7s8t9v0w',
        request_id: 'req_5f2c9a1e7b3d4c6a8e0f1a2b',
      },
    },
  });

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The error responses every authenticated route may give, for the OpenAPI document. */
export const commonErrors = {
  400: errorResponse('Invalid request'),
  401: errorResponse('Missing or invalid API key'),
  403: errorResponse('Key not allowed for this route'),
  404: errorResponse('Not found'),
  429: errorResponse('Rate limited'),
} as const;

/** A required JSON body: without `required`, a body of another content type would skip validation. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { content: { 'application/json': { schema } }, required: true, description };
}

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

type Security = Record<string, string[]>[];
export const SECRET_KEY: Security = [{ secretKey: [] }];
export const PUBLISHABLE_KEY: Security = [{ publishableKey: [] }];
export const ANY_KEY: Security = [{ publishableKey: [] }, { secretKey: [] }];
export const ROOT_TOKEN: Security = [{ rootToken: [] }];

/** The part of an OpenAPI document that says which query parameters each operation takes. */
export interface QueryParameterSource {
  paths: Record<
    string,
    Record<string, { parameters?: readonly { name?: string; in?: string }[] } | undefined>
  >;
}

interface Template {
  segments: (string | null)[]; // null: a `{param}` segment
  allowed: Map<string, ReadonlySet<string>>; // method → query parameter names
}

/**
 * Refuses query parameters an operation does not declare, like unknown body fields: 400 VALIDATION_FAILED
 * naming the parameter. The declared names come from the OpenAPI document (read once, on the first request,
 * when every route is mounted), and the request is matched to its operation the way OpenAPI says — literal
 * segments before templated ones — so a route that steps aside for a literal path (the catalog's product
 * route for `/v1/products/search`) does not hide the other's parameters.
 */
export function refuseUnknownQuery(document: () => QueryParameterSource): MiddlewareHandler<AppEnv> {
  let templates: Template[] | null = null;
  const build = (): Template[] =>
    Object.entries(document().paths)
      .map(([path, item]) => ({
        segments: path
          .split('/')
          .slice(1)
          .map((s) => (s.startsWith('{') ? null : s)),
        allowed: new Map(
          Object.entries(item).map(([method, op]) => [
            method.toUpperCase(),
            new Set((op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name ?? '')),
          ]),
        ),
      }))
      // Most specific first: at the first segment where two differ, a literal wins over a template.
      .sort((a, b) => {
        for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
          const x = a.segments[i] === null ? 1 : 0;
          const y = b.segments[i] === null ? 1 : 0;
          if (x !== y) return x - y;
        }
        return 0;
      });
  return async (c, next) => {
    const url = c.req.url;
    const q = url.indexOf('?');
    if (q === -1 || q === url.length - 1) return next();
    templates ??= build();
    const segments = c.req.path.split('/').slice(1);
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const match = templates.find(
      (t) =>
        t.allowed.has(method) &&
        t.segments.length === segments.length &&
        t.segments.every((s, i) => s === null || s === segments[i]),
    );
    const allowed = match?.allowed.get(method);
    if (allowed) {
      for (const name of new URLSearchParams(url.slice(q + 1)).keys()) {
        if (!allowed.has(name)) {
          throw new AppError('VALIDATION_FAILED', `Unknown parameter: ${name}.`, { param: name });
        }
      }
    }
    return next();
  };
}
