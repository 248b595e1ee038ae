import { errorText, esc, island, money, shop } from './shop.ts';

const root = island();
const view = root?.dataset.island ?? 'overview';
const token = new URLSearchParams(location.search).get('token') ?? '';
const alert = (t: string) => `<p class="alert" role="alert">${esc(t)}</p>`;
const ok = (t: string) => `<p class="status ok" role="status">${esc(t)}</p>`;
const input = (name: string, label: string, type = 'text', extra = '') =>
  `<label>${label}<input type="${type}" name="${name}" id="a-${name}" required ${extra}></label>`;
const accountNav =
  '<nav aria-label="Account"><p><a href="/account">Overview</a> · <a href="/account/orders">Orders</a> · <a href="/account/addresses">Addresses</a> · <button type="button" class="link" data-sign-out>Sign out</button></p></nav>';

function form(id: string, fields: string, submit: string, after = '') {
  return `<form class="form" data-form="${id}" novalidate>${fields}<div data-message></div><p><button type="submit">${submit}</button></p>${after}</form>`;
}

const values = (f: HTMLFormElement) =>
  Object.fromEntries([...new FormData(f).entries()].map(([k, v]) => [k, String(v).trim()]));

const handlers: Record<string, (v: Record<string, string>) => Promise<string | undefined>> = {
  'sign-up': async (v) => {
    await shop.customers.signUp({
      email: v.email!,
      password: v.password!,
      ...(v.name ? { name: v.name } : {}),
    });
    return 'Check your email: we sent a link to verify your address.';
  },
  'sign-in': async (v) => {
    await shop.customers.signIn({ email: v.email!, password: v.password! });
    location.assign('/account/orders');
    return undefined;
  },
  'reset-request': async (v) => {
    await shop.customers.requestPasswordReset(v.email!);
    return 'If an account uses that email, a reset link is on its way.';
  },
  'reset-confirm': async (v) => {
    await shop.customers.resetPassword(token, v.password!);
    return 'Your password is changed. You can sign in now.';
  },
  address: async (v) => {
    await shop.customers.addresses.create({ ...v, country: v.country ?? '' });
    await render();
    return 'Address saved.';
  },
};

async function render() {
  if (!root) return;
  const signedIn = shop.customers.isSignedIn();
  switch (view) {
    case 'sign-up':
      root.innerHTML = form(
        'sign-up',
        input('name', 'Name', 'text', 'autocomplete="name"') +
          input('email', 'Email', 'email', 'autocomplete="email"') +
          input(
            'password',
            'Password (at least 8 characters)',
            'password',
            'autocomplete="new-password" minlength="8"',
          ),
        'Create account',
        '<p>Have an account? <a href="/account/sign-in">Sign in</a></p>',
      );
      return;
    case 'sign-in':
      root.innerHTML = form(
        'sign-in',
        input('email', 'Email', 'email', 'autocomplete="email"') +
          input('password', 'Password', 'password', 'autocomplete="current-password"'),
        'Sign in',
        '<p><a href="/account/sign-up">Create an account</a> · <a href="/account/reset">Forgot your password?</a></p>',
      );
      return;
    case 'verify':
      root.innerHTML = '<p role="status">Verifying…</p>';
      try {
        await shop.customers.verifyEmail(token);
        root.innerHTML = `${ok('Your email is verified.')}<p><a class="button" href="/account/sign-in">Sign in</a></p>`;
      } catch (e) {
        root.innerHTML = alert(errorText(e));
      }
      return;
    case 'reset':
      root.innerHTML = token
        ? form(
            'reset-confirm',
            input('password', 'New password', 'password', 'autocomplete="new-password" minlength="8"'),
            'Set password',
          )
        : form('reset-request', input('email', 'Email', 'email', 'autocomplete="email"'), 'Send reset link');
      return;
    default:
      break;
  }
  if (!signedIn) {
    root.innerHTML =
      '<p><a class="button" href="/account/sign-in">Sign in</a> or <a href="/account/sign-up">create an account</a> to see your orders and addresses.</p>';
    return;
  }
  try {
    if (view === 'orders') {
      const list = await shop.customers.orders();
      root.innerHTML = `${accountNav}${
        list.data.length
          ? `<table data-orders><caption class="visually-hidden">Your orders</caption><thead><tr><th scope="col">Order</th><th scope="col">Date</th><th scope="col">Status</th><th scope="col" class="num">Total</th></tr></thead><tbody>${list.data
              .map(
                (o: any) =>
                  `<tr><td>${esc(o.id)}</td><td>${esc(new Date(o.created_at).toLocaleDateString())}</td><td>${esc(o.status)}</td><td class="num">${esc(money(o.total, o.currency))}</td></tr>`,
              )
              .join('')}</tbody></table>`
          : '<p>No orders yet.</p>'
      }`;
    } else if (view === 'addresses') {
      const list = await shop.customers.addresses.list();
      root.innerHTML = `${accountNav}<ul>${list.data
        .map(
          (a: any) =>
            `<li>${esc([a.name, a.line1, a.city, a.postal_code, a.country].filter(Boolean).join(', '))}</li>`,
        )
        .join('')}</ul><h2>Add an address</h2>${form(
        'address',
        input('name', 'Name') +
          input('line1', 'Address') +
          input('city', 'City') +
          input('postal_code', 'Postal code') +
          input('country', 'Country code', 'text', 'maxlength="2"'),
        'Save address',
      )}`;
    } else {
      const me = await shop.customers.me();
      root.innerHTML = `${accountNav}<p>Signed in as <strong>${esc(me.email)}</strong>${me.email_verified === false ? ' (email not verified yet)' : ''}.</p>`;
    }
  } catch (e) {
    root.innerHTML = `${alert(errorText(e))}<p><a href="/account/sign-in">Sign in again</a></p>`;
  }
}

if (root) {
  root.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    const message = f.querySelector<HTMLElement>('[data-message]')!;
    const handler = handlers[f.dataset.form ?? ''];
    if (!handler) return;
    try {
      const text = await handler(values(f));
      if (text) (root.querySelector('[data-message]') ?? message).innerHTML = ok(text);
    } catch (err) {
      message.innerHTML = alert(errorText(err));
    }
  });
  root.addEventListener('click', async (e) => {
    if (!(e.target as HTMLElement).closest('[data-sign-out]')) return;
    await shop.customers.signOut();
    location.assign('/account');
  });
  void render();
}
