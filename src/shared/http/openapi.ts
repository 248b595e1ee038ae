import { OpenAPIHono, z } from '@hono/zod-openapi';
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

export const ErrorSchema = z
  .object({
    error: z.object({
      type: z.string(),
      code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
      message: z.string(),
      param: z.string().optional(),
      request_id: z.string(),
    }),
  })
  .openapi('Error');

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
