/**
 * Pure rules of the mail module: which event asks for which email, the sender line, retry timing.
 */
import type { OrderView, Shipment } from './mail.templates.ts';

export const ORDER_EMAIL_KINDS = ['order_confirmation', 'order_shipped', 'order_refunded'] as const;
export type OrderEmailKind = (typeof ORDER_EMAIL_KINDS)[number];

/** How long a claimed email stays invisible to other senders; longer than a send may last (SMTP_TIMEOUTS_MS.send). */
export const SEND_LEASE_MS = 5 * 60_000;
/** Attempts before an email is marked `failed`. */
export const MAX_SEND_ATTEMPTS = 8;
/**
 * Sent and failed emails (their bodies hold shoppers' data) are deleted after this many days. Longer than the
 * events are kept (30 days), so an event can never be relayed again after its email's dedupe key is gone.
 */
export const EMAIL_RETENTION_DAYS = 90;
/** Emails claimed (and sent in parallel) per claim. */
export const SEND_BATCH = 10;

/** Pause before attempt `attempts + 1`: 30 s, 1 min, 2 min, … capped at one hour (~2 h in total for 8 attempts). */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** What to do after a failed attempt: try again later, or give up (out of attempts, or refused for good). */
export function afterFailure(
  attempts: number,
  permanent: boolean,
  now: Date,
): { state: 'queued'; runAt: Date } | { state: 'failed' } {
  if (permanent || attempts >= MAX_SEND_ATTEMPTS) return { state: 'failed' };
  return { state: 'queued', runAt: new Date(now.getTime() + retryDelayMs(attempts)) };
}

/** A bare address: no display name, no spaces, no header syntax. */
export const BARE_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

/** `"Name" <address>`, with the name quoted (RFC 5322) and line breaks removed so it stays one header. */
export function senderLine(name: string | null | undefined, address: string): string {
  const clean = (name ?? '').replace(/[\r\n\t]+/g, ' ').trim();
  if (!clean) return address;
  return `"${clean.replace(/(["\\])/g, '\\$1')}" <${address}>`;
}

export interface OrderEmailIntent {
  kind: OrderEmailKind;
  /** At most one email per store and key: one confirmation and one shipping notice per order, one per refund. */
  dedupeKey: string;
  to: string;
  order: OrderView;
  shipment?: Shipment;
  refund?: { amount: number; amountRefunded: number | null };
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/** The order of an `order.*` event: `data.object` as GET /v1/orders/{id} serialises it. */
function orderOf(data: Record<string, unknown>): (OrderView & { email: string | null }) | null {
  const o = obj(data.object);
  if (!o) return null;
  const id = str(o.id);
  const currency = str(o.currency);
  const total = int(o.total);
  if (!id || !currency || total === null) return null;
  const lines = Array.isArray(o.lines)
    ? o.lines.flatMap((l) => {
        const line = obj(l);
        const quantity = int(line?.quantity);
        const lineTotal = int(line?.total);
        if (!line || quantity === null || lineTotal === null) return [];
        return [
          { product_title: str(line.product_title), title: str(line.title), quantity, total: lineTotal },
        ];
      })
    : undefined;
  return {
    id,
    currency,
    total,
    email: str(o.email),
    subtotal: int(o.subtotal) ?? undefined,
    discount_total: int(o.discount_total) ?? undefined,
    shipping_total: int(o.shipping_total) ?? undefined,
    tax_total: int(o.tax_total) ?? undefined,
    tax_inclusive: o.tax_inclusive === true,
    lines,
  };
}

/** What the order events do not carry: the order's fulfilments and refunds, read in the relay's transaction. */
export interface OrderFollowUps {
  fulfillments: ReadonlyArray<Shipment & { id: string }>;
  refunds: ReadonlyArray<{ id: string; amount: number; status: string }>;
}

/** Whether an event's email needs the order's fulfilments and refunds (`OrderFollowUps`). */
export const needsFollowUps = (type: string) => type === 'order.fulfilled' || type === 'order.refunded';

const NO_SHIPMENT: Shipment = { carrier: null, tracking_number: null, tracking_url: null };

/** The shipment to tell of: the event's own fulfilment when it carries one, else the order's latest. */
function shipmentOf(data: Record<string, unknown>, facts: OrderFollowUps | undefined): Shipment {
  const listed = obj(data.object)?.fulfillments;
  const f =
    obj(data.fulfillment) ??
    (Array.isArray(listed) ? obj(listed[listed.length - 1]) : undefined) ??
    (facts?.fulfillments.at(-1) as Record<string, unknown> | undefined);
  if (!f) return NO_SHIPMENT;
  return {
    carrier: str(f.carrier),
    tracking_number: str(f.tracking_number),
    tracking_url: str(f.tracking_url),
  };
}

/**
 * The emails an event asks for: none (another type, no address on the order, a payload we cannot read), one,
 * or, for `order.refunded`, one per succeeded refund of the order. Each refund's email has its own dedupe key,
 * so a refund whose own event comes later (or again) is not told twice, and two quick partial refunds both are.
 */
export function orderEmailsFor(
  event: { id: string; type: string; data: Record<string, unknown> },
  facts?: OrderFollowUps,
): OrderEmailIntent[] {
  if (event.type !== 'order.paid' && event.type !== 'order.fulfilled' && event.type !== 'order.refunded')
    return [];
  const order = orderOf(event.data);
  if (!order?.email || !BARE_ADDRESS.test(order.email)) return [];
  const { email: to, ...view } = order;
  switch (event.type) {
    case 'order.paid':
      return [{ kind: 'order_confirmation', dedupeKey: `order_confirmation:${order.id}`, to, order: view }];
    case 'order.fulfilled':
      return [
        {
          kind: 'order_shipped',
          dedupeKey: `order_shipped:${order.id}`,
          to,
          order: view,
          shipment: shipmentOf(event.data, facts),
        },
      ];
    case 'order.refunded': {
      let refunded = 0;
      const out: OrderEmailIntent[] = [];
      for (const r of facts?.refunds ?? []) {
        if (r.status !== 'succeeded') continue;
        refunded += r.amount;
        out.push({
          kind: 'order_refunded',
          dedupeKey: `order_refunded:${r.id}`,
          to,
          order: view,
          refund: { amount: r.amount, amountRefunded: refunded },
        });
      }
      return out;
    }
  }
}
