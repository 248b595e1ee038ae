/**
 * Mail: transactional emails. The events consumer `consumer` (subscribed as `mail`) writes order emails in the
 * relay's transaction; other modules queue their own with `enqueueEmail(tx, …)`; the worker's `mail.send`
 * task sends them through the `Mailer` port (SMTP with SMTP_URL, a log transport otherwise). See docs/emails.md.
 */
import type { PeriodicTask } from '../jobs/index.ts';
import { createMailService, type MailDeps } from './mail.service.ts';

export {
  createLogMailer,
  createMailer,
  createSmtpMailer,
  type LogMailer,
  type Mailer,
  type OutgoingEmail,
} from './mail.mailer.ts';
export {
  EMAIL_RETENTION_DAYS,
  leaseMsFor,
  MAX_SEND_ATTEMPTS,
  ORDER_EMAIL_KINDS,
  type OrderEmailKind,
  retryDelayMs,
  SEND_LEASE_MS,
} from './mail.rules.ts';
export { EmailSchema, serializeEmail } from './mail.serialize.ts';
export type { EnqueueEmailInput, MailEvent, MailService, SendOutcome } from './mail.service.ts';
export { escapeHtml } from './mail.templates.ts';

export function createMailModule(deps: MailDeps) {
  const service = createMailService(deps);
  const tasks: PeriodicTask[] = [
    { name: 'mail.send', run: () => service.sendDue() },
    { name: 'mail.retention', everyMs: 3_600_000, run: () => service.deleteExpired() },
  ];
  return {
    mailer: deps.mailer,
    /** The events consumer: subscribe it as `mail`. */
    consumer: service.consumer,
    enqueueEmail: service.enqueueEmail,
    sendDue: service.sendDue,
    deleteExpired: service.deleteExpired,
    emailsOfOrder: service.emailsOfOrder,
    tasks,
  };
}

export type MailModule = ReturnType<typeof createMailModule>;
