import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { count } from '../../../test/support/commerce.ts';
import { testApp } from '../../../test/support/harness.ts';
import { startSmtpServer } from '../../../test/support/smtp.ts';
import { fixedClock } from '../../shared/clock.ts';
import { inTransaction, rows } from '../../shared/db.ts';
import { EMAIL_RETENTION_DAYS, MAX_SEND_ATTEMPTS, retryDelayMs, SEND_LEASE_MS } from './index.ts';
import { markAttemptFailed } from './mail.repo.ts';

const smtp = await startSmtpServer({ rejectRecipients: /^nobody@/ });
afterAll(() => smtp.stop());
const clock = fixedClock(new Date());
const t = await testApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'shop@mail.example' }, clock });
const store = await t.createStore({ name: 'Sendings' });

let n = 0;
const enqueue = (o: { to?: string; dedupeKey?: string; kind?: string } = {}) =>
  inTransaction(t.database.db, (tx) =>
    t.mail.enqueueEmail(tx, {
      storeId: store.id,
      to: o.to ?? `shopper${++n}@example.com`,
      kind: o.kind ?? 'test_notice',
      dedupeKey: o.dedupeKey ?? `notice:${++n}`,
      subject: 'Hello',
      text: 'Plain hello',
      html: '<p>Hello</p>',
    }),
  );

const emailRow = async (id: string) =>
  (
    await rows<{ state: string; attempts: number; last_error: string | null; message_id: string | null }>(
      t.database.db,
      sql`select state, attempts, last_error, message_id from email where id = ${id}`,
    )
  )[0]!;

const arrivedFor = (id: string) => smtp.received.filter((m) => m.emailId === id);

const metric = async (name: string, kind: string) => {
  const m = await t.deps.metrics.registry.getSingleMetric(name)!.get();
  return m.values.find((v) => v.labels.kind === kind)?.value ?? 0;
};

