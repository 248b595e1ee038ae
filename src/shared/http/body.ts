import { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { AppError } from '../app-error.ts';

/** The Node request behind a context that @hono/node-server serves; undefined for in-process requests. */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof IncomingMessage ? incoming : undefined;
}

/** The 413 of a body over `maxSize` bytes: the same words whichever reader refused it. */
export const tooLarge = (maxSize: number) =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than ${maxSize >= 1024 * 1024 ? `${maxSize / (1024 * 1024)} MiB` : `${maxSize} bytes`}.`,
  );

/**
 * Reads the body of a request the Node server received, as text (UTF-8, a leading byte order mark dropped, as
 * `Request.text()` does), refusing more than `maxSize` bytes; a declared length over it is refused unread.
 * The text seeds Hono's body cache, so `c.req.text()` and `c.req.json()` never build a web `Request` and its
 * streams around the Node request: on a small JSON body that costs more than reading it.
 */
export async function readNodeBody(c: Context, incoming: IncomingMessage, maxSize: number): Promise<void> {
  const length = incoming.headers['content-length'];
  if (length !== undefined && incoming.headers['transfer-encoding'] === undefined) {
    if (Number.parseInt(length, 10) > maxSize) throw tooLarge(maxSize);
  }
  const text = await new Promise<string>((resolve, reject) => {
    if (incoming.readableEnded) return resolve('');
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxSize) {
        done();
        reject(tooLarge(maxSize));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const s = buf.toString('utf8');
      resolve(s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);
    };
    const onError = (e: unknown) => {
      done();
      reject(e);
    };
    const onClose = () => {
      done();
      reject(new AppError('VALIDATION_FAILED', 'The request body was cut short.'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
  // Hono keeps promises in its body cache (its type says the values).
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
}
