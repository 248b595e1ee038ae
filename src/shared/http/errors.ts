import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { AppError } from '../app-error.ts';
import { isDatabaseUnavailable } from '../db.ts';
import { ERROR_CODES, type ErrorCode } from '../error-codes.ts';
import type { Logger } from '../logger.ts';
import type { AppEnv } from './env.ts';

export function errorBody(
  code: ErrorCode,
  message: string,
  requestId: string,
  param?: string,
  extra?: object,
) {
  return {
    error: {
      type: ERROR_CODES[code].type,
      code,
      message,
      ...(param !== undefined ? { param } : {}),
      ...extra,
      request_id: requestId,
    },
  };
}

function send(c: Context<AppEnv>, err: AppError) {
  const requestId = c.get('requestId') ?? 'unknown';
  for (const [k, v] of Object.entries(err.details.headers ?? {})) c.header(k, v);
  c.header('X-Request-Id', requestId);
  return c.json(
    errorBody(err.code, err.message, requestId, err.details.param, err.details.extra),
    err.status as ContentfulStatusCode,
  );
}

/** Turns a zod failure into a VALIDATION_FAILED error naming the first offending parameter. */
export function validationError(error: ZodError, target?: string): AppError {
  const issue = error.issues[0];
  if (!issue) return new AppError('VALIDATION_FAILED', 'Invalid request.');
  const basePath = issue.path.map(String);
  let param = basePath.join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    param = [...basePath, key].join('.');
    message = `Unknown parameter: ${param}.`;
  } else if (param) {
    message = `${param}: ${issue.message}`;
  }
  if (!param && target === 'json') {
    param = 'body';
    message = `Request body: ${issue.message}`;
  }
  return new AppError('VALIDATION_FAILED', message, { param: param || undefined });
}

function fromHttpException(e: HTTPException): AppError {
  if (e.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB.');
  if (e.status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  if (/Malformed JSON/i.test(e.message))
    return new AppError('MALFORMED_JSON', 'The request body is not valid JSON.', { param: 'body' });
  if (e.status === 401) return new AppError('AUTH_REQUIRED', e.message || 'Authentication required.');
  return new AppError('VALIDATION_FAILED', e.message || 'Invalid request.');
}

/** Seconds a client should wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export function databaseUnavailable(): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'The database is unreachable; retry shortly.', {
    headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
  });
}

export const onError =
  (logger: Logger): ErrorHandler<AppEnv> =>
  (err, c) => {
    if (err instanceof AppError) return send(c, err);
    if (err instanceof HTTPException) return send(c, fromHttpException(err));
    if ((err as { name?: string }).name === 'ZodError')
      return send(c, validationError(err as unknown as ZodError));
    if (isDatabaseUnavailable(err)) {
      logger.warn({ err, request_id: c.get('requestId') }, 'database unavailable');
      return send(c, databaseUnavailable());
    }
    logger.error({ err, request_id: c.get('requestId'), trace_id: c.get('traceId') }, 'unhandled error');
    return send(c, new AppError('INTERNAL_ERROR', 'An unexpected error occurred; it has been logged.'));
  };

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  send(c, new AppError('ROUTE_NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`));
