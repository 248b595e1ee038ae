import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino(
    { level, base: { service: 'crowdstart' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ sync: false, minLength: 4096 }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
