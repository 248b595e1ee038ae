import { AppError } from '../../shared/app-error.ts';
import { GatewayTimeoutError, GatewayUnavailableError } from '../payments/index.ts';

/** A gateway call's answer, or the transport failure that left the answer unknown. */
export type GatewayCall<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** Timeout: the call may have taken effect. Unavailable: it did not reach the gateway. */
      error: GatewayTimeoutError | GatewayUnavailableError;
    };

/**
 * The one place where a gateway's transport failures (timeout, unreachable) are told apart from its
 * answers: they come back as `{ ok: false }` for the caller to decide (leave the order pending, try again
 * later, answer 503); every other error is thrown as it is.
 */
export async function callGateway<T>(call: () => Promise<T>): Promise<GatewayCall<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (e) {
    if (e instanceof GatewayTimeoutError || e instanceof GatewayUnavailableError)
      return { ok: false, error: e };
    throw e;
  }
}

export function gatewayUnavailable(
  e: GatewayTimeoutError | GatewayUnavailableError,
  orderId: string,
): AppError {
  return new AppError(
    'GATEWAY_UNAVAILABLE',
    e instanceof GatewayTimeoutError
      ? 'The payment gateway did not answer in time; retry with the same Idempotency-Key.'
      : 'The payment gateway could not be reached; retry with the same Idempotency-Key.',
    { extra: { order_id: orderId } },
  );
}

/** A gateway call on behalf of a request the client retries: a transport failure answers 503 GATEWAY_UNAVAILABLE. */
export async function callGatewayOrFail<T>(call: () => Promise<T>, orderId: string): Promise<T> {
  const r = await callGateway(call);
  if (!r.ok) throw gatewayUnavailable(r.error, orderId);
  return r.value;
}
