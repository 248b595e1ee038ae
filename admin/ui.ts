import { CrowdstartError } from '../packages/sdk/src/errors.ts';
import type { Ctx } from './context.ts';

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Builds an element: `h('button', { type: 'button', onclick: fn }, 'Save')`. Strings are text, never HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's content. */
export function fill(el: Element, ...children: Child[]) {
  el.replaceChildren();
  append(el, children);
}

/** The API's message for a failure, with the field it concerns. */
export function describe(e: unknown): string {
  if (e instanceof CrowdstartError) {
    const param = e.param ? ` (${e.param})` : '';
    return `${e.message}${param}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** A slot next to an action where its error is shown (`role=alert`, so screen readers announce it). */
export function errorSlot(): HTMLParagraphElement & { show(e: unknown): void; clear(): void } {
  const p = h('p', { class: 'error', role: 'alert', hidden: true }) as HTMLParagraphElement & {
    show(e: unknown): void;
    clear(): void;
  };
  p.show = (e) => {
    p.textContent = describe(e);
    p.hidden = false;
  };
  p.clear = () => {
    p.textContent = '';
    p.hidden = true;
  };
  return p;
}

/**
 * Runs an action from a button: disables it meanwhile, shows the API's error in `slot` next to it.
 * Resolves true when the action succeeded.
 */
export async function act(
  button: HTMLButtonElement | null,
  slot: ReturnType<typeof errorSlot>,
  fn: () => Promise<unknown>,
) {
  slot.clear();
  if (button) button.disabled = true;
  try {
    await fn();
    return true;
  } catch (e) {
    slot.show(e);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Asks before a destructive action, in a modal `<dialog>` (focus kept inside, Escape cancels). */
export function confirmAction(message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, 'Please confirm'),
      h('p', null, message),
      h(
        'form',
        { method: 'dialog', class: 'row' },
        h('button', { value: 'cancel', class: 'secondary', autofocus: true }, 'Keep it'),
        h('button', { value: 'ok', class: 'danger' }, confirmLabel),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/** Minor units to a currency amount: `money(1234, 'USD')` → `$12.34`. */
export function money(minor: number, currency: string): string {
  const f = new Intl.NumberFormat('en', { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minor / 10 ** digits);
}

/** A currency amount typed by a person to minor units (`12.5` → 1250); NaN when it is not a number. */
export function toMinor(text: string, currency: string): number {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const n = Number(text.replace(/[^0-9.]/g, ''));
  return text.trim() === '' ? Number.NaN : Math.round(n * 10 ** digits);
}

export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' }) : '—';

/** A labelled input: a `<label for>` holding only the text, and the hint tied by `aria-describedby`. */
export function field(label: string, input: HTMLElement, hint?: string) {
  input.id ||= `f-${Math.random().toString(36).slice(2, 10)}`;
  const hintEl = hint ? h('small', { id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

/**
 * A `table.list`: a header row of `heads`, then one row per entry of `rows`. A cell that is already a `<td>`
 * (for its attributes) is kept as it is; anything else is wrapped in one.
 */
export function listTable(heads: string[], rows: Child[][], attrs: Attrs = {}) {
  const cell = (c: Child) => (c instanceof HTMLTableCellElement ? c : h('td', null, c));
  return h(
    'table',
    { ...attrs, class: attrs.class ? `list ${attrs.class}` : 'list' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        heads.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) => h('tr', null, r.map(cell))),
    ),
  );
}

/** A page of a server list, as the API's list routes answer. */
export interface ListPage<T> {
  data: T[];
  has_more: boolean;
  next_cursor?: string | null;
}

/**
 * A list screen served a page at a time: a heading, a search form whose named fields make the query string
 * (a select applies on change), then the page's table and a pager. The cursors of the pages before this one
 * travel in `back` (`-` for the first page), so "Previous" goes back without asking the server for them.
 */
export async function pagedList<T>(
  root: HTMLElement,
  ctx: Pick<Ctx, 'go'>,
  o: {
    /** The screen's path, e.g. `/admin/orders`. */
    path: string;
    title: string;
    /** The search form: its accessible name, its submit button and its labelled fields (each with a `name`). */
    search: { label: string; submit: string; fields: [string, HTMLInputElement | HTMLSelectElement][] };
    /** Fetches the page at `cursor` (undefined: the first). */
    load: (cursor: string | undefined) => Promise<ListPage<T>>;
    /** Shown when the page is empty. */
    empty: string;
    table: (rows: T[]) => HTMLElement;
  },
) {
  const params = new URLSearchParams(location.search);
  const cursor = params.get('cursor') ?? undefined;
  const back = (params.get('back') ?? '').split(',').filter(Boolean);

  const inputs = o.search.fields.map(([, input]) => input);
  const form = h(
    'form',
    { class: 'row filters', role: 'search', 'aria-label': o.search.label },
    o.search.fields.map(([label, input]) => field(label, input)),
    h('button', { type: 'submit' }, o.search.submit),
  );
  const url = (extra: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    const all: Record<string, string | undefined> = {};
    for (const input of inputs) all[input.name] = input.value.trim() || undefined;
    for (const [k, v] of Object.entries({ ...all, ...extra })) if (v) q.set(k, v);
    return `${o.path}${q.size ? `?${q}` : ''}`;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.go(url({}));
  });
  for (const input of inputs)
    if (input instanceof HTMLSelectElement) input.addEventListener('change', () => ctx.go(url({})));

  const error = errorSlot();
  const body = h('div', null, h('p', { class: 'muted' }, `Loading ${o.title.toLowerCase()}…`));
  fill(root, h('h1', null, o.title), form, error, body);

  let page: ListPage<T>;
  try {
    page = await o.load(cursor);
  } catch (e) {
    fill(body);
    error.show(e);
    return;
  }
  if (page.data.length === 0) {
    fill(body, h('p', { class: 'empty' }, o.empty));
    return;
  }
  const prevCursor = back.at(-1);
  const pager = h(
    'nav',
    { class: 'row pager', 'aria-label': 'Pages' },
    prevCursor
      ? h(
          'a',
          {
            href: url({
              cursor: prevCursor === '-' ? undefined : prevCursor,
              back: back.slice(0, -1).join(',') || undefined,
            }),
            rel: 'prev',
          },
          '← Previous',
        )
      : null,
    page.has_more && page.next_cursor
      ? h(
          'a',
          { href: url({ cursor: page.next_cursor, back: [...back, cursor ?? '-'].join(',') }), rel: 'next' },
          'Next →',
        )
      : null,
  );
  fill(body, o.table(page.data), pager);
}

export function badge(text: string) {
  return h('span', { class: `badge badge-${text.replace(/[^a-z_]/g, '')}` }, text.replace(/_/g, ' '));
}
