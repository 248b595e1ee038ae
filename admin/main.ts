import './styles.css';
import { createAdminClient } from '../packages/sdk/src/admin.ts';
import type { Ctx, Screen } from './context.ts';
import { bulkScreen } from './pages/bulk.ts';
import { customerScreen, customersScreen } from './pages/customers.ts';
import { developersScreen } from './pages/developers.ts';
import { inventoryScreen, movementsScreen } from './pages/inventory.ts';
import { orderScreen } from './pages/order.ts';
import { ordersScreen } from './pages/orders.ts';
import { overviewScreen } from './pages/overview.ts';
import { productScreen } from './pages/product.ts';
import { productsScreen } from './pages/products.ts';
import { settingsScreen } from './pages/settings.ts';
import { acceptScreen, signInScreen } from './pages/signin.ts';
import { staffScreen } from './pages/staff.ts';
import { fill, h } from './ui.ts';

const routes: Array<{ pattern: RegExp; screen: Screen; title: string; nav?: string }> = [
  { pattern: /^\/admin\/?$/, screen: overviewScreen, title: 'Overview', nav: '/admin/' },
  { pattern: /^\/admin\/orders\/?$/, screen: ordersScreen, title: 'Orders', nav: '/admin/orders' },
  { pattern: /^\/admin\/orders\/(?<id>[^/]+)$/, screen: orderScreen, title: 'Order', nav: '/admin/orders' },
  { pattern: /^\/admin\/products\/?$/, screen: productsScreen, title: 'Products', nav: '/admin/products' },
  {
    pattern: /^\/admin\/products\/(?<id>[^/]+)$/,
    screen: productScreen,
    title: 'Product',
    nav: '/admin/products',
  },
  {
    pattern: /^\/admin\/inventory\/?$/,
    screen: inventoryScreen,
    title: 'Inventory',
    nav: '/admin/inventory',
  },
  {
    pattern: /^\/admin\/inventory\/(?<id>[^/]+)$/,
    screen: movementsScreen,
    title: 'Stock ledger',
    nav: '/admin/inventory',
  },
  {
    pattern: /^\/admin\/developers\/?$/,
    screen: developersScreen,
    title: 'Developers',
    nav: '/admin/developers',
  },
  { pattern: /^\/admin\/settings\/?$/, screen: settingsScreen, title: 'Settings', nav: '/admin/settings' },
  { pattern: /^\/admin\/staff\/?$/, screen: staffScreen, title: 'Staff', nav: '/admin/staff' },
  {
    pattern: /^\/admin\/customers\/?$/,
    screen: customersScreen,
    title: 'Customers',
    nav: '/admin/customers',
  },
  {
    pattern: /^\/admin\/customers\/(?<id>[^/]+)$/,
    screen: customerScreen,
    title: 'Customer',
    nav: '/admin/customers',
  },
  { pattern: /^\/admin\/bulk\/?$/, screen: bulkScreen, title: 'Import & export', nav: '/admin/bulk' },
];

const NAV: Array<[string, string, (c: Ctx) => boolean]> = [
  ['/admin/', 'Overview', () => true],
  ['/admin/orders', 'Orders', () => true],
  ['/admin/products', 'Products', () => true],
  ['/admin/customers', 'Customers', () => true],
  ['/admin/inventory', 'Inventory', () => true],
  ['/admin/bulk', 'Import & export', () => true],
  ['/admin/settings', 'Settings', () => true],
  ['/admin/developers', 'Developers', (c) => c.isOwner],
  ['/admin/staff', 'Staff', (c) => c.isOwner],
];

const root = document.getElementById('app')!;
const api = createAdminClient({
  storage: window.sessionStorage,
  onSignedOut: () => {
    if (!location.pathname.startsWith('/admin/sign-in')) go('/admin/sign-in');
  },
});

function go(path: string) {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  void render();
}

async function render() {
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  if (path.startsWith('/admin/accept')) {
    document.title = 'Accept invitation · Crowdstart';
    return acceptScreen(root, api, query.get('token') ?? '', go);
  }
  const session = api.session.current();
  if (!session || path.startsWith('/admin/sign-in')) {
    if (session) return go('/admin/');
    document.title = 'Sign in · Crowdstart';
    return signInScreen(root, api, go, query.get('store') ?? undefined);
  }
  const role = session.user.role;
  const ctx: Ctx = { api, session, go, canWrite: role !== 'read_only', isOwner: role === 'owner' };
  const route = routes.find((r) => r.pattern.test(path));
  const main = h('main', { id: 'main', tabindex: -1 });
  const signOut = h('button', { type: 'button', class: 'link', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => void api.session.signOut());
  fill(
    root,
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h('strong', { class: 'brand' }, 'Crowdstart'),
      h(
        'nav',
        { 'aria-label': 'Dashboard' },
        NAV.filter(([, , visible]) => visible(ctx)).map(([href, label]) =>
          h('a', { href, 'aria-current': route?.nav === href ? 'page' : null }, label),
        ),
      ),
      h(
        'div',
        { class: 'who' },
        h('span', { id: 'who' }, session.user.name ?? session.user.email),
        h('span', { class: `role role-${role}`, id: 'role' }, role.replace('_', '-')),
        session.mode === 'test' ? h('span', { class: 'mode' }, 'test data') : null,
        signOut,
      ),
    ),
    main,
  );
  if (!route) {
    fill(main, h('h1', null, 'Not found'), h('p', null, 'There is no such page in the dashboard.'));
    return;
  }
  document.title = `${route.title} · Crowdstart`;
  const params = (route.pattern.exec(path)?.groups ?? {}) as Record<string, string>;
  try {
    await route.screen(main, ctx, params);
  } catch (e) {
    const { describe } = await import('./ui.ts');
    fill(main, h('h1', null, route.title), h('p', { class: 'error', role: 'alert' }, describe(e)));
  }
}

// Links inside the app navigate without reloading the page.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const href = a.getAttribute('href');
  if (!href?.startsWith('/admin')) return;
  e.preventDefault();
  go(href);
});
window.addEventListener('popstate', () => void render());
void render();
