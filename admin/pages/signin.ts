import type { AdminClient } from '../../packages/sdk/src/admin.ts';
import { act, errorSlot, field, fill, h } from '../ui.ts';

const LAST_STORE = 'crowdstart:last_store';

function card(title: string, ...body: Node[]) {
  return h('main', { id: 'main', class: 'auth' }, h('div', { class: 'card' }, h('h1', null, title), ...body));
}

/** Email and password (and the store, remembered from the last sign-in on this browser). */
export function signInScreen(root: HTMLElement, api: AdminClient, go: (p: string) => void, store?: string) {
  const storeInput = h('input', {
    name: 'store_id',
    required: true,
    autocomplete: 'organization',
    placeholder: 'store_…',
    value: store ?? localStorage.getItem(LAST_STORE) ?? '',
  });
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'username' });
  const password = h('input', {
    name: 'password',
    type: 'password',
    required: true,
    autocomplete: 'current-password',
  });
  const error = errorSlot();
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Sign in' },
    field('Store ID', storeInput),
    field('Email', email),
    field('Password', password),
    submit,
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(submit, error, async () => {
      const s = await api.session.signIn({
        storeId: storeInput.value.trim(),
        email: email.value.trim(),
        password: password.value,
      });
      localStorage.setItem(LAST_STORE, s.user.store_id);
      go('/admin/');
    });
  });
  fill(root, card('Sign in to your store', form));
  (storeInput.value ? email : storeInput).focus();
}

/** An invitation (or set-password) link: choose a password and a name, then the dashboard. */
export function acceptScreen(root: HTMLElement, api: AdminClient, token: string, go: (p: string) => void) {
  if (!token) {
    fill(
      root,
      card(
        'Invitation',
        h(
          'p',
          { class: 'error', role: 'alert' },
          'This link has no token: open the link from the email again.',
        ),
      ),
    );
    return;
  }
  const name = h('input', { name: 'name', autocomplete: 'name' });
  const password = h('input', {
    name: 'password',
    type: 'password',
    required: true,
    minlength: 10,
    autocomplete: 'new-password',
  });
  const error = errorSlot();
  const submit = h('button', { type: 'submit' }, 'Set password and sign in');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Accept invitation' },
    field('Your name', name),
    field('Choose a password', password, 'At least 10 characters.'),
    submit,
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(submit, error, async () => {
      const s = await api.session.accept({
        token,
        password: password.value,
        name: name.value.trim() || undefined,
      });
      localStorage.setItem(LAST_STORE, s.user.store_id);
      go('/admin/');
    });
  });
  fill(root, card('Welcome to the team', h('p', null, 'Set a password to finish joining the store.'), form));
  name.focus();
}
