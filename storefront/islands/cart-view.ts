import { esc, money } from './shop.ts';

/** The totals block of a cart or an order (amounts in minor units). */
export function totals(c: {
  currency: string;
  subtotal: number;
  discount_total?: number;
  shipping_total?: number;
  tax_total?: number;
  total: number;
}): string {
  const row = (label: string, v: number | undefined, cls = '') =>
    v === undefined
      ? ''
      : `<div class="${cls}"><span>${label}</span><span>${esc(money(v, c.currency))}</span></div>`;
  return `<div class="totals">${row('Subtotal', c.subtotal)}${c.discount_total ? row('Discount', -c.discount_total) : ''}${row('Shipping', c.shipping_total)}${row('Tax', c.tax_total)}${row('Total', c.total, 'grand')}</div>`;
}
