import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, type Tx } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { StoreSettings } from '../stores/index.ts';
import type { Mailer } from './mail.mailer.ts';
import * as repo from './mail.repo.ts';
import {
  afterFailure,
  BARE_ADDRESS,
  EMAIL_RETENTION_DAYS,
  needsFollowUps,
  type OrderEmailIntent,
  type OrderFollowUps,
  orderEmailsFor,
  SEND_BATCH,
  SEND_LEASE_MS,
  senderLine,
} from './mail.rules.ts';
import type { EmailRow, NewEmailRow } from './mail.tables.ts';
import {
  orderConfirmationEmail,
  orderRefundedEmail,
  orderShippedEmail,
  type RenderedEmail,
} from './mail.templates.ts';

/** The part of an event the mail consumer reads (an `EventRecord` of the events module is one). */
export interface MailEvent {
  id: string;
  storeId: string;
  livemode: boolean;
  type: string;
  data: Record<string, unknown>;
}

export interface EnqueueEmailInput {
  storeId: string;
  livemode?: boolean;
  to: string;
  /** What the email is for, e.g. `email_verification`, `password_reset`; the metrics count by it. */
  kind: string;
  /** At most one email per store and key, e.g. `password_reset:<token id>`. */
  dedupeKey: string;
  subject: string;
  text: string;
  html: string;
  /** The sender line; the store's (settings.email, then its name and MAIL_FROM) when left out. */
  from?: string;
}

export interface MailDeps {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  mailer: Mailer;
  /** Reads the store in the given transaction (on PGlite a read outside it would wait for it to end). */
  stores: {
    getStoreCached(id: string, executor: Executor): Promise<{ name: string; settings: StoreSettings }>;
  };
  /** The order's fulfilments and refunds, read in the given transaction (the order events carry the order only). */
  orderFollowUps(tx: Tx, orderId: string): Promise<OrderFollowUps>;
  /** The sender address of stores that set none (MAIL_FROM). */
  defaultFrom: string;
  /** How long a claim hides an email from other senders (default SEND_LEASE_MS): beyond the mailer's send timeout. */
  sendLeaseMs?: number;
}

export type SendOutcome = 'sent' | 'retried' | 'failed';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 1000);

