import { totals } from './cart-view.ts';
import { countOf, errorText, esc, island, money, shop, showCount } from './shop.ts';

const root = island();
let cart: any = null;

const field = (name: string, label: string, attrs = '') =>
  `<label>${label}<input name="${name}" id="f-${name}" ${attrs}></label>`;

function summary() {
  return `<h2>Order summary</h2><ul>${cart.lines
    .map(
      (l: any) =>
        `<li>${esc(l.quantity)} × ${esc(l.title)} <span class="muted">${esc(money(l.total, cart.currency))}</span></li>`,
    )
    .join('')}</ul>${totals(cart)}`;
}

function addressStep(message = '') {
  const a = cart.shipping_address ?? {};
  root!.innerHTML = `<div class="layout2"><form class="form" data-step="address" novalidate>
<h2>Contact and shipping address</h2>${message}
${field('email', 'Email', `type="email" autocomplete="email" required value="${esc(cart.email ?? '')}"`)}
${field('name', 'Full name', `autocomplete="name" required value="${esc(a.name ?? '')}"`)}
${field('line1', 'Address', `autocomplete="address-line1" required value="${esc(a.line1 ?? '')}"`)}
<div class="row">${field('city', 'City', `autocomplete="address-level2" required value="${esc(a.city ?? '')}"`)}${field('postal_code', 'Postal code', `autocomplete="postal-code" required value="${esc(a.postal_code ?? '')}"`)}</div>
${field('country', 'Country code (e.g. US)', `autocomplete="country" required maxlength="2" value="${esc(a.country ?? 'US')}"`)}
<p><button type="submit">Continue to payment</button></p></form><aside aria-label="Order summary">${summary()}</aside></div>`;
}

function paymentStep(message = '') {
  const options = cart.shipping_options ?? [];
  const chosen = cart.shipping?.id ?? options[0]?.id;
  root!.innerHTML = `<div class="layout2"><form class="form" data-step="pay" novalidate>
<p>Shipping to ${esc(cart.shipping_address?.name)}, ${esc(cart.shipping_address?.line1)}, ${esc(cart.shipping_address?.city)} · <button type="button" class="link" data-back>Change</button></p>
${
  options.length
    ? `<fieldset><legend>Shipping</legend>${options
        .map(
          (o: any) =>
            `<label><input type="radio" name="shipping" value="${esc(o.id)}"${o.id === chosen ? ' checked' : ''}> ${esc(o.name)} · ${esc(money(o.amount, cart.currency))}</label>`,
        )
        .join('')}</fieldset>`
    : '<p class="muted">Shipping: free</p>'
}
<h2>Card</h2>
${field('number', 'Card number', 'inputmode="numeric" autocomplete="cc-number" required placeholder="4242 4242 4242 4242"')}
<div class="row">${field('exp', 'Expiry (MM/YY)', 'autocomplete="cc-exp" required placeholder="12/30"')}${field('cvc', 'CVC', 'inputmode="numeric" autocomplete="cc-csc" required placeholder="123"')}</div>
<div data-message>${message}</div>
<p><button type="submit" data-pay>Pay ${esc(money(cart.total, cart.currency))}</button></p></form>
<aside aria-label="Order summary" data-summary>${summary()}</aside></div>`;
}

const alert = (text: string) => `<p class="alert" role="alert">${esc(text)}</p>`;

async function onAddress(form: HTMLFormElement) {
  const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
  try {
    cart = await shop.cart.setEmail(v('email'));
    cart = await shop.cart.setShippingAddress({
      name: v('name'),
      line1: v('line1'),
      city: v('city'),
      postal_code: v('postal_code'),
      country: v('country'),
    });
    // The first rate is chosen for the shopper so the totals they see are the totals they pay.
    if (!cart.shipping && cart.shipping_options?.length)
      cart = await shop.cart.setShippingRate(cart.shipping_options[0].id);
    paymentStep();
  } catch (e) {
    addressStep(alert(errorText(e)));
  }
}

async function onPay(form: HTMLFormElement) {
  const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | null)?.value.trim() ?? '';
  const button = form.querySelector<HTMLButtonElement>('[data-pay]')!;
  const message = form.querySelector<HTMLElement>('[data-message]')!;
  const [mm, yy] = v('exp')
    .split('/')
    .map((s) => Number(s.trim()));
  button.disabled = true;
  message.innerHTML = '<p role="status">Processing payment…</p>';
  try {
    const rate = v('shipping');
    if (rate && cart.shipping?.id !== rate) cart = await shop.cart.setShippingRate(rate);
    const result = await shop.checkout.complete({
      payment: {
        card: {
          number: v('number').replace(/\s+/g, ''),
          exp_month: mm || 0,
          exp_year: yy !== undefined && yy < 100 ? 2000 + yy : yy || 0,
          cvc: v('cvc'),
        },
      },
    });
    sessionStorage.setItem(`crowdstart.order.${result.order.id}`, result.order_secret);
    shop.track('order_completed', {
      order_id: result.order.id,
      value: result.order.total,
      currency: result.order.currency,
    });
    shop.cart.clear();
    showCount(0);
    location.assign(`/order?id=${encodeURIComponent(result.order.id)}`);
  } catch (e) {
    // A decline releases the stock but keeps the cart: the shopper can try another card.
    message.innerHTML = alert(errorText(e));
    button.disabled = false;
    message.querySelector<HTMLElement>('[role=alert]')?.focus();
  }
}

if (root) {
  root.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    void (form.dataset.step === 'address' ? onAddress(form) : onPay(form));
  });
  root.addEventListener('click', (e) => {
    if ((e.target as HTMLElement).closest('[data-back]')) addressStep();
  });
  root.addEventListener('change', async (e) => {
    const input = e.target as HTMLInputElement;
    if (input.name !== 'shipping') return;
    try {
      cart = await shop.cart.setShippingRate(input.value);
      const aside = root.querySelector('[data-summary]');
      if (aside) aside.innerHTML = summary();
      const pay = root.querySelector('[data-pay]');
      if (pay) pay.textContent = `Pay ${money(cart.total, cart.currency)}`;
    } catch (err) {
      const m = root.querySelector('[data-message]');
      if (m) m.innerHTML = alert(errorText(err));
    }
  });
  void shop.cart
    .get()
    .catch(() => null)
    .then((c: any) => {
      cart = c;
      showCount(countOf(c));
      if (!c || c.lines.length === 0) {
        root.innerHTML = '<p>Your cart is empty. <a href="/">Continue shopping</a></p>';
        return;
      }
      shop.track('checkout_started', { value: c.total, currency: c.currency });
      if (c.email && c.shipping_address) paymentStep();
      else addressStep();
    });
}
