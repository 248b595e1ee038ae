import { totals } from './cart-view.ts';
import { errorText, esc, island, money, shop } from './shop.ts';

const root = island();
const id = new URLSearchParams(location.search).get('id') ?? '';
const secret = sessionStorage.getItem(`crowdstart.order.${id}`);

async function show() {
  if (!root) return;
  if (!id || !secret) {
    root.innerHTML =
      '<p>This order can be shown only in the browser that placed it. Check your email for the receipt.</p>';
    return;
  }
  try {
    const order = await shop.orders.getPublic(id, secret);
    const lines = order.lines ?? [];
    root.innerHTML = `<p>Order <strong data-order-id>${esc(order.id)}</strong> is <strong>${esc(order.payment_status ?? order.status)}</strong>. A receipt goes to ${esc(order.email)}.</p>
<table><caption class="visually-hidden">Items ordered</caption><thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Total</th></tr></thead><tbody>
${lines.map((l: any) => `<tr><td>${esc(l.title ?? l.product_title)}</td><td class="num">${esc(l.quantity)}</td><td class="num">${esc(money(l.total ?? l.subtotal, order.currency))}</td></tr>`).join('')}
</tbody></table>${totals(order)}<p><a class="button" href="/">Continue shopping</a></p>`;
  } catch (e) {
    root.innerHTML = `<p class="alert" role="alert">${esc(errorText(e))}</p>`;
  }
}
void show();
