import { z } from '@hono/zod-openapi';
import { AppError } from '../../shared/app-error.ts';

export const FUNNEL_EVENT_TYPES = [
  'page_viewed',
  'product_viewed',
  'product_added',
  'cart_viewed',
  'checkout_started',
  'order_completed',
] as const;
export type FunnelEventType = (typeof FUNNEL_EVENT_TYPES)[number];

/** At most this many events per batch. */
export const MAX_EVENTS_PER_BATCH = 50;
/** At most this many bytes per batch body (a `sendBeacon` payload is capped by browsers at 64 KiB anyway). */
export const MAX_BATCH_BYTES = 32 * 1024;
/** Clocks drift and tabs sleep: events from up to a day ahead and a week back are taken. */
export const MAX_FUTURE_MS = 24 * 3_600_000;
export const MAX_PAST_MS = 7 * 24 * 3_600_000;

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be an id (${prefix}_…)`);

export const FunnelEventSchema = z.strictObject({
  type: z.enum(FUNNEL_EVENT_TYPES),
  occurred_at: z.iso.datetime({ offset: true }),
  path: z
    .string()
    .min(1)
    .max(2048)
    .refine((p) => !p.includes('\u0000'), 'must not contain the NUL character (\\u0000)')
    .optional(),
  product_id: id('prod').optional(),
  variant_id: id('var').optional(),
  order_id: id('ord').optional(),
  quantity: z.number().int().min(1).max(9999).optional(),
  value: z.number().int().min(0).max(1_000_000_000_000).optional(),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code')
    .transform((s) => s.toUpperCase())
    .optional(),
});

export const FunnelBatchSchema = z.strictObject({
  key: z.string().min(1).max(255).optional(),
  session_id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only'),
  events: z.array(FunnelEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
});
export type FunnelBatch = z.infer<typeof FunnelBatchSchema>;

/** `events[3].type`: the path of a field in the batch, as a client reads it. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** The first problem of a batch that failed its schema, as a 400 naming the field. */
export function batchRefusal(error: z.ZodError): AppError {
  const issue = error.issues[0];
  if (!issue) return new AppError('VALIDATION_FAILED', 'Invalid batch.', { param: 'body' });
  if (issue.code === 'unrecognized_keys') {
    const param = fieldPath([...issue.path, issue.keys[0] ?? '']);
    return new AppError('VALIDATION_FAILED', `Unknown parameter: ${param}.`, { param });
  }
  const param = fieldPath(issue.path) || 'body';
  return new AppError('VALIDATION_FAILED', `${param}: ${issue.message}`, { param });
}

export interface FunnelEventRecord {
  type: FunnelEventType;
  occurredAt: Date;
  path: string | null;
  productId: string | null;
  variantId: string | null;
  orderId: string | null;
  quantity: number | null;
  value: number | null;
  currency: string | null;
}

/**
 * The events of a batch that passed its schema, checked against the time they arrived: refused when one
 * happened more than a day ahead or a week back, or carries a value without its currency.
 */
export function acceptBatch(batch: FunnelBatch, receivedAt: Date): FunnelEventRecord[] {
  const now = receivedAt.getTime();
  return batch.events.map((e, i) => {
    const occurredAt = new Date(e.occurred_at);
    if (occurredAt.getTime() > now + MAX_FUTURE_MS || occurredAt.getTime() < now - MAX_PAST_MS) {
      const param = `events[${i}].occurred_at`;
      throw new AppError(
        'VALIDATION_FAILED',
        `${param}: must be within the last 7 days and no more than 24 hours ahead.`,
        { param },
      );
    }
    if (e.value !== undefined && e.currency === undefined) {
      const param = `events[${i}].currency`;
      throw new AppError('VALIDATION_FAILED', `${param}: a value needs its currency.`, { param });
    }
    return {
      type: e.type,
      occurredAt,
      path: e.path ?? null,
      productId: e.product_id ?? null,
      variantId: e.variant_id ?? null,
      orderId: e.order_id ?? null,
      quantity: e.quantity ?? null,
      value: e.value ?? null,
      currency: e.currency ?? null,
    };
  });
}