export function createMailService(deps: MailDeps) {
  const { db, ids, clock, logger, metrics, mailer } = deps;

  /** The store's sender line and the bits of its settings the templates use. */
  async function storeSender(tx: Tx, storeId: string) {
    const s = await deps.stores.getStoreCached(storeId, tx);
    const settings = s.settings.email;
    return {
      storeName: s.name,
      from: senderLine(settings?.from_name ?? s.name, settings?.from_address ?? deps.defaultFrom),
      storefrontUrl: s.settings.storefront_url ?? null,
    };
  }

  function render(intent: OrderEmailIntent, store: { storeName: string; storefrontUrl: string | null }) {
    const ctx = {
      storeName: store.storeName,
      order: intent.order,
      orderUrl: store.storefrontUrl
        ? `${store.storefrontUrl.replace(/\/+$/, '')}/orders/${encodeURIComponent(intent.order.id)}`
        : null,
    };
    switch (intent.kind) {
      case 'order_confirmation':
        return orderConfirmationEmail(ctx);
      case 'order_shipped':
        return orderShippedEmail({
          ...ctx,
          shipment: intent.shipment ?? { carrier: null, tracking_number: null, tracking_url: null },
        });
      case 'order_refunded':
        return orderRefundedEmail({ ...ctx, refund: intent.refund ?? { amount: 0, amountRefunded: null } });
    }
  }

  function row(
    input: {
      storeId: string;
      livemode: boolean;
      kind: string;
      dedupeKey: string;
      from: string;
      to: string;
      orderId?: string | null;
    },
    content: RenderedEmail,
  ): NewEmailRow {
    const now = clock.now();
    return {
      id: ids('email'),
      storeId: input.storeId,
      livemode: input.livemode,
      kind: input.kind,
      dedupeKey: input.dedupeKey,
      orderId: input.orderId ?? null,
      fromAddress: input.from,
      toAddress: input.to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      runAt: now,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * The events consumer (subscribed as `mail`): in the relay's transaction, writes the emails the events ask
   * for. Emails of one order and kind exist once whatever the number of deliveries (unique dedupe key). An
   * event it cannot turn into an email (no address, a store gone, a payload it does not know) is logged and
   * skipped: it must not hold back the feed of the other consumers.
   */
  async function consumer(tx: Tx, events: readonly MailEvent[]): Promise<void> {
    const rows: NewEmailRow[] = [];
    for (const e of events) {
      const orderId = (e.data.object as { id?: unknown } | undefined)?.id;
      const facts =
        needsFollowUps(e.type) && typeof orderId === 'string'
          ? await deps.orderFollowUps(tx, orderId)
          : undefined;
      const intents = orderEmailsFor(e, facts);
      if (intents.length === 0) continue;
      let store: Awaited<ReturnType<typeof storeSender>>;
      try {
        store = await storeSender(tx, e.storeId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'STORE_NOT_FOUND') {
          logger.warn({ event_id: e.id, store_id: e.storeId }, 'email skipped: no such store');
          continue;
        }
        throw err;
      }
      for (const intent of intents) {
        let content: RenderedEmail;
        try {
          content = render(intent, store);
        } catch (err) {
          logger.error(
            { err, event_id: e.id, kind: intent.kind },
            'email skipped: the event could not be rendered',
          );
          continue;
        }
        const from = store.from;
        rows.push(
          row(
            {
              storeId: e.storeId,
              livemode: e.livemode,
              kind: intent.kind,
              dedupeKey: intent.dedupeKey,
              from,
              to: intent.to,
              orderId: typeof orderId === 'string' ? orderId : null,
            },
            content,
          ),
        );
      }
    }
    const inserted = await repo.insertEmails(tx, rows);
    if (inserted.length) logger.debug({ emails: inserted.length }, 'emails queued from events');
  }

  /**
   * Queues an email in the caller's transaction: it is sent by the worker only if that transaction commits,
   * and at most once per (store, dedupe key). Returns the email's id, or null when the key was used already.
   */
  async function enqueueEmail(tx: Tx, input: EnqueueEmailInput): Promise<{ id: string | null }> {
    // A display name or a list here would be header syntax from the caller: refuse it, never send it.
    if (!BARE_ADDRESS.test(input.to))
      throw new Error(`enqueueEmail: "${input.to}" is not a bare email address`);
    const from = input.from ?? (await storeSender(tx, input.storeId)).from;
    const [id] = await repo.insertEmails(tx, [
      row(
        {
          storeId: input.storeId,
          livemode: input.livemode ?? false,
          kind: input.kind,
          dedupeKey: input.dedupeKey,
          from,
          to: input.to,
        },
        input,
      ),
    ]);
    return { id: id ?? null };
  }

  /** Records an accepted send, retrying briefly: until it is recorded, a crash would send the email again. */
  async function recordSent(r: EmailRow, messageId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await repo.markSent(db, { id: r.id, messageId, now: clock.now() });
        return;
      } catch (err) {
        if (attempt >= 3) {
          logger.error(
            { err, email_id: r.id, message_id: messageId },
            'email sent but not recorded; it is sent again when its lease ends',
          );
          return;
        }
        await new Promise((res) => setTimeout(res, 250 * 4 ** attempt));
      }
    }
  }

  async function sendOne(r: EmailRow): Promise<SendOutcome> {
    let messageId: string;
    try {
      ({ messageId } = await mailer.send({
        from: r.fromAddress,
        to: r.toAddress,
        subject: r.subject,
        text: r.text,
        html: r.html,
        // Names the row in the message: a duplicate (see recordSent) is traceable to the one email.
        headers: { 'X-Crowdstart-Email-Id': r.id },
      }));
    } catch (err) {
      const permanent = (err as { permanent?: unknown }).permanent === true;
      const now = clock.now();
      const next = afterFailure(r.attempts, permanent, now);
      const error = errorText(err);
      await repo.markAttemptFailed(db, { id: r.id, attempts: r.attempts, error, now, ...next });
      const log = { email_id: r.id, kind: r.kind, attempts: r.attempts, error };
      if (next.state === 'failed') {
        metrics.emailsFailed.inc({ kind: r.kind });
        logger.error(
          log,
          permanent ? 'email refused by the mail server' : 'email failed after its last attempt',
        );
        return 'failed';
      }
      logger.warn({ ...log, retry_at: next.runAt.toISOString() }, 'email not sent; retried later');
      return 'retried';
    }
    // The one window of a duplicate: accepted by the server, not yet recorded (at least once toward SMTP).
    await recordSent(r, messageId);
    metrics.emailsSent.inc({ kind: r.kind });
    return 'sent';
  }

  /**
   * The `mail.send` task: claims due emails in a short transaction (SKIP LOCKED, then a lease), sends them
   * outside it, in parallel, and records each outcome. Several workers never hold the same email at once.
   */
  async function sendDue(maxBatches = 10): Promise<Record<SendOutcome, number>> {
    const totals: Record<SendOutcome, number> = { sent: 0, retried: 0, failed: 0 };
    for (let i = 0; i < maxBatches; i++) {
      const now = clock.now();
      const claimed = await inTransaction(db, (tx) =>
        repo.claimDue(tx, {
          now,
          leaseUntil: new Date(now.getTime() + (deps.sendLeaseMs ?? SEND_LEASE_MS)),
          limit: SEND_BATCH,
        }),
      );
      const outcomes = await Promise.all(claimed.map(sendOne));
      for (const o of outcomes) totals[o]++;
      if (claimed.length < SEND_BATCH) break;
    }
    return totals;
  }

  /** The `mail.retention` task: deletes sent and failed emails older than EMAIL_RETENTION_DAYS, in batches. */
  async function deleteExpired(): Promise<number> {
    const before = new Date(clock.now().getTime() - EMAIL_RETENTION_DAYS * 86_400_000);
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const n = await repo.deleteFinishedBefore(db, { before, limit: 1000 });
      total += n;
      if (n < 1000) break;
    }
    return total;
  }

  /** The emails about one order in a mode (confirmation, shipping, refunds), oldest first. */
  function emailsOfOrder(scope: { storeId: string; livemode: boolean }, orderId: string) {
    return repo.emailsOfOrder(db, { ...scope, orderId });
  }

  return { consumer, enqueueEmail, sendDue, deleteExpired, emailsOfOrder };
}

export type MailService = ReturnType<typeof createMailService>;
