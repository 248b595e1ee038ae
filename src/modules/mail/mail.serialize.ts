import { z } from '@hono/zod-openapi';
import type { EmailRow } from './mail.tables.ts';

/** An email as staff see it: what was sent (or is waiting), to whom, and how sending went. The body stays out. */
export const EmailSchema = z
  .object({
    id: z.string(),
    object: z.literal('email'),
    kind: z.string().openapi({ description: '`order_confirmation`, `order_shipped`, `order_refunded`, …' }),
    to: z.string(),
    subject: z.string(),
    status: z.enum(['queued', 'sent', 'failed']),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    sent_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Email');

export function serializeEmail(r: EmailRow): z.infer<typeof EmailSchema> {
  return {
    id: r.id,
    object: 'email',
    kind: r.kind,
    to: r.toAddress,
    subject: r.subject,
    status: r.state,
    attempts: r.attempts,
    last_error: r.lastError,
    sent_at: r.sentAt ? r.sentAt.toISOString() : null,
    created_at: r.createdAt.toISOString(),
  };
}