describe('mail.send', () => {
  it('sends a queued email once through SMTP, with the store as sender and the row id as a header', async () => {
    const { id } = await enqueue({ to: 'ada@example.com', dedupeKey: 'welcome:ada' });
    expect(id).toMatch(/^eml_/);
    // The same key again queues nothing.
    expect(await enqueue({ to: 'ada@example.com', dedupeKey: 'welcome:ada' })).toEqual({ id: null });
    // Only a bare address is accepted as the recipient.
    await expect(enqueue({ to: 'ada@example.com, eve@example.com' })).rejects.toThrow(
      'not a bare email address',
    );

    const outcome = await t.mail.sendDue();
    expect(outcome).toEqual({ sent: 1, retried: 0, failed: 0 });
    const got = arrivedFor(id!);
    expect(got).toHaveLength(1);
    expect(got[0]!.envelope).toEqual({ from: 'shop@mail.example', to: ['ada@example.com'] });
    expect(got[0]!.mail.from?.value).toEqual([{ name: 'Sendings', address: 'shop@mail.example' }]);
    expect(got[0]!.mail.subject).toBe('Hello');
    expect(got[0]!.mail.text?.trim()).toBe('Plain hello');
    expect(got[0]!.mail.html).toContain('<p>Hello</p>');

    const r = await emailRow(id!);
    expect(r).toMatchObject({ state: 'sent', attempts: 1, last_error: null });
    expect(r.message_id).toBe(got[0]!.mail.messageId);
    // Nothing is due any more.
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(arrivedFor(id!)).toHaveLength(1);
  });

  it('two senders at once send every email exactly once', async () => {
    const queued = await Promise.all(Array.from({ length: 25 }, () => enqueue({ kind: 'race' })));
    const ids = queued.map((q) => q.id!);
    const [a, b] = await Promise.all([t.mail.sendDue(), t.mail.sendDue()]);
    expect(a.sent + b.sent).toBe(25);
    for (const id of ids) expect(arrivedFor(id)).toHaveLength(1);
    expect(
      await count(t, sql`select count(*)::int as n from email where kind = 'race' and state = 'sent'`),
    ).toBe(25);
    expect(await metric('emails_sent_total', 'race')).toBe(25);
  });

  it('retries with backoff while the SMTP server is down, and delivers once it is back', async () => {
    await smtp.stop();
    const { id } = await enqueue({ kind: 'outage' });
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    const first = await emailRow(id!);
    expect(first).toMatchObject({ state: 'queued', attempts: 1, message_id: null });
    expect(first.last_error).toMatch(/ECONNREFUSED|connect/i);

    // Not due again before its backoff.
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(retryDelayMs(1) + 1);
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await emailRow(id!)).toMatchObject({ state: 'queued', attempts: 2 });

    await smtp.start();
    clock.advance(retryDelayMs(2) + 1);
    expect(await t.mail.sendDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await emailRow(id!)).toMatchObject({ state: 'sent', attempts: 3, last_error: null });
    expect(arrivedFor(id!)).toHaveLength(1);
  });

  it(`gives up after ${MAX_SEND_ATTEMPTS} attempts and counts the failure`, async () => {
    await smtp.stop();
    const { id } = await enqueue({ kind: 'doomed' });
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS; attempt++) {
      const outcome = await t.mail.sendDue();
      expect(outcome).toEqual(
        attempt < MAX_SEND_ATTEMPTS ? { sent: 0, retried: 1, failed: 0 } : { sent: 0, retried: 0, failed: 1 },
      );
      clock.advance(retryDelayMs(attempt) + 1);
    }
    expect(await emailRow(id!)).toMatchObject({ state: 'failed', attempts: MAX_SEND_ATTEMPTS });
    expect(await metric('emails_failed_total', 'doomed')).toBe(1);
    await smtp.start();
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(arrivedFor(id!)).toHaveLength(0);
  });

  it('an address the server refuses for good (550) fails at once, without retries', async () => {
    const { id } = await enqueue({ kind: 'refused', to: 'nobody@example.com' });
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    const r = await emailRow(id!);
    expect(r).toMatchObject({ state: 'failed', attempts: 1 });
    expect(r.last_error).toMatch(/550|Mailbox unavailable/);
    expect(await metric('emails_failed_total', 'refused')).toBe(1);
  });

  it('a sender that died holding an email: nobody else sends it during its lease, someone does after', async () => {
    const { id } = await enqueue({ kind: 'lease' });
    // What a claim writes, by a sender that then dies before sending.
    const leaseUntil = new Date(clock.now().getTime() + SEND_LEASE_MS);
    await t.database.db.execute(
      sql`update email set attempts = attempts + 1, run_at = ${leaseUntil.toISOString()} where id = ${id}`,
    );
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(SEND_LEASE_MS - 1000);
    expect(await t.mail.sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(arrivedFor(id!)).toHaveLength(0);
    clock.advance(1001);
    expect(await t.mail.sendDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(arrivedFor(id!)).toHaveLength(1);
    expect(await emailRow(id!)).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('a failure is recorded only by the sender holding the current claim', async () => {
    const { id } = await enqueue({ kind: 'fence' });
    const now = clock.now();
    // attempts is 0: a sender of attempt 1 (its lease long over, the email claimed again since) records nothing.
    expect(
      await markAttemptFailed(t.database.db, { id: id!, attempts: 1, error: 'late', now, state: 'failed' }),
    ).toBe(false);
    expect(await emailRow(id!)).toMatchObject({ state: 'queued', attempts: 0, last_error: null });
    expect(await t.mail.sendDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
  });
});

describe('mail.retention', () => {
  it(`deletes sent and failed emails after ${EMAIL_RETENTION_DAYS} days, never queued ones`, async () => {
    await t.mail.sendDue();
    const sent = (await enqueue({ kind: 'old_sent' })).id!;
    await t.mail.sendDue();
    const queued = (await enqueue({ kind: 'old_queued' })).id!; // never sent: no sendDue after it
    const exists = async (id: string) =>
      (await count(t, sql`select count(*)::int as n from email where id = ${id}`)) === 1;
    clock.advance((EMAIL_RETENTION_DAYS - 1) * 86_400_000);
    await t.mail.deleteExpired();
    expect(await exists(sent)).toBe(true);
    clock.advance(2 * 86_400_000);
    expect(await t.mail.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await exists(sent)).toBe(false);
    expect(await exists(queued)).toBe(true);
  });
});

describe('the log transport', () => {
  it('is used when SMTP_URL is unset: the message is kept in memory, not sent', async () => {
    const logged = await testApp({ env: { MAIL_FROM: 'hello@shop.example' } });
    expect(logged.mail.mailer.transport).toBe('log');
    const s = await logged.createStore({ name: 'Quiet shop' });
    await inTransaction(logged.database.db, (tx) =>
      logged.mail.enqueueEmail(tx, {
        storeId: s.id,
        to: 'bo@example.com',
        kind: 'test_notice',
        dedupeKey: 'log:1',
        subject: 'Logged',
        text: 't',
        html: '<p>t</p>',
      }),
    );
    const before = smtp.received.length;
    expect(await logged.mail.sendDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    const sent = (logged.mail.mailer as import('./index.ts').LogMailer).sent;
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      to: 'bo@example.com',
      from: '"Quiet shop" <hello@shop.example>',
      subject: 'Logged',
    });
    expect(sent[0]!.headers?.['X-Crowdstart-Email-Id']).toMatch(/^eml_/);
    expect(smtp.received.length).toBe(before);
  });
});
