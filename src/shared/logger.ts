import pino from 'pino';

export type Logger = pino.Logger;

const WARN = 40;

/**
 * JSON logs on stdout at two speeds. Warnings and errors are written synchronously, at once: a stack trace
 * shows up when it happens and survives a crash that follows. Everything else (the access log) is batched
 * in 4 KB writes, flushed at least every second and on exit. Before an immediate line the batch is flushed
 * first, so stdout keeps the order in which lines were logged.
 */
export function createLogger(level: string, fd = 1): Logger {
  const batched = pino.destination({ dest: fd, sync: false, minLength: 4096 });
  // Synchronous, and retries when the pipe is full (EAGAIN) instead of throwing.
  const immediate = pino.destination({ dest: fd, sync: true });
  let pending = false;
  const everySecond = setInterval(() => {
    if (!pending) return;
    pending = false;
    batched.flush();
  }, 1000);
  everySecond.unref();
  // pino sets `lastLevel` before each write on a stream that asks for metadata.
  const stream = {
    [pino.symbols.needsMetadataGsym]: true as const,
    lastLevel: 0,
    write(line: string) {
      if (this.lastLevel < WARN) {
        pending = true;
        batched.write(line);
        return;
      }
      batched.flushSync();
      immediate.write(line);
    },
    flush(cb?: (err?: Error) => void) {
      batched.flush(cb);
    },
    flushSync() {
      batched.flushSync();
    },
  };
  return pino(
    { level, base: { service: 'crowdstart' }, timestamp: pino.stdTimeFunctions.isoTime },
    stream as pino.DestinationStream,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
