import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './db.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises refused, cut and timed-out connections and a server going away', () => {
    for (const e of [
      withCode('ECONNREFUSED'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      withCode('08001'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      new Error('Failed query: select 1', { cause: withCode('ECONNREFUSED') }),
      Object.assign(new AggregateError([withCode('ECONNREFUSED')]), { code: undefined }),
    ]) {
      expect(isDatabaseUnavailable(e), String(e)).toBe(true);
    }
  });

  it('leaves query errors alone', () => {
    for (const e of [
      withCode('23505', 'duplicate key'),
      withCode('40001'),
      withCode('22P05', 'unsupported Unicode escape sequence'),
      new Error('boom'),
      null,
      undefined,
    ]) {
      expect(isDatabaseUnavailable(e), String(e)).toBe(false);
    }
  });
});
