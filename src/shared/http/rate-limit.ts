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
  /**
   * A token from what this process already holds for the key (a shared limiter's lease), synchronously;
   * undefined when it holds none, and then `take` asks the shared store.
   */
  takeLocal?(key: string): RateDecision | undefined;
}

/** The quickest way to take a token: synchronous when the limiter can answer from this process. */
export function quickTake(limiter: RateLimiter): (key: string) => RateDecision | Promise<RateDecision> {
  if (limiter.takeSync) return limiter.takeSync;
  const { takeLocal } = limiter;
  if (!takeLocal) return (key) => limiter.take(key);
  return (key) => takeLocal(key) ?? limiter.take(key);
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

/** How long a process may keep tokens it took from Redis and has not used: they are lost after it. */
const LEASE_MS = 250;

/**
 * How many tokens a process takes from Redis per round trip: one for small budgets (exact across
 * processes), up to 100 for large ones. A process can keep at most this many unused for LEASE_MS, so the
 * other processes see the budget at most that much smaller: 2% of the burst.
 */
export function leaseSize(burst: number): number {
  return Math.max(1, Math.min(100, Math.floor(burst / 50)));
}

const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1]); local burst = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(b[1]) or burst; local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local wait = 0; local got = 0
if tokens >= 1 then got = math.min(want, math.floor(tokens)); tokens = tokens - got
else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', tokens, 'a', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {wait, tostring(tokens), got}`;

type TakeCommand = (key: string, rate: number, burst: number, now: number, want: number) => Promise<unknown>;

/**
 * Token bucket shared by every process through Redis (one atomic script call, by its SHA). A process takes
 * a small lease of tokens per call (`leaseSize`) and spends it locally, so a busy key costs one round trip
 * per lease, not per request; concurrent requests of a key share one call.
 * If Redis is unreachable the request is let through: rate limiting must not take the store down.
 */
export function redisRateLimiter(
  redis: Redis,
  /** Keys are `rl:<namespace>:<key>` (`rl:<key>` without a namespace). */
  opts: { perSecond: number; burst: number; namespace?: string },
): RateLimiter {
  const prefix = opts.namespace ? `rl:${opts.namespace}:` : 'rl:';
  redis.defineCommand('crowdstartRateTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const command = (redis as unknown as { crowdstartRateTake: TakeCommand }).crowdstartRateTake.bind(redis);
  const want = leaseSize(opts.burst);
  /** Tokens this process holds per key, until `until`, and what Redis had left when they were taken. */
  const leases = new Map<string, { tokens: number; until: number; shared: number }>();
  const calls = new Map<string, Promise<RateDecision | null>>();

  function takeLocal(key: string): RateDecision | undefined {
    const lease = leases.get(key);
    if (!lease || lease.tokens < 1) return undefined;
    if (lease.until <= Date.now()) {
      leases.delete(key);
      return undefined;
    }
    lease.tokens -= 1;
    return decide(lease.shared + lease.tokens, opts, 0);
  }

  /** One round trip: stores the lease it got; answers the refusal when Redis had no token, else null. */
  async function fetchLease(key: string): Promise<RateDecision | null> {
    try {
      const now = Date.now();
      const [wait, left, got] = (await command(`${prefix}${key}`, opts.perSecond, opts.burst, now, want)) as [
        number,
        string,
        number,
      ];
      const shared = Number(left);
      if (got < 1) return decide(shared, opts, Math.max(1, wait));
      if (leases.size > 100_000) leases.clear(); // bounded memory under key-guessing floods
      leases.set(key, { tokens: got, until: now + LEASE_MS, shared });
      return null;
    } catch {
      return decide(opts.burst, opts, 0);
    }
  }

  return {
    policy: policyOf(opts),
    takeLocal,
    async take(key) {
      for (;;) {
        const local = takeLocal(key);
        if (local) return local;
        let call = calls.get(key);
        if (!call) {
          call = fetchLease(key).finally(() => calls.delete(key));
          calls.set(key, call);
        }
        const answer = await call;
        if (answer) return answer;
        // A lease arrived; if the requests waiting for it used it up, the loop asks for another.
      }
    },
  };
}

/**
 * The sign-in limiters of customers (per account and per address) and staff (per address): one policy,
 * each in its own Redis namespace so that none spends another's budget or the API's per-address one.
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
