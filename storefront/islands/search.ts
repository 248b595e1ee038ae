import { errorText, esc, island, money, shop } from './shop.ts';

const root = island();
const params = new URLSearchParams(location.search);
const q = params.get('q') ?? '';
const picked = params.getAll('opt');
const heading = document.querySelector('h1');

function card(p: any) {
  const img = `/images/${esc(p.slug)}-1.svg`;
  const price =
    p.price_range.min === p.price_range.max
      ? money(p.price_range.min, p.price_range.currency)
      : `From ${money(p.price_range.min, p.price_range.currency)}`;
  return `<li class="card"><a href="/products/${esc(p.slug)}"><img src="${img}" alt="${esc(p.image?.alt || p.title)}" width="400" height="400" loading="lazy"><h3>${esc(p.title)}</h3></a><span class="price">${esc(price)}</span>${p.in_stock ? '' : ' <span class="oos">Sold out</span>'}</li>`;
}

function facets(r: any) {
  const f = r.facets;
  const collection = params.get('collection') ?? '';
  const opts = Object.entries(f.options as Record<string, Record<string, number>>)
    .map(
      ([name, values]) =>
        `<fieldset><legend>${esc(name)}</legend>${Object.entries(values)
          .map(([value, n]) => {
            const v = `${name}:${value}`;
            return `<label><input type="checkbox" name="opt" value="${esc(v)}"${picked.includes(v) ? ' checked' : ''}> ${esc(value)} <span class="muted">(${n})</span></label>`;
          })
          .join('')}</fieldset>`,
    )
    .join('');
  return `<form class="filters" action="/search" method="get" aria-label="Filters"><input type="hidden" name="q" value="${esc(q)}">
<label>Sort by <select name="sort">${[
    ['', 'Best match'],
    ['price_asc', 'Price: low to high'],
    ['price_desc', 'Price: high to low'],
    ['newest', 'Newest'],
  ]
    .map(([v, l]) => `<option value="${v}"${params.get('sort') === v ? ' selected' : ''}>${l}</option>`)
    .join('')}</select></label>
<fieldset><legend>Collection</legend><label><input type="radio" name="collection" value=""${collection ? '' : ' checked'}> All</label>${f.collections
    .map(
      (c: any) =>
        `<label><input type="radio" name="collection" value="${esc(c.id)}"${collection === c.id ? ' checked' : ''}> ${esc(c.title)} <span class="muted">(${c.count})</span></label>`,
    )
    .join('')}</fieldset>
<label><input type="checkbox" name="in_stock" value="true"${params.get('in_stock') === 'true' ? ' checked' : ''}> In stock only</label>
${opts}<noscript><button type="submit">Apply</button></noscript></form>`;
}

async function run() {
  if (!root) return;
  try {
    const r = await shop.search.query({
      q,
      collection: params.get('collection') || undefined,
      options: picked.join(',') || undefined,
      in_stock: params.get('in_stock') === 'true' || undefined,
      sort: (params.get('sort') || undefined) as 'relevance' | undefined,
      cursor: params.get('cursor') || undefined,
      limit: 24,
    });
    if (heading && q) heading.textContent = `Results for “${q}”`;
    const corrected = r.query.corrected.length
      ? `<p data-corrected>Showing results for <strong>${esc(
          q
            .split(/\s+/)
            .map((w) => r.query.corrected.find((c: any) => c.word === w.toLowerCase())?.replacements[0] ?? w)
            .join(' '),
        )}</strong></p>`
      : '';
    const next = new URLSearchParams(params);
    if (r.next_cursor) next.set('cursor', r.next_cursor);
    root.innerHTML = `<div class="searchlayout"><aside>${facets(r)}</aside><section aria-label="Results">${corrected}<p class="muted">${r.facets.total} product${r.facets.total === 1 ? '' : 's'}</p>
${r.data.length ? `<ul class="grid">${r.data.map(card).join('')}</ul>` : '<p>No products match. Try fewer filters or another word.</p>'}
${r.has_more ? `<nav class="pager" aria-label="Pages"><a href="/search?${esc(next.toString())}" rel="next">Next page</a></nav>` : ''}</section></div>`;
    const form = root.querySelector<HTMLFormElement>('form.filters');
    form?.addEventListener('change', () => form.requestSubmit());
  } catch (e) {
    root.innerHTML = `<p class="alert" role="alert">${esc(errorText(e))}</p>`;
  }
}
const input = document.querySelector<HTMLInputElement>('#q');
if (input) input.value = q;
void run();
