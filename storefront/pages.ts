import { type Html, html, jsonScript, raw } from './html.ts';
import { productImagePath } from './images.ts';
import { formatMoney } from './money.ts';
import { CSS } from './styles.ts';
import type { Collection, Product } from './types.ts';

/** What every page shares: the shop's name, its navigation, and how the islands reach the API. */
export interface SiteContext {
  name: string;
  publishableKey: string;
  /** Where the API is, '' for the same origin. */
  apiBase: string;
  nav: Collection[];
}

/** The island scripts a page loads (entry names of storefront/islands). */
type Island = 'product' | 'cart' | 'checkout' | 'order' | 'search' | 'account' | 'common';

export function layout(
  ctx: SiteContext,
  page: { title: string; description?: string; body: Html; island: Island; canonical?: string },
): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${page.title}</title><meta name="description" content="${page.description ?? `Shop ${ctx.name}`}">
<meta name="crowdstart-key" content="${ctx.publishableKey}"><meta name="crowdstart-api" content="${ctx.apiBase}">
<link rel="icon" href="/favicon.svg" type="image/svg+xml"><style>${raw(CSS)}</style>
<script type="module" src="/assets/${page.island}.js"></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="wrap"><a class="logo" href="/">${ctx.name}</a>
<form class="search" role="search" action="/search" method="get"><label class="visually-hidden" for="q">Search products</label><input type="search" id="q" name="q" placeholder="Search products"><button type="submit">Search</button></form>
<a class="cartlink" href="/account">Account</a>
<a class="cartlink" href="/cart">Cart <span class="count" data-cart-count aria-label="items in cart">0</span></a></div>
<nav class="main wrap" aria-label="Collections"><ul>${ctx.nav.map((c) => html`<li><a href="/collections/${c.slug}">${c.title}</a></li>`)}</ul></nav></header>
<main id="main" class="wrap" tabindex="-1">${page.body}</main>
<footer class="site"><div class="wrap">${ctx.name} · test mode: pay with card 4242 4242 4242 4242 · <a href="/search">All products</a></div></footer>
</body></html>`.value;
}

const priceOf = (p: Product) => {
  const { min, max, currency } = p.price_range;
  if (min === null) return html`<span class="muted">Unavailable</span>`;
  return min === max
    ? html`<span class="price">${formatMoney(min, currency)}</span>`
    : html`<span class="price">From ${formatMoney(min, currency)}</span>`;
};

const imageAlt = (p: Product, i: number) => p.images[i]?.alt || p.title;

export function productCard(p: Product, opts: { eager?: boolean } = {}): Html {
  const inStock = p.variants.some((v) => v.availability.in_stock);
  return html`<li class="card"><a href="/products/${p.slug}"><img src="${productImagePath(p.slug, 0)}" alt="${imageAlt(p, 0)}" width="400" height="400"${opts.eager ? '' : raw(' loading="lazy"')}><h3>${p.title}</h3></a>${priceOf(p)}${inStock ? '' : html` <span class="oos">Sold out</span>`}</li>`;
}

export function homePage(
  ctx: SiteContext,
  sections: { collection: Collection; products: Product[] }[],
): string {
  const body = html`<section class="hero" aria-labelledby="welcome"><h1 id="welcome">${ctx.name}</h1><p>Everyday goods made to last: apparel, shoes, home, kitchen, outdoor and more. Browse a collection or search the whole shop.</p></section>
${sections.map(
  (s, i) =>
    html`<section aria-labelledby="c-${s.collection.slug}"><div class="section-head"><h2 id="c-${s.collection.slug}">${s.collection.title}</h2><a href="/collections/${s.collection.slug}">Shop all ${s.collection.title}</a></div>
<ul class="grid">${s.products.map((p, j) => productCard(p, { eager: i === 0 && j < 4 }))}</ul></section>`,
)}`;
  return layout(ctx, { title: ctx.name, body, island: 'common' });
}

export const PAGE_SIZE = 24;

export function collectionPage(
  ctx: SiteContext,
  c: Collection,
  products: Product[],
  page: { number: number; pages: number },
): string {
  const base = `/collections/${c.slug}`;
  const href = (n: number) => (n === 1 ? base : `${base}/page/${n}`);
  const body = html`<h1>${c.title}</h1>${c.description ? html`<p class="muted">${c.description}</p>` : ''}
