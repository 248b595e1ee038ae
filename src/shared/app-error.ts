import { ERROR_CODES, type ErrorCode } from './error-codes.ts';

/** The one error type of the product: a catalogued code, a message, and the parameter at fault. */
export class AppError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      param?: string;
      headers?: Record<string, string>;
      extra?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
    this.type = ERROR_CODES[code].type;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
