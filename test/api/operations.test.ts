import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { testApp } from '../support/harness.ts';

/** Suites that need Redis run when REDIS_URL is set; under CI a missing Redis fails instead of skipping. */
const REDIS_URL = process.env.REDIS_URL;
if (process.env.CI === 'true' && !REDIS_URL)
  throw new Error('CI=true but REDIS_URL is not set: the Redis suites cannot run');

describe('configuration', () => {
  it('reports one clear line per bad variable', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        CROWDSTART_ROOT_TOKEN: 'short',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems).toHaveLength(4);
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'CROWDSTART_ROOT_TOKEN',
        'DATABASE_URL',
        'LOG_LEVEL',
        'PORT',
      ]);
    }
  });

  it('applies defaults with no environment at all', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.CROWDSTART_DATA_DIR).toBe('./.crowdstart');
  });
});

describe('request ids and trace context', () => {
  it('propagates a sane X-Request-Id and a W3C traceparent trace id', async () => {
    const t = await testApp();
    const r = await t.request('GET', '/healthz', {
      headers: {
        'x-request-id': 'abc-123',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    expect(r.headers.get('traceparent')).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    const bad = await t.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{24}$/);
    const missing = await t.request('GET', '/v1/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      code: 'ROUTE_NOT_FOUND',
      request_id: missing.headers.get('x-request-id'),
    });
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the burst of a key', async () => {
    const t = await testApp({ env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' } });
    const s = await t.createStore();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await t.request('GET', '/v1/store', { key: s.sk });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.json.error.code).toBe('RATE_LIMITED');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it.runIf(REDIS_URL)('shares the budget of a key across processes through Redis', async () => {
    const { Redis } = await import('ioredis');
    const { redisRateLimiter } = await import('../../src/shared/http/rate-limit.ts');
    // two connections stand for two API processes
    const r1 = new Redis(REDIS_URL!);
    const r2 = new Redis(REDIS_URL!);
    const a = redisRateLimiter(r1, { perSecond: 1, burst: 4 });
    const b = redisRateLimiter(r2, { perSecond: 1, burst: 4 });
    const keyId = `shared-${Date.now()}-${Math.random()}`;
    const waits = [
      await a.take(keyId),
      await b.take(keyId),
      await a.take(keyId),
      await b.take(keyId),
      await a.take(keyId),
    ].map((d) => d.wait);
    r1.disconnect();
    r2.disconnect();
    expect(waits.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(waits[4]).toBeGreaterThanOrEqual(1);
  });
});
