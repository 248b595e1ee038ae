import { totals } from './cart-view.ts';
import { countOf, errorText, esc, island, money, shop, showCount } from './shop.ts';

const root = island();

function render(cart: any) {
  if (!root) return;
  showCount(countOf(cart));
  if (!cart || cart.lines.length === 0) {
    root.innerHTML = '<p>Your cart is empty.</p><p><a class="button" href="/">Continue shopping</a></p>';
    return;
  }
  const problems = (cart.problems ?? []).map((p: any) => `<li>${esc(p.message)}</li>`).join('');
  root.innerHTML = `${problems ? `<ul class="alert" role="alert">${problems}</ul>` : ''}
<table><caption class="visually-hidden">Items in your cart</caption><thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col" class="num">Total</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead><tbody>
${cart.lines
  .map(
    (
      l: any,
    ) => `<tr><td><a href="/products/${esc(l.product_slug)}">${esc(l.product_title)}</a><br><span class="muted">${esc(l.variant_title)} · ${esc(money(l.unit_price, cart.currency))}</span>${l.available ? '' : '<br><span class="oos">No longer available</span>'}</td>
<td><label class="visually-hidden" for="q-${esc(l.variant_id)}">Quantity of ${esc(l.title)}</label><input type="number" id="q-${esc(l.variant_id)}" data-qty="${esc(l.variant_id)}" min="0" max="99" value="${l.quantity}" style="width:5rem"></td>
<td class="num">${esc(money(l.total, cart.currency))}</td>
<td><button type="button" class="secondary" data-remove="${esc(l.variant_id)}">Remove<span class="visually-hidden"> ${esc(l.title)}</span></button></td></tr>`,
  )
  .join('')}
</tbody></table>${totals(cart)}
<p class="status" data-status role="status"></p>
<p style="text-align:right"><a class="button" href="/checkout">Check out</a></p>`;
}

async function run(op: () => Promise<any>) {
  try {
    render(await op());
  } catch (e) {
    const s = root?.querySelector('[data-status]');
    if (s) {
      s.className = 'status bad';
      s.textContent = errorText(e);
    }
  }
}

if (root) {
  root.addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    const id = input.dataset.qty;
    if (id) void run(() => shop.cart.update(id, Math.max(0, Number(input.value) || 0)));
  });
  root.addEventListener('click', (e) => {
    const id = (e.target as HTMLElement).closest<HTMLElement>('[data-remove]')?.dataset.remove;
    if (id) void run(() => shop.cart.remove(id));
  });
  shop.track('cart_viewed', {});
  void run(async () => {
    try {
      return await shop.cart.get();
    } catch {
      // An expired or foreign token is a fresh start, not an error page.
      shop.cart.clear();
      return null;
    }
  });
}
