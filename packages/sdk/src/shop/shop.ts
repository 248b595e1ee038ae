/**
 * shop.js: `<script src="/shop.js" data-key="pk_…" data-api="https://api.example.com"></script>` turns
 * `data-crowdstart-add="<variant id>"` elements (optional `data-quantity`) into add-to-cart buttons and adds a
 * cart drawer (opened by its floating button or any `data-crowdstart-cart` element) with checkout.
 */
import { type Cart, type CheckoutResult, type Client, CrowdstartError, createClient } from '../index.ts';
import { STYLES } from './styles.ts';

type Child = Node | string | null | undefined | false;

/** A tiny element builder: attributes (`on…` functions become listeners), then children. */
function h(tag: string, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'value') (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function money(amount: number, currency: string): string {
  const f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
  return f.format(amount / 10 ** (f.resolvedOptions().maximumFractionDigits ?? 2));
}

/** The API's message, or a plain sentence for failures without one. */
function describe(e: unknown): string {
  if (e instanceof CrowdstartError) {
    if (e.code === 'NETWORK_ERROR')
      return 'The store could not be reached. Check your connection and try again.';
    return e.message;
  }
  return 'Something went wrong. Please try again.';
}

const FOCUSABLE =
  'button:not([disabled]),input:not([disabled]),select,a[href],[tabindex]:not([tabindex="-1"])';

export function mountShop(shop: Client, doc: Document = document) {
  const host = h('div', { id: 'crowdstart-shop' });
  const root = host.attachShadow({ mode: 'open' });
  const count = h('span', { class: 'count', 'aria-hidden': 'true' }, '0');
  const fab = h('button', { class: 'fab', type: 'button', 'aria-haspopup': 'dialog' }, 'Cart', count);
  const title = h('h2', { id: 'cs-title' }, 'Your cart');
  const alert = h('div', { class: 'alert', role: 'alert' });
  const body = h('div', { class: 'body' });
  const foot = h('div', { class: 'foot' });
  const close = h('button', { class: 'close', type: 'button', 'aria-label': 'Close cart' }, '×');
  const drawer = h(
    'div',
    { class: 'drawer', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'cs-title', hidden: true },
    h('header', {}, title, close),
    body,
    foot,
  );
  const overlay = h('div', { class: 'overlay', hidden: true });
  root.append(h('style', {}, STYLES), fab, overlay, drawer);
  doc.body.append(host);

  let cart: Cart | null = null;
  let opener: HTMLElement | null = null;
  let view: 'cart' | 'details' | 'payment' | 'done' = 'cart';
  let result: CheckoutResult | null = null;

  const setCount = () => {
    const n = cart?.lines.reduce((s, l) => s + l.quantity, 0) ?? 0;
    count.textContent = String(n);
    fab.setAttribute('aria-label', `Open cart, ${n} item${n === 1 ? '' : 's'}`);
  };
  const showError = (e: unknown) => {
    alert.textContent = describe(e);
    if (e instanceof CrowdstartError && e.param) {
      const field = root.querySelector<HTMLElement>(`[name="${CSS.escape(e.param.split('.').pop() ?? '')}"]`);
      field?.focus();
    }
  };

  /** Runs an API call with the drawer busy; errors are shown in the alert. */
  async function act<T>(button: HTMLElement | null, fn: () => Promise<T>): Promise<T | undefined> {
    alert.textContent = '';
    button?.setAttribute('disabled', '');
    drawer.setAttribute('aria-busy', 'true');
    try {
      return await fn();
    } catch (e) {
      showError(e);
      return undefined;
    } finally {
      button?.removeAttribute('disabled');
      drawer.removeAttribute('aria-busy');
    }
  }

  function open(from?: HTMLElement | null) {
    opener = from ?? (doc.activeElement as HTMLElement | null);
    if (view === 'done') view = 'cart';
    render();
    overlay.hidden = false;
    drawer.hidden = false;
    (body.querySelector<HTMLElement>(FOCUSABLE) ?? close).focus();
    shop.track('cart_viewed', cart ? { value: cart.total, currency: cart.currency } : {});
  }
  function hide() {
    overlay.hidden = true;
    drawer.hidden = true;
    alert.textContent = '';
    if (view === 'done') view = 'cart';
    (opener?.isConnected ? opener : fab).focus();
  }

  const setCart = (c: Cart | null | undefined) => {
    if (c !== undefined) cart = c;
    setCount();
  };

  function totals(c: Cart) {
    const rows: Child[] = [h('span', {}, 'Subtotal'), h('span', {}, money(c.subtotal, c.currency))];
    if (c.discount_total)
      rows.push(h('span', {}, 'Discount'), h('span', {}, `−${money(c.discount_total, c.currency)}`));
    if (c.shipping) rows.push(h('span', {}, 'Shipping'), h('span', {}, money(c.shipping_total, c.currency)));
    if (c.tax_total)
      rows.push(
        h('span', {}, c.tax_inclusive ? 'Tax (included)' : 'Tax'),
        h('span', {}, money(c.tax_total, c.currency)),
      );
    rows.push(
      h('span', { class: 'grand' }, 'Total'),
      h('span', { class: 'grand', 'data-total': '' }, money(c.total, c.currency)),
    );
    return h('div', { class: 'totals' }, ...rows);
  }

  function cartView(c: Cart | null) {
    title.textContent = 'Your cart';
    if (!c || c.lines.length === 0) {
      body.replaceChildren(alert, h('p', { class: 'empty' }, 'Your cart is empty.'));
      foot.replaceChildren();
      return;
    }
    const lines = c.lines.map((l) => {
      const qtyId = `cs-qty-${l.variant_id}`;
      const setQty = (q: number, b: HTMLElement | null) =>
        act(b, () => (q > 0 ? shop.cart.update(l.variant_id, q) : shop.cart.remove(l.variant_id))).then(
          (n) => {
            if (n) {
              setCart(n);
              render();
              root.getElementById(qtyId)?.focus();
            }
          },
        );
      const input = h('input', {
        id: qtyId,
        type: 'number',
        min: 0,
        max: 9999,
        inputmode: 'numeric',
        value: l.quantity,
        onchange: (e: Event) => void setQty(Number((e.target as HTMLInputElement).value), null),
      });
      return h(
        'li',
        { class: 'line', 'data-line': l.variant_id },
        h(
          'div',
          {},
          h('div', { class: 'title' }, l.product_title),
          l.variant_title && l.variant_title !== 'Default'
            ? h('div', { class: 'variant' }, l.variant_title)
            : null,
          h('div', { class: 'muted' }, `${money(l.unit_price, c.currency)} each`),
        ),
        h('div', { class: 'price' }, money(l.total || l.subtotal, c.currency)),
        h(
          'div',
          { class: 'qty' },
          h(
            'button',
            {
              type: 'button',
              'aria-label': `One fewer ${l.product_title}`,
              onclick: (e: Event) => void setQty(l.quantity - 1, e.currentTarget as HTMLElement),
            },
            '−',
          ),
          h(
            'label',
            { for: qtyId, style: 'position:absolute;left:-9999px' },
            `Quantity of ${l.product_title}`,
          ),
          input,
          h(
            'button',
            {
              type: 'button',
              'aria-label': `One more ${l.product_title}`,
              onclick: (e: Event) => void setQty(l.quantity + 1, e.currentTarget as HTMLElement),
            },
            '+',
          ),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: (e: Event) => void setQty(0, e.currentTarget as HTMLElement),
          },
          'Remove',
        ),
      );
    });
    const problems = c.problems.map((p) => h('p', { class: 'alert' }, p.message));
    body.replaceChildren(alert, ...problems, h('ul', { 'aria-label': 'Items' }, ...lines), totals(c));
    foot.replaceChildren(
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () => {
            view = 'details';
            shop.track('checkout_started', { value: c.total, currency: c.currency });
            render(true);
          },
        },
        'Checkout',
      ),
    );
  }

  function field(name: string, label: string, attrs: Record<string, unknown> = {}) {
    const id = `cs-${name}`;
    return h('div', {}, h('label', { for: id }, label), h('input', { id, name, ...attrs }));
  }

  function detailsView(c: Cart) {
    title.textContent = 'Checkout';
    const a = c.shipping_address;
    const form = h(
      'form',
      { 'aria-label': 'Contact and shipping address', novalidate: true },
      field('email', 'Email', { type: 'email', autocomplete: 'email', required: true, value: c.email ?? '' }),
      h('h3', {}, 'Shipping address'),
      field('name', 'Full name', { autocomplete: 'name', required: true, value: a?.name ?? '' }),
      field('line1', 'Address', { autocomplete: 'address-line1', required: true, value: a?.line1 ?? '' }),
      field('line2', 'Apartment, suite (optional)', { autocomplete: 'address-line2', value: a?.line2 ?? '' }),
      h(
        'div',
        { class: 'row' },
        field('city', 'City', { autocomplete: 'address-level2', required: true, value: a?.city ?? '' }),
        field('postal_code', 'Postal code', {
          autocomplete: 'postal-code',
          required: true,
          value: a?.postal_code ?? '',
        }),
      ),
      h(
        'div',
        { class: 'row' },
        field('region', 'State / region (optional)', {
          autocomplete: 'address-level1',
          value: a?.region ?? '',
        }),
        field('country', 'Country code', {
          autocomplete: 'country',
          required: true,
          maxlength: 2,
          value: a?.country ?? 'US',
        }),
      ),
      h('button', { type: 'submit', class: 'primary', style: 'margin-top:16px' }, 'Continue to payment'),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            view = 'cart';
            render(true);
          },
        },
        'Back to cart',
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = (n: string) =>
        (form.querySelector(`[name="${n}"]`) as HTMLInputElement).value.trim() || undefined;
      const email = v('email');
      if (!email)
        return showError(new CrowdstartError(400, { message: 'Enter your email address.', param: 'email' }));
      void act(form.querySelector('[type=submit]'), async () => {
        await shop.cart.setEmail(email);
        const address = {
          name: v('name'),
          line1: v('line1'),
          line2: v('line2'),
          city: v('city'),
          postal_code: v('postal_code'),
          region: v('region'),
          country: v('country') ?? '',
        };
        let next = await shop.cart.setShippingAddress(address);
        const only = next.shipping_options[0];
        if (!next.shipping && next.shipping_options.length === 1 && only)
          next = await shop.cart.setShippingRate(only.id);
        setCart(next);
        view = 'payment';
        render(true);
      });
    });
    body.replaceChildren(alert, form);
    foot.replaceChildren(totals(c));
  }

  const CARD_FIELDS = ['number', 'exp', 'cvc'] as const;

  function paymentView(c: Cart) {
    title.textContent = 'Payment';
    const rates = c.shipping_options.map((o) =>
      h(
        'label',
        {},
        h('input', {
          type: 'radio',
          name: 'shipping_rate',
          value: o.id,
          checked: c.shipping?.id === o.id,
          onchange: async () => {
            const next = await act(null, () => shop.cart.setShippingRate(o.id));
            if (!next) return;
            // The card typed while the rate was saved survives the re-render (new totals, new Pay amount).
            const card = root.querySelector('form');
            const typed = CARD_FIELDS.map(
              (n) => card?.querySelector<HTMLInputElement>(`[name="${n}"]`)?.value,
            );
            setCart(next);
            render();
            CARD_FIELDS.forEach((n, i) => {
              const input = root.querySelector<HTMLInputElement>(`form [name="${n}"]`);
              if (input && typed[i]) input.value = typed[i];
            });
            root.querySelector<HTMLElement>(`input[value="${o.id}"]`)?.focus();
          },
        }),
        h('span', {}, o.name),
        h('span', {}, money(o.amount, c.currency)),
      ),
    );
    const form = h(
      'form',
      { 'aria-label': 'Payment', novalidate: true },
      h(
        'p',
        { class: 'muted' },
        `Shipping to ${c.shipping_address?.name ?? ''}, ${c.shipping_address?.city ?? ''} · `,
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            style: 'color:inherit',
            onclick: () => {
              view = 'details';
              render(true);
            },
          },
          'Change',
        ),
      ),
      c.shipping_options.length
        ? h('fieldset', { class: 'rates' }, h('legend', {}, 'Shipping method'), ...rates)
        : h('p', { class: 'muted' }, 'No shipping method is needed for this address.'),
      h('h3', {}, 'Card'),
      field('number', 'Card number', {
        inputmode: 'numeric',
        autocomplete: 'cc-number',
        required: true,
        placeholder: '4242 4242 4242 4242',
      }),
      h(
        'div',
        { class: 'row' },
        field('exp', 'Expiry (MM/YY)', {
          inputmode: 'numeric',
          autocomplete: 'cc-exp',
          required: true,
          placeholder: 'MM/YY',
        }),
        field('cvc', 'Security code', {
          inputmode: 'numeric',
          autocomplete: 'cc-csc',
          required: true,
          maxlength: 4,
          placeholder: '123',
        }),
      ),
      h(
        'button',
        { type: 'submit', class: 'primary', style: 'margin-top:16px' },
        `Pay ${money(c.total, c.currency)}`,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            view = 'cart';
            render(true);
          },
        },
        'Back to cart',
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = (n: string) => (form.querySelector(`[name="${n}"]`) as HTMLInputElement).value.trim();
      const exp = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(v('exp'));
      if (!exp)
        return showError(
          new CrowdstartError(400, { message: 'Enter the expiry date as MM/YY.', param: 'exp' }),
        );
      void act(form.querySelector('[type=submit]'), async () => {
        result = await shop.checkout.complete({
          payment: {
            card: { number: v('number'), exp_month: Number(exp[1]), exp_year: Number(exp[2]), cvc: v('cvc') },
          },
        });
        shop.track('order_completed', {
          order_id: result.order.id,
          value: result.order.total,
          currency: result.order.currency,
        });
        setCart(null);
        view = 'done';
        render(true);
      });
    });
    body.replaceChildren(alert, form);
    foot.replaceChildren(totals(c));
  }

  function doneView(r: CheckoutResult) {
    const o = r.order;
    const paid = o.status !== 'pending';
    title.textContent = paid ? 'Order confirmed' : 'Order received';
    body.replaceChildren(
      h(
        'div',
        { class: 'done', 'data-order': o.id },
        h('div', { class: 'mark', 'aria-hidden': 'true' }, '✓'),
        h(
          'p',
          {},
          h('strong', {}, paid ? 'Thank you for your order!' : 'Thank you! Your payment is being confirmed.'),
        ),
        h('p', {}, `Order ${o.id}`),
        h('p', {}, `Total ${money(o.total, o.currency)}`),
        o.email ? h('p', { class: 'muted' }, `A receipt is on its way to ${o.email}.`) : null,
      ),
    );
    foot.replaceChildren(
      h('button', { type: 'button', class: 'primary', onclick: hide }, 'Continue shopping'),
    );
  }

  /** Draws the current view; `navigated` (a new view) also clears the last error and moves focus into it. */
  function render(navigated = false) {
    if (navigated) alert.textContent = '';
    if (view === 'done' && result) doneView(result);
    else if (view === 'details' && cart?.lines.length) detailsView(cart);
    else if (view === 'payment' && cart?.lines.length) paymentView(cart);
    else {
      view = 'cart';
      cartView(cart);
    }
    if (navigated)
      (
        body.querySelector<HTMLElement>(FOCUSABLE) ??
        foot.querySelector<HTMLElement>(FOCUSABLE) ??
        close
      ).focus();
  }

  // Keyboard: Escape closes, Tab stays inside the open drawer.
  drawer.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      hide();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = [...drawer.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.offsetParent !== null,
    );
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    const active = root.activeElement;
    if (e.shiftKey && (active === first || !drawer.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  });
  fab.addEventListener('click', () => open(fab));
  close.addEventListener('click', hide);
  overlay.addEventListener('click', hide);

  async function add(el: HTMLElement) {
    const variantId = el.getAttribute('data-crowdstart-add');
    if (!variantId || el.getAttribute('aria-busy') === 'true') return;
    const quantity = Math.max(1, Number(el.getAttribute('data-quantity')) || 1);
    el.setAttribute('aria-busy', 'true');
    try {
      setCart(await shop.cart.add(variantId, quantity));
      shop.track('product_added', { variant_id: variantId, quantity });
      view = 'cart';
      open(el);
    } catch (e) {
      view = 'cart';
      open(el);
      showError(e);
    } finally {
      el.removeAttribute('aria-busy');
    }
  }

  /** Page elements: add buttons and cart openers, keyboard operable even when they are not buttons. */
  function enhance(scope: ParentNode) {
    for (const el of scope.querySelectorAll<HTMLElement>('[data-crowdstart-add],[data-crowdstart-cart]')) {
      if (!/^(BUTTON|A|INPUT)$/.test(el.tagName)) {
        if (!el.hasAttribute('role')) el.setAttribute('role', 'button');
        if (!el.hasAttribute('tabindex')) el.tabIndex = 0;
      }
    }
  }
  const target = (e: Event) =>
    (e.target as Element | null)?.closest?.<HTMLElement>('[data-crowdstart-add],[data-crowdstart-cart]') ??
    null;
  const activate = (el: HTMLElement) => {
    if (el.hasAttribute('data-crowdstart-add')) void add(el);
    else open(el);
  };
  doc.addEventListener('click', (e) => {
    const el = target(e);
    if (!el) return;
    e.preventDefault();
    activate(el);
  });
  doc.addEventListener('keydown', (e) => {
    const el = target(e);
    if (!el || /^(BUTTON|A|INPUT)$/.test(el.tagName) || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    activate(el);
  });
  enhance(doc);
  new MutationObserver(() => enhance(doc)).observe(doc.body, { childList: true, subtree: true });

  shop.track('page_viewed');
  void shop.cart.get().then(setCart, () => undefined);
  return { open: () => open(null), close: hide, host };
}

const script = document.currentScript as HTMLScriptElement | null;
const key = script?.dataset.key;
if (!key) {
  console.error('shop.js: add data-key="pk_…" (your publishable key) to its <script> tag.');
} else {
  const shop = createClient({ key, baseUrl: script?.dataset.api ?? '' });
  const start = () => {
    const ui = mountShop(shop);
    (window as unknown as { Crowdstart: unknown }).Crowdstart = { shop, ...ui };
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
}
