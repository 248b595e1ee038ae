/** The API's error body: `{ error: { type, code, message, param?, request_id, ...extra } }`. */
export interface ApiErrorBody {
  type?: string;
  code?: string;
  message?: string;
  param?: string;
  request_id?: string;
  /** Checkout declines: the gateway's reason and the order that was not paid. */
  decline_code?: string | null;
  order_id?: string;
  [extra: string]: unknown;
}

/**
 * Every failure of an SDK call: an API error (`status` ≥ 400, `code` from the API's catalogue), a network failure
 * (`status` 0, code `NETWORK_ERROR`) or an abort (`status` 0, code `ABORTED`).
 */
export class CrowdstartError extends Error {
  override readonly name = 'CrowdstartError';
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly param: string | undefined;
  readonly requestId: string | undefined;
  /** The whole error object of the response, with fields such as `decline_code` and `order_id`. */
  readonly body: ApiErrorBody;

  constructor(status: number, body: ApiErrorBody, requestId?: string, options?: { cause?: unknown }) {
    super(body.message ?? `Request failed (${status})`, options);
    this.status = status;
    this.body = body;
    this.code = body.code ?? (status ? `HTTP_${status}` : 'NETWORK_ERROR');
    this.type = body.type ?? (status ? 'api_error' : 'connection_error');
    this.param = body.param;
    this.requestId = body.request_id ?? requestId;
  }
}
