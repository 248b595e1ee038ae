import { randomBytes } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { Logger } from '../../shared/logger.ts';

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

/**
 * The mail port: hands one message to a transport. Resolves once the transport accepted it; rejects with an
 * error whose `permanent` is true when the server refused the message for good (retrying would not help).
 */
export interface Mailer {
  readonly transport: 'smtp' | 'log';
  send(msg: OutgoingEmail): Promise<{ messageId: string }>;
}

/** The log transport keeps the last messages it was given, for development and tests to read. */
export interface LogMailer extends Mailer {
  readonly transport: 'log';
  /** The most recent messages, oldest first (at most `keep`). */
  readonly sent: ReadonlyArray<OutgoingEmail & { messageId: string }>;
}

/**
 * SMTP timeouts. `send` bounds a whole send (connect, greeting, every command, the data), well under the claim
 * lease of `mail.send` (mail.rules.ts): a send that hangs is aborted before the lease runs out, so another
 * worker never picks the same email up while it is still in flight.
 */
export const SMTP_TIMEOUTS_MS = {
  connection: 15_000,
  greeting: 15_000,
  socket: 60_000,
  send: 120_000,
} as const;

/** A mailer that logs each message (to, subject) instead of sending it; keeps the last `keep`. */
export function createLogMailer(logger: Logger, keep = 100): LogMailer {
  const sent: Array<OutgoingEmail & { messageId: string }> = [];
  return {
    transport: 'log',
    sent,
    async send(msg) {
      const messageId = `<${randomBytes(12).toString('hex')}@log.crowdstart>`;
      sent.push({ ...msg, messageId });
      if (sent.length > keep) sent.splice(0, sent.length - keep);
      logger.info({ to: msg.to, from: msg.from, subject: msg.subject, message_id: messageId }, 'email (log)');
      return { messageId };
    },
  };
}

/** A mailer that sends through the SMTP server at `url` (`smtp://` or `smtps://`, credentials in the URL). */
export function createSmtpMailer(url: string, sendTimeoutMs: number = SMTP_TIMEOUTS_MS.send): Mailer {
  const transport = createTransport({
    url,
    connectionTimeout: Math.min(SMTP_TIMEOUTS_MS.connection, sendTimeoutMs),
    greetingTimeout: Math.min(SMTP_TIMEOUTS_MS.greeting, sendTimeoutMs),
    socketTimeout: Math.min(SMTP_TIMEOUTS_MS.socket, sendTimeoutMs),
  });
  return {
    transport: 'smtp',
    async send(msg) {
      const info = await transport.sendMail({
        from: msg.from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        html: msg.html,
        headers: msg.headers,
        signal: AbortSignal.timeout(sendTimeoutMs),
      });
      return { messageId: info.messageId };
    },
  };
}

/** SMTP when `SMTP_URL` is set, the log transport otherwise. */
export function createMailer(
  config: { SMTP_URL?: string; MAIL_SEND_TIMEOUT_SECONDS?: number },
  logger: Logger,
): Mailer {
  return config.SMTP_URL
    ? createSmtpMailer(config.SMTP_URL, (config.MAIL_SEND_TIMEOUT_SECONDS ?? 120) * 1000)
    : createLogMailer(logger);
}
