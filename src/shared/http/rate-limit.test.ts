import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openRedis } from '../redis.ts';
import {
  leaseSize,
  memoryRateLimiter,
  quickTake,
  type RateLimiter,
  rateLimitHeaders,
  redisRateLimiter,
  signInLimiters,
} from './rate-limit.ts';

async function drain(limiter: RateLimiter, key: string) {
  const seen = [];
  for (let i = 0; i < 4; i++) seen.push(await limiter.take(key));
  return seen;
}

describe('rate limiters report what is left', () => {
  it('in memory: remaining counts down to a refusal with its wait, and the headers follow the draft', async () => {
    let now = 0;
    const limiter = memoryRateLimiter({ perSecond: 1, burst: 3, now: () => now });
    const [a, b, c, d] = await drain(limiter, 'k');
    expect([a!.remaining, b!.remaining, c!.remaining]).toEqual([2, 1, 0]);
    expect(d).toEqual({ wait: 1, remaining: 0, reset: 3 });
    expect(rateLimitHeaders(limiter.policy, a!)).toEqual({
      'RateLimit-Policy': '"default";q=3;w=3',
      RateLimit: '"default";r=2;t=1',
    });
    now = 3000;
    expect((await limiter.take('k')).remaining).toBe(2);
  });

  it.runIf(process.env.REDIS_URL)('on Redis: the same numbers', async () => {
    const redis = openRedis(process.env.REDIS_URL!);
    try {
      const limiter = redisRateLimiter(redis, { perSecond: 0.001, burst: 3 });
      const [a, b, c, d] = await drain(limiter, `test:${randomUUID()}`);
      expect([a!.remaining, b!.remaining, c!.remaining]).toEqual([2, 1, 0]);
      expect(d!.wait).toBeGreaterThan(0);
      expect(d!.remaining).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it.runIf(process.env.REDIS_URL)(
    'on Redis, a large budget is taken a lease at a time: later requests answer from memory, and another process sees the lease gone',
    async () => {
      const r1 = openRedis(process.env.REDIS_URL!);
      const r2 = openRedis(process.env.REDIS_URL!);
      try {
        const opts = { perSecond: 0.001, burst: 1000 };
        const lease = leaseSize(opts.burst);
        expect(lease).toBeGreaterThan(1);
        const a = redisRateLimiter(r1, opts);
        const b = redisRateLimiter(r2, opts);
        const key = `test:${randomUUID()}`;
        expect(a.takeLocal!(key)).toBeUndefined(); // nothing held yet
        const first = await a.take(key);
        expect(first).toMatchObject({ wait: 0, remaining: opts.burst - 1 });
        // The rest of the lease is spent without Redis: synchronously.
        const quick = quickTake(a);
        const second = quick(key);
        expect(second).not.toBeInstanceOf(Promise);
        expect(second).toMatchObject({ wait: 0, remaining: opts.burst - 2 });
        // The other process's first token comes after the whole lease of the first.
        expect((await b.take(key)).remaining).toBe(opts.burst - 2 * lease + lease - 1);
        // Concurrent requests share one round trip and still each get their own token.
        const many = await Promise.all(Array.from({ length: lease * 2 }, () => b.take(key)));
        expect(many.every((d) => d.wait === 0)).toBe(true);
        expect(new Set(many.map((d) => d.remaining)).size).toBe(many.length);
      } finally {
        r1.disconnect();
        r2.disconnect();
      }
    },
  );

  it.runIf(process.env.REDIS_URL)(
    'on Redis: the sign-in limiters keep separate buckets under their own keys',
    async () => {
      const redis = openRedis(process.env.REDIS_URL!);
      try {
        const limits = signInLimiters({ redis, perAccount: 2, perAddress: 2 });
        const key = `ip:${randomUUID()}`;
        const staff = await drain(limits.staffAddress, key);
        expect(staff.map((d) => d.wait > 0)).toEqual([false, false, true, true]);
        // The same address on the customers' limiters (and the API's) is untouched by the staff attempts.
        expect((await limits.customerAddress.take(key)).remaining).toBe(1);
        expect((await limits.customerAccount.take(key)).remaining).toBe(1);
        expect((await redisRateLimiter(redis, { perSecond: 1, burst: 2 }).take(key)).remaining).toBe(1);
        const keys = (await redis.keys(`rl:*${key}`)).sort();
        expect(keys).toEqual(
          [
            `rl:${key}`,
            `rl:signin:customer:account:${key}`,
            `rl:signin:customer:address:${key}`,
            `rl:signin:staff:address:${key}`,
          ].sort(),
        );
        await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    },
  );

  it('in memory: the sign-in limiters keep separate buckets', async () => {
    const limits = signInLimiters({ redis: null, perAccount: 2, perAddress: 2 });
    await drain(limits.staffAddress, 'ip:1');
    expect((await limits.customerAddress.take('ip:1')).remaining).toBe(1);
  });
});
