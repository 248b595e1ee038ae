import { createClient } from '../../packages/sdk/src/index.ts';
import { formatMoney } from '../money.ts';

/** The browser's client, configured from the page's meta tags; the cart and session live in localStorage. */
const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
export const shop = createClient({
  key: meta('crowdstart-key'),
  baseUrl: meta('crowdstart-api'),
  storage: localStorage,
});

const COUNT = 'crowdstart.cart_count';

/** Shows the cart's item count in the header (from storage: no request on page load). */
export function showCount(count?: number) {
  if (count !== undefined) localStorage.setItem(COUNT, String(count));
  const n = localStorage.getItem(COUNT) ?? '0';
  for (const el of document.querySelectorAll<HTMLElement>('[data-cart-count]')) {
    el.textContent = n;
    el.setAttribute('aria-label', `${n} item${n === '1' ? '' : 's'} in cart`);
  }
}

export const countOf = (cart: { lines: { quantity: number }[] } | null) =>
  cart ? cart.lines.reduce((s, l) => s + l.quantity, 0) : 0;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for the markup the islands build. */
export const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);
export const money = formatMoney;

export function island(): HTMLElement | null {
  return document.querySelector<HTMLElement>('[data-island]');
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : 'Something went wrong. Please try again.';
}

showCount();
