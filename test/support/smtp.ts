import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  envelope: { from: string; to: string[] };
  mail: ParsedMail;
  /** The X-Crowdstart-Email-Id header. */
  emailId: string | undefined;
}

/**
 * A real SMTP server on 127.0.0.1 (no TLS, no auth) that parses what it receives. `stop()` and `start()`
 * take it down and bring it back on the same port, for the outage tests.
 */
export async function startSmtpServer(opts: { rejectRecipients?: RegExp } = {}) {
  const received: ReceivedEmail[] = [];
  let port = 0;
  let server: SMTPServer | null = null;

  function build() {
    return new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (opts.rejectRecipients?.test(address.address)) {
          const err = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
          callback(err);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const header = mail.headers.get('x-crowdstart-email-id');
            received.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              mail,
              emailId: typeof header === 'string' ? header : undefined,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
  }

  async function start() {
    const s = build();
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  }

  async function stop() {
    const s = server;
    server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await start();
  return {
    received,
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    start,
    stop,
  };
}

export type SmtpTestServer = Awaited<ReturnType<typeof startSmtpServer>>;
