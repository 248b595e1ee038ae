import { CrowdstartError } from '../packages/sdk/src/errors.ts';

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

export function badge(text: string) {
  return h('span', { class: `badge badge-${text.replace(/[^a-z_]/g, '')}` }, text.replace(/_/g, ' '));
}
