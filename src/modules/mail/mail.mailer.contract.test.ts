import { afterAll, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../../test/support/smtp.ts';
import { silentLogger } from '../../shared/logger.ts';
import { createLogMailer, createMailer, createSmtpMailer, type Mailer, type OutgoingEmail } from './index.ts';

const smtp = await startSmtpServer({ rejectRecipients: /^nobody@/ });
afterAll(() => smtp.stop());

const message: OutgoingEmail = {
  from: '"Tea & Cups" <orders@shop.example>',
  to: 'ada@example.com',
  subject: 'Your order — ünïcode',
  text: 'Plain part',
  html: '<p>HTML part</p>',
  headers: { 'X-Crowdstart-Email-Id': 'eml_contract' },
};

/** What each adapter hands over, as the receiving side sees it. */
const adapters: Array<{ name: string; mailer: Mailer; lastDelivered: () => OutgoingEmail | undefined }> =
  (() => {
    const log = createLogMailer(silentLogger, 2);
    const viaSmtp = createSmtpMailer(smtp.url);
    return [
      {
        name: 'log',
        mailer: log,
        lastDelivered: () => {
          const m = log.sent.at(-1);
          if (!m) return undefined;
          const { messageId: _, ...sent } = m;
          return sent;
        },
      },
      {
        name: 'smtp',
        mailer: viaSmtp,
        lastDelivered: () => {
          const m = smtp.received.at(-1)?.mail;
          if (!m) return undefined;
          return {
            from: `"${m.from?.value[0]?.name}" <${m.from?.value[0]?.address}>`,
            to: m.to && !Array.isArray(m.to) ? m.to.value[0]!.address! : '',
            subject: m.subject ?? '',
            text: (m.text ?? '').trim(),
            html: typeof m.html === 'string' ? m.html.trim() : '',
            headers: { 'X-Crowdstart-Email-Id': String(m.headers.get('x-crowdstart-email-id')) },
          };
        },
      },
    ];
  })();

describe.each(adapters)('the $name mailer', ({ mailer, lastDelivered }) => {
  it('delivers from, to, subject, both parts and the headers, and answers a message id', async () => {
    const { messageId } = await mailer.send(message);
    expect(messageId).toMatch(/^<.+@.+>$/);
    expect(lastDelivered()).toEqual(message);
  });
});

describe('createMailer', () => {
  it('picks SMTP when SMTP_URL is set, the log transport otherwise', () => {
    expect(createMailer({ SMTP_URL: smtp.url }, silentLogger).transport).toBe('smtp');
    expect(createMailer({}, silentLogger).transport).toBe('log');
  });

  it('the log transport keeps only its last messages', async () => {
    const log = createLogMailer(silentLogger, 2);
    for (const subject of ['a', 'b', 'c']) await log.send({ ...message, subject });
    expect(log.sent.map((m) => m.subject)).toEqual(['b', 'c']);
  });

  it('SMTP reports a refusal for good as permanent, a server that is down as not', async () => {
    const mailer = createSmtpMailer(smtp.url);
    await expect(mailer.send({ ...message, to: 'nobody@example.com' })).rejects.toMatchObject({
      permanent: true,
    });
    const down = createSmtpMailer('smtp://127.0.0.1:1');
    const err = await down.send(message).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { permanent?: boolean }).permanent).not.toBe(true);
  });
});
