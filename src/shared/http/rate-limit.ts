import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { AppError } from '../app-error.ts';
import type { AppEnv } from './env.ts';

/** Answers how long to wait (seconds) before the next request of `key` is allowed, or 0 when allowed now. */
export interface RateLimiter {
  take(key: string): Promise<number>;
  /** Same as `take`, synchronously, when the limiter keeps its state in this process. */
  takeSync?(key: string): number;
}

/** Token bucket per key, in process memory: the default for one process. */
export function memoryRateLimiter(opts: {
  perSecond: number;
  burst: number;
  now?: () => number;
}): RateLimiter {
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const takeSync = (key: string): number => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: opts.burst, at: t };
    b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
    b.at = t;
    buckets.set(key, b);
    if (buckets.size > 100_000) buckets.clear(); // bounded memory under key-guessing floods
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond));
  };
  return { takeSync, take: async (key) => takeSync(key) };
}

/**
 * Token bucket shared by every process through Redis (one Lua call per request, atomic).
 * If Redis is unreachable the request is let through: rate limiting must not take the store down.
 */
export function redisRateLimiter(redis: Redis, opts: { perSecond: number; burst: number }): RateLimiter {
  const script = `
local rate = tonumber(ARGV[1]); local burst = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(b[1]) or burst; local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', tokens, 'a', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait`;
  return {
    async take(key) {
      try {
        const wait = (await redis.eval(
          script,
          1,
          `rl:${key}`,
          opts.perSecond,
          opts.burst,
          Date.now(),
        )) as number;
        return wait > 0 ? Math.max(1, wait) : 0;
      } catch {
        return 0;
      }
    },
  };
}

/** Limits per API key; must run after authentication. */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get('auth');
    const wait = await limiter.take(auth ? auth.keyId : `ip:${c.req.header('x-forwarded-for') ?? 'local'}`);
    if (wait > 0) {
      throw new AppError('RATE_LIMITED', `Too many requests; retry in ${wait} s.`, {
        headers: { 'Retry-After': String(wait) },
      });
    }
    await next();
  };
}