<p><a href="/search?collection=${c.id}">Filter ${c.title} by size, colour and price</a></p>
<ul class="grid">${products.map((p, i) => productCard(p, { eager: i < 4 }))}</ul>
${
  page.pages > 1
    ? html`<nav class="pager" aria-label="Pages">${page.number > 1 ? html`<a href="${href(page.number - 1)}" rel="prev">Previous page</a>` : ''}<span>Page ${page.number} of ${page.pages}</span>${page.number < page.pages ? html`<a href="${href(page.number + 1)}" rel="next">Next page</a>` : ''}</nav>`
    : ''
}`;
  return layout(ctx, {
    title: `${c.title}${page.number > 1 ? ` – page ${page.number}` : ''} · ${ctx.name}`,
    description: c.description ?? `${c.title} at ${ctx.name}`,
    body,
    island: 'common',
  });
}

export function productPage(ctx: SiteContext, p: Product): string {
  const first = p.variants.find((v) => v.availability.in_stock) ?? p.variants[0];
  const currency = p.price_range.currency;
  const images = p.images.length ? p.images : [{ url: '', alt: p.title }];
  const body = html`<article class="product" data-product-id="${p.id}">
<div class="gallery"><img src="${productImagePath(p.slug, 0)}" alt="${imageAlt(p, 0)}" width="800" height="800" fetchpriority="high">
${images.length > 1 ? html`<div class="thumbs">${images.slice(1).map((_, i) => html`<img src="${productImagePath(p.slug, i + 1)}" alt="${imageAlt(p, i + 1)}" width="144" height="144" loading="lazy">`)}</div>` : ''}</div>
<div><h1>${p.title}</h1>
<p><span class="price" data-price>${first ? formatMoney(first.price, currency) : ''}</span><span class="was" data-was>${first?.compare_at_price ? formatMoney(first.compare_at_price, currency) : ''}</span></p>
<form data-buy>
${p.options.map(
  (o, i) =>
    html`<fieldset><legend>${o.name}</legend><div class="choices">${o.values.map(
      (v) =>
        html`<label><input type="radio" name="opt${i}" value="${v}" data-option="${o.name}"${first?.option_values[o.name] === v ? raw(' checked') : ''}><span>${v}</span></label>`,
    )}</div></fieldset>`,
)}
<input type="hidden" name="variant_id" value="${first?.id ?? ''}">
<p data-availability aria-live="polite">${first ? (first.availability.in_stock ? 'In stock' : 'Sold out') : 'Unavailable'}</p>
<div class="buy"><label>Quantity <input type="number" name="quantity" min="1" max="99" value="1" inputmode="numeric"></label><button type="submit" data-add${first ? '' : raw(' disabled')}>Add to cart</button></div>
<p class="status" data-status role="status" aria-live="polite"></p>
</form>
${p.description ? html`<h2>Details</h2><p>${p.description}</p>` : ''}
${p.tags.length ? html`<p class="muted">${p.tags.join(' · ')}</p>` : ''}
</div></article>
${jsonScript('product-data', {
  id: p.id,
  currency,
  options: p.options.map((o) => o.name),
  variants: p.variants.map((v) => ({
    id: v.id,
    o: v.option_values,
    p: v.price,
    c: v.compare_at_price,
    s: v.availability.in_stock,
    a: v.availability.available,
  })),
})}`;
  return layout(ctx, {
    title: `${p.title} · ${ctx.name}`,
    description: p.description?.slice(0, 160) ?? p.title,
    body,
    island: 'product',
  });
}

/** Pages whose content is the shopper's own (cart, checkout, account): a static shell the island fills in. */
export function shellPage(
  ctx: SiteContext,
  page: { title: string; heading: string; island: Island; body?: Html; data?: string },
): string {
  const body = html`<h1>${page.heading}</h1><div data-island="${page.data ?? page.island}" aria-live="polite">${page.body ?? html`<p class="muted">Loading…</p>`}</div>`;
  return layout(ctx, { title: `${page.title} · ${ctx.name}`, body, island: page.island });
}

export function notFoundPage(ctx: SiteContext): string {
  return layout(ctx, {
    title: `Not found · ${ctx.name}`,
    body: html`<h1>Page not found</h1><p>That page is not here. <a href="/">Go to the home page</a> or <a href="/search">search the shop</a>.</p>`,
    island: 'common',
  });
}

export const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#1f5f4a"/><path d="M9 12h14l-1.5 11h-11z" fill="#fff"/></svg>';
