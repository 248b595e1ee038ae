import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { AppError } from '../app-error.ts';
import type { AppEnv } from './env.ts';

/** One request's answer from the limiter: seconds to wait (0 = allowed), tokens left, seconds to a full bucket. */
export interface RateDecision {
  wait: number;
  remaining: number;
  reset: number;
}

export interface RateLimiter {
  /** The quota, for the `RateLimit-Policy` header: a burst of `burst` requests, refilled over `windowSeconds`. */
  readonly policy: { burst: number; windowSeconds: number };
  take(key: string): Promise<RateDecision>;
  /** Same as `take`, synchronously, when the limiter keeps its state in this process. */
  takeSync?(key: string): RateDecision;
}

const policyOf = (opts: { perSecond: number; burst: number }) => ({
  burst: opts.burst,
  windowSeconds: Math.max(1, Math.ceil(opts.burst / opts.perSecond)),
});

function decide(tokens: number, opts: { perSecond: number; burst: number }, wait: number): RateDecision {
  return {
    wait,
    remaining: Math.max(0, Math.floor(tokens)),
    reset: Math.max(wait, Math.ceil((opts.burst - tokens) / opts.perSecond)),
  };
}

/**
 * The IETF rate-limit headers (draft-ietf-httpapi-ratelimit-headers): the policy, and what is left of it.
 * Every rate-limited response carries them, from the router and from the catalog fast path alike.
 */
export function rateLimitHeaders(policy: RateLimiter['policy'], d: RateDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `"default";q=${policy.burst};w=${policy.windowSeconds}`,
    RateLimit: `"default";r=${d.remaining};t=${d.reset}`,
  };
}

/** Token bucket per key, in process memory: the default for one process. */
export function memoryRateLimiter(opts: {
  perSecond: number;
  burst: number;
  now?: () => number;
}): RateLimiter {
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const takeSync = (key: string): RateDecision => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: opts.burst, at: t };
    b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
    b.at = t;
    buckets.set(key, b);
    if (buckets.size > 100_000) buckets.clear(); // bounded memory under key-guessing floods
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return decide(b.tokens, opts, 0);
    }
    return decide(b.tokens, opts, Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond)));
  };
  return { policy: policyOf(opts), takeSync, take: async (key) => takeSync(key) };
}

/**
 * Token bucket shared by every process through Redis (one Lua call per request, atomic).
 * If Redis is unreachable the request is let through: rate limiting must not take the store down.
 */
export function redisRateLimiter(
  redis: Redis,
  opts: {
    perSecond: number;
    burst: number /** Keys are `rl:<namespace>:<key>` (`rl:<key>` without). */;
    namespace?: string;
  },
): RateLimiter {
  const prefix = opts.namespace ? `rl:${opts.namespace}:` : 'rl:';
  const script = `
local rate = tonumber(ARGV[1]); local burst = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(b[1]) or burst; local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', tokens, 'a', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {wait, tostring(tokens)}`;
  return {
    policy: policyOf(opts),
    async take(key) {
      try {
        const [wait, tokens] = (await redis.eval(
          script,
          1,
          `${prefix}${key}`,
          opts.perSecond,
          opts.burst,
          Date.now(),
        )) as [number, string];
        return decide(Number(tokens), opts, wait > 0 ? Math.max(1, wait) : 0);
      } catch {
        return decide(opts.burst, opts, 0);
      }
    },
  };
}

/**
 * The sign-in limiters, built in one place with one policy (per minute): customers per account and per client
 * address, staff per client address. On Redis each has its own namespace, so none shares a bucket with another
 * or with the API's limit (which keys by API key or `ip:` address under `rl:`).
 */
export function signInLimiters(deps: {
  redis: Redis | null | undefined;
  perAccount: number;
  perAddress: number;
}) {
  const make = (namespace: string, perMinute: number) => {
    const opts = { perSecond: perMinute / 60, burst: perMinute };
    return deps.redis ? redisRateLimiter(deps.redis, { ...opts, namespace }) : memoryRateLimiter(opts);
  };
  return {
    customerAccount: make('signin:customer:account', deps.perAccount),
    customerAddress: make('signin:customer:address', deps.perAddress),
    staffAddress: make('signin:staff:address', deps.perAddress),
  };
}

/** Limits per API key; must run after authentication. */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get('auth');
    const decision = await limiter.take(
      auth ? auth.keyId : `ip:${c.req.header('x-forwarded-for') ?? 'local'}`,
    );
    const headers = rateLimitHeaders(limiter.policy, decision);
    if (decision.wait > 0) {
      throw new AppError('RATE_LIMITED', `Too many requests; retry in ${decision.wait} s.`, {
        headers: { 'Retry-After': String(decision.wait), ...headers },
      });
    }
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    await next();
  };
}
