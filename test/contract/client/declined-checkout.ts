/**
 * A storefront's checkout written only against the types generated from /v1/openapi.json (openapi-typescript)
 * and the openapi-fetch client: cart → add a line → checkout with a card, and the typed 402 it may answer.
 * The contract test compiles it with `tsc --strict` (it has no casts) and runs it against a real server.
 */
import createClient from 'openapi-fetch';
import type { paths } from './generated/api.ts';

export interface CheckoutOutcome {
  status: number;
  orderId: string;
  code: string | null;
  declineCode: string | null;
}

export async function checkoutWithCard(o: {
  baseUrl: string;
  publishableKey: string;
  variantId: string;
  cardNumber: string;
}): Promise<CheckoutOutcome> {
  const api = createClient<paths>({
    baseUrl: o.baseUrl,
    headers: { Authorization: `Bearer ${o.publishableKey}` },
  });

  const cart = await api.POST('/v1/carts', {
    params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
    body: { currency: 'USD', email: 'shopper@example.com' },
  });
  if (cart.error) throw new Error(`create cart: ${cart.error.error.code} ${cart.error.error.message}`);

  const added = await api.POST('/v1/carts/current/lines', {
    params: { header: { 'x-cart-token': cart.data.token, 'Idempotency-Key': crypto.randomUUID() } },
    body: { variant_id: o.variantId, quantity: 1 },
  });
  if (added.error) throw new Error(`add line: ${added.error.error.code} ${added.error.error.message}`);
  const line = added.data.lines[0];
  if (line?.quantity !== 1) throw new Error('the cart does not hold the line');

  const paid = await api.POST('/v1/checkout', {
    params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
    body: {
      cart_token: added.data.token,
      payment: { card: { number: o.cardNumber, exp_month: 12, exp_year: 2030, cvc: '123' } },
    },
  });
  if (paid.error) {
    const e = paid.error.error;
    if (e.code === 'PAYMENT_DECLINED' || e.code === 'PAYMENT_FAILED') {
      // A decline carries the order that was not paid and the gateway's reason.
      return {
        status: paid.response.status,
        orderId: e.order_id ?? '',
        code: e.code,
        declineCode: e.decline_code ?? null,
      };
    }
    throw new Error(`checkout: ${e.code} ${e.message}`);
  }
  return { status: paid.response.status, orderId: paid.data.order.id, code: null, declineCode: null };
}
