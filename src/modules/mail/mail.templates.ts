import { formatMinor } from '../../shared/money.ts';

/** What the templates need of an order: the fields GET /v1/orders/{id} serialises, all optional but a few. */
export interface OrderView {
  id: string;
  currency: string;
  total: number;
  subtotal?: number;
  discount_total?: number;
  shipping_total?: number;
  tax_total?: number;
  tax_inclusive?: boolean;
  lines?: Array<{ product_title?: string | null; title?: string | null; quantity: number; total: number }>;
}

export interface Shipment {
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
}

export interface EmailContext {
  storeName: string;
  order: OrderView;
  /** A page where the shopper can see the order, when the store has a storefront. */
  orderUrl?: string | null;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Subjects are one line: a store name or title with a line break would otherwise start a new header. */
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

export const money = (amount: number, currency: string) => `${formatMinor(amount, currency)} ${currency}`;

/** Only web links are ever put in an href; anything else is shown as text, if at all. */
const isWebUrl = (u: string | null | undefined): u is string => !!u && /^https?:\/\//i.test(u);

function lineName(l: { product_title?: string | null; title?: string | null }): string {
  const product = l.product_title ?? '';
  const variant = l.title ?? '';
  if (!product) return variant || 'Item';
  return variant && variant !== 'Default' ? `${product} — ${variant}` : product;
}

/** The rows under the lines: subtotal, discount, shipping, tax (when not included), total. */
function totalRows(o: OrderView): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  if (o.subtotal !== undefined) rows.push(['Subtotal', money(o.subtotal, o.currency)]);
  if (o.discount_total) rows.push(['Discount', `-${money(o.discount_total, o.currency)}`]);
  if (o.shipping_total !== undefined) rows.push(['Shipping', money(o.shipping_total, o.currency)]);
  if (o.tax_total) rows.push([o.tax_inclusive ? 'Tax (included)' : 'Tax', money(o.tax_total, o.currency)]);
  rows.push(['Total', money(o.total, o.currency)]);
  return rows;
}

function textSummary(o: OrderView): string[] {
  const out: string[] = [];
  for (const l of o.lines ?? []) out.push(`${l.quantity} × ${lineName(l)}  ${money(l.total, o.currency)}`);
  if (out.length) out.push('');
  for (const [label, value] of totalRows(o)) out.push(`${label}: ${value}`);
  return out;
}

function htmlSummary(o: OrderView): string {
  const cell = 'style="padding:4px 8px;border-bottom:1px solid #eee"';
  const right = 'style="padding:4px 8px;text-align:right"';
  const lines = (o.lines ?? [])
    .map(
      (l) =>
        `<tr><td ${cell}>${l.quantity} × ${escapeHtml(lineName(l))}</td>` +
        `<td ${cell} align="right">${escapeHtml(money(l.total, o.currency))}</td></tr>`,
    )
    .join('\n');
  const totals = totalRows(o)
    .map(
      ([label, value]) =>
        `<tr><td ${right}>${label === 'Total' ? `<strong>${label}</strong>` : label}</td>` +
        `<td ${right}>${label === 'Total' ? `<strong>${escapeHtml(value)}</strong>` : escapeHtml(value)}</td></tr>`,
    )
    .join('\n');
  return `<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%">\n${lines}\n${totals}\n</table>`;
}

function htmlPage(storeName: string, title: string, body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px">
<h1 style="font-size:20px">${escapeHtml(storeName)}</h1>
${body}
</body></html>
`;
}

function orderLink(ctx: EmailContext): { text: string[]; html: string } {
  if (!isWebUrl(ctx.orderUrl)) return { text: [], html: '' };
  return {
    text: ['', `View your order: ${ctx.orderUrl}`],
    html: `<p><a href="${escapeHtml(ctx.orderUrl)}">View your order</a></p>`,
  };
}

export function orderConfirmationEmail(ctx: EmailContext): RenderedEmail {
  const o = ctx.order;
  const subject = oneLine(`${ctx.storeName}: order ${o.id} confirmed`);
  const link = orderLink(ctx);
  const text = [
    `Thank you for your order at ${ctx.storeName}.`,
    '',
    `Order ${o.id}`,
    '',
    ...textSummary(o),
    ...link.text,
    '',
  ].join('\n');
  const html = htmlPage(
    ctx.storeName,
    subject,
    `<p>Thank you for your order.</p>
<p>Order <strong>${escapeHtml(o.id)}</strong></p>
${htmlSummary(o)}
${link.html}`,
  );
  return { subject, text, html };
}

export function orderShippedEmail(ctx: EmailContext & { shipment: Shipment }): RenderedEmail {
  const o = ctx.order;
  const s = ctx.shipment;
  const subject = oneLine(`${ctx.storeName}: order ${o.id} has shipped`);
  const link = orderLink(ctx);
  const tracking: string[] = [];
  if (s.carrier) tracking.push(`Carrier: ${s.carrier}`);
  if (s.tracking_number) tracking.push(`Tracking number: ${s.tracking_number}`);
  if (isWebUrl(s.tracking_url)) tracking.push(`Track your parcel: ${s.tracking_url}`);
  const text = [
    `Good news: your order ${o.id} at ${ctx.storeName} is on its way.`,
    '',
    ...tracking,
    ...(tracking.length ? [''] : []),
    ...textSummary(o),
    ...link.text,
    '',
  ].join('\n');
  const trackingHtml = [
    s.carrier ? `Carrier: ${escapeHtml(s.carrier)}` : '',
    s.tracking_number ? `Tracking number: <strong>${escapeHtml(s.tracking_number)}</strong>` : '',
    isWebUrl(s.tracking_url) ? `<a href="${escapeHtml(s.tracking_url)}">Track your parcel</a>` : '',
  ]
    .filter(Boolean)
    .join('<br>\n');
  const html = htmlPage(
    ctx.storeName,
    subject,
    `<p>Good news: your order <strong>${escapeHtml(o.id)}</strong> is on its way.</p>
${trackingHtml ? `<p>${trackingHtml}</p>` : ''}
${htmlSummary(o)}
${link.html}`,
  );
  return { subject, text, html };
}

export function orderRefundedEmail(
  ctx: EmailContext & { refund: { amount: number; amountRefunded?: number | null } },
): RenderedEmail {
  const o = ctx.order;
  const r = ctx.refund;
  const amount = money(r.amount, o.currency);
  const subject = oneLine(`${ctx.storeName}: refund of ${amount} for order ${o.id}`);
  const link = orderLink(ctx);
  const full = r.amountRefunded !== undefined && r.amountRefunded !== null && r.amountRefunded >= o.total;
  const summary = full
    ? `Your order has been refunded in full (${money(o.total, o.currency)}).`
    : r.amountRefunded !== undefined && r.amountRefunded !== null && r.amountRefunded !== r.amount
      ? `In total ${money(r.amountRefunded, o.currency)} of ${money(o.total, o.currency)} has been refunded.`
      : `Order total: ${money(o.total, o.currency)}.`;
  const text = [
    `We have refunded ${amount} for your order ${o.id} at ${ctx.storeName}.`,
    summary,
    'It can take a few days to show on your statement.',
    ...link.text,
    '',
  ].join('\n');
  const html = htmlPage(
    ctx.storeName,
    subject,
    `<p>We have refunded <strong>${escapeHtml(amount)}</strong> for your order <strong>${escapeHtml(o.id)}</strong>.</p>
<p>${escapeHtml(summary)}</p>
<p>It can take a few days to show on your statement.</p>
${link.html}`,
  );
  return { subject, text, html };
}
