import ipaddr from 'ipaddr.js';

/**
 * Pure rules of webhook delivery: the retry schedule, when an endpoint is given up on, which addresses a
 * delivery may reach, and how claimed work is shared between endpoints. No I/O here.
 */

// ------------------------------------------------------------------------------------ retries

/**
 * Pause before each retry, after attempt 1, 2, …: the Standard Webhooks schedule. Attempt 1 goes out at once;
 * after the 8th failed attempt the delivery is `failed` (about 33 hours after the event).
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** ±10 %: retries of many deliveries that failed together (an endpoint outage) do not all come back at once. */
export const RETRY_JITTER = 0.1;

/**
 * When the next attempt may start after `attemptsMade` failed attempts, or null when there is none left.
 * `random` is in [0, 1): 0.5 gives the schedule's exact pause.
 */
export function nextRetryAt(attemptsMade: number, now: Date, random: number): Date | null {
  if (attemptsMade < 1 || attemptsMade >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[attemptsMade - 1]!;
  const factor = 1 + RETRY_JITTER * (2 * random - 1);
  return new Date(now.getTime() + Math.round(base * factor));
}

/** An endpoint that has not answered a 2xx for this long, while failing all along, is disabled. */
export const DISABLE_AFTER_FAILING_MS = 3 * 24 * 3_600_000;

export type AttemptResult = { status: number; error?: undefined } | { status?: undefined; error: string };

/** A 2xx is success; anything else (3xx included: redirects are not followed) is a failure. */
export const isSuccess = (r: AttemptResult) => r.status !== undefined && r.status >= 200 && r.status < 300;

export interface AttemptPlan {
  state: 'succeeded' | 'pending' | 'failed';
  nextAttemptAt: Date | null;
  /** Disable the endpoint: it answered 410 Gone, or it has failed for three days straight. */
  disableEndpoint: 'gone' | 'failing' | null;
}

/** What follows an attempt: the delivery's next state, and whether the endpoint is given up on. */
export function planAfterAttempt(input: {
  result: AttemptResult;
  attemptsMade: number;
  now: Date;
  random: number;
  /** The endpoint's `failing_since` before this attempt (null: its last attempt succeeded). */
  failingSince: Date | null;
}): AttemptPlan {
  if (isSuccess(input.result)) return { state: 'succeeded', nextAttemptAt: null, disableEndpoint: null };
  if (input.result.status === 410) return { state: 'failed', nextAttemptAt: null, disableEndpoint: 'gone' };
  const since = input.failingSince ?? input.now;
  const failingTooLong = input.now.getTime() - since.getTime() >= DISABLE_AFTER_FAILING_MS;
  const next = nextRetryAt(input.attemptsMade, input.now, input.random);
  return {
    state: next && !failingTooLong ? 'pending' : 'failed',
    nextAttemptAt: failingTooLong ? null : next,
    disableEndpoint: failingTooLong ? 'failing' : null,
  };
}

// ------------------------------------------------------------------------------------ events

/** Whether an endpoint listening to `enabled` (types, or `*`) receives an event of `type`. */
export const listensTo = (enabled: readonly string[], type: string) =>
  enabled.includes('*') || enabled.includes(type);

// ------------------------------------------------------------------------------------ SSRF

/**
 * Which non-public addresses deliveries may reach (`WEBHOOK_ALLOW_PRIVATE`): `none` in production;
 * `loopback` for local development and tests; `private` adds RFC 1918, unique-local and CGNAT networks
 * (a receiver on the same private network); `all` also link-local (cloud metadata) and other special ranges.
 */
export type PrivateAddressPolicy = 'none' | 'loopback' | 'private' | 'all';

export type AddressClass = 'public' | 'loopback' | 'private' | 'special';

const PRIVATE_RANGES: ReadonlySet<string> = new Set(['private', 'uniqueLocal', 'carrierGradeNat']);

/**
 * The class of an IP address. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it maps.
 * Link-local (169.254/16 with the metadata service, fe80::/10), 0.0.0.0/8, multicast, broadcast and the
 * reserved ranges are `special`; anything that is not plain unicast is too. Not an address: null.
 */
export function classifyAddress(ip: string): AddressClass | null {
  const literal = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(literal)) return null;
  const addr = ipaddr.process(literal);
  const range = addr.range();
  if (range === 'unicast') return 'public';
  if (range === 'loopback') return 'loopback';
  if (PRIVATE_RANGES.has(range)) return 'private';
  return 'special';
}

const ALLOWED: Record<PrivateAddressPolicy, ReadonlySet<AddressClass>> = {
  none: new Set(['public']),
  loopback: new Set(['public', 'loopback']),
  private: new Set(['public', 'loopback', 'private']),
  all: new Set(['public', 'loopback', 'private', 'special']),
};

export function isAddressAllowed(ip: string, policy: PrivateAddressPolicy): boolean {
  const c = classifyAddress(ip);
  return c !== null && ALLOWED[policy].has(c);
}

const ADDRESS_WORDS: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  special: 'a link-local, multicast or reserved address',
};

export const refusedAddressMessage = (ip: string) => {
  const c = classifyAddress(ip);
  return `The URL's host ${c && c !== 'public' ? `is ${ADDRESS_WORDS[c]}` : 'is not an address'} (${ip}); webhooks go to public addresses only.`;
};

/** Host names that always mean this machine, whatever a resolver says. */
const LOOPBACK_NAMES = /^(localhost|localhost\.localdomain)\.?$|\.localhost\.?$/i;

export type UrlCheck =
  | { ok: true; url: URL; host: string; literal: boolean }
  | { ok: false; message: string };

/**
 * The checks of a webhook URL that need no DNS: scheme (`https`, or `http` in test mode), no credentials,
 * and an IP-literal host (or `localhost`) in an allowed range. Names are resolved and checked again at
 * delivery time (webhooks.net.ts).
 */
export function checkWebhookUrl(
  raw: string,
  opts: { livemode: boolean; policy: PrivateAddressPolicy },
): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'The URL is not a valid absolute URL.' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: 'Webhook URLs must use https (or http in test mode).' };
  }
  if (opts.livemode && url.protocol !== 'https:') {
    return { ok: false, message: 'Live-mode webhook URLs must use https.' };
  }
  if (url.username || url.password) {
    return { ok: false, message: 'Webhook URLs must not carry credentials; verify the signature instead.' };
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (LOOPBACK_NAMES.test(host)) {
    if (!ALLOWED[opts.policy].has('loopback')) {
      return {
        ok: false,
        message: 'The URL points at this machine (localhost); webhooks go to public hosts.',
      };
    }
    return { ok: true, url, host, literal: false };
  }
  const literal = classifyAddress(host) !== null;
  if (literal && !isAddressAllowed(host, opts.policy)) {
    return { ok: false, message: refusedAddressMessage(host) };
  }
  return { ok: true, url, host, literal };
}

/** How long an old secret keeps signing beside the new one after a rotation. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

/** The endpoint secrets that sign a delivery at `now`: the current one, and the previous during its overlap. */
export function signingSecrets(e: {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  now: Date;
}): string[] {
  const out = [e.secret];
  if (
    e.previousSecret &&
    e.previousSecretExpiresAt &&
    e.previousSecretExpiresAt.getTime() > e.now.getTime()
  ) {
    out.push(e.previousSecret);
  }
  return out;
}
