import { describe, expect, it } from 'vitest';
import {
  checkWebhookUrl,
  classifyAddress,
  DISABLE_AFTER_FAILING_MS,
  isAddressAllowed,
  MAX_ATTEMPTS,
  nextRetryAt,
  type PrivateAddressPolicy,
  planAfterAttempt,
  signingSecrets,
} from './webhooks.rules.ts';

const t0 = new Date('2026-11-01T00:00:00Z');
const s = 1000;
const min = 60 * s;
const h = 60 * min;

describe('retry schedule', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => nextRetryAt(n, t0, 0.5)!.getTime() - t0.getTime());
    expect(delays).toEqual([5 * s, 5 * min, 30 * min, 2 * h, 5 * h, 10 * h, 10 * h]);
    expect(MAX_ATTEMPTS).toBe(8);
    expect(nextRetryAt(8, t0, 0.5)).toBeNull();
    expect(nextRetryAt(0, t0, 0.5)).toBeNull();
  });

  it('jitters each pause by at most ±10 %', () => {
    expect(nextRetryAt(2, t0, 0)!.getTime() - t0.getTime()).toBe(0.9 * 5 * min);
    expect(nextRetryAt(2, t0, 0.999999)!.getTime() - t0.getTime()).toBeCloseTo(1.1 * 5 * min, -2);
  });
});

describe('after an attempt', () => {
  const base = { attemptsMade: 1, now: t0, random: 0.5, failingSince: null };

  it('a 2xx succeeds; a 3xx, a 5xx or a network error retries', () => {
    expect(planAfterAttempt({ ...base, result: { status: 204 } }).state).toBe('succeeded');
    for (const result of [{ status: 302 }, { status: 500 }, { error: 'ECONNREFUSED' }] as const) {
      const p = planAfterAttempt({ ...base, result });
      expect(p).toEqual({
        state: 'pending',
        nextAttemptAt: new Date(t0.getTime() + 5 * s),
        disableEndpoint: null,
      });
    }
  });

  it('410 Gone fails the delivery and disables the endpoint at once', () => {
    expect(planAfterAttempt({ ...base, result: { status: 410 } })).toEqual({
      state: 'failed',
      nextAttemptAt: null,
      disableEndpoint: 'gone',
    });
  });

  it('the 8th failure is final', () => {
    expect(planAfterAttempt({ ...base, attemptsMade: 8, result: { status: 500 } }).state).toBe('failed');
  });

  it('three days of failures disable the endpoint; a day less does not', () => {
    const since = (ms: number) => new Date(t0.getTime() - ms);
    const late = planAfterAttempt({
      ...base,
      result: { status: 500 },
      failingSince: since(DISABLE_AFTER_FAILING_MS),
    });
    expect(late).toEqual({ state: 'failed', nextAttemptAt: null, disableEndpoint: 'failing' });
    const early = planAfterAttempt({ ...base, result: { status: 500 }, failingSince: since(2 * 24 * h) });
    expect(early.disableEndpoint).toBeNull();
    expect(early.state).toBe('pending');
  });
});

describe('addresses', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'special'],
    ['fe80::1', 'special'],
    ['0.0.0.0', 'special'],
    ['0.1.2.3', 'special'],
    ['224.0.0.1', 'special'],
    ['ff02::1', 'special'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'special'],
    ['[::1]', 'loopback'],
    ['172.32.0.1', 'public'],
    ['example.com', null],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it('the policy widens step by step', () => {
    expect(isAddressAllowed('127.0.0.1', 'none')).toBe(false);
    expect(isAddressAllowed('127.0.0.1', 'loopback')).toBe(true);
    expect(isAddressAllowed('10.0.0.1', 'loopback')).toBe(false);
    expect(isAddressAllowed('10.0.0.1', 'private')).toBe(true);
    expect(isAddressAllowed('169.254.169.254', 'private')).toBe(false);
    expect(isAddressAllowed('169.254.169.254', 'all')).toBe(true);
    expect(isAddressAllowed('8.8.8.8', 'none')).toBe(true);
  });
});

describe('webhook URLs', () => {
  const test = { livemode: false, policy: 'none' as const };
  const live = { livemode: true, policy: 'none' as const };
  const refused = (raw: string, o: { livemode: boolean; policy: PrivateAddressPolicy } = test) => {
    const r = checkWebhookUrl(raw, o);
    return r.ok ? null : r.message;
  };

  it('takes https everywhere and http in test mode only', () => {
    expect(refused('https://example.com/hook', live)).toBeNull();
    expect(refused('http://example.com/hook')).toBeNull();
    expect(refused('http://example.com/hook', live)).toMatch(/must use https/);
    expect(refused('ftp://example.com/hook')).toMatch(/https/);
    expect(refused('not a url')).toMatch(/valid absolute URL/);
  });

  it('refuses credentials, localhost and private literals unless allowed', () => {
    expect(refused('https://user:pw@example.com/')).toMatch(/credentials/);
    expect(refused('http://localhost:3000/')).toMatch(/localhost/);
    expect(refused('http://app.localhost/')).toMatch(/localhost/);
    expect(refused('http://127.0.0.1:3000/')).toMatch(/loopback/);
    expect(refused('http://[::1]:3000/')).toMatch(/loopback/);
    expect(refused('http://10.0.0.5/')).toMatch(/private/);
    expect(refused('http://169.254.169.254/latest/meta-data')).toMatch(/link-local/);
    expect(refused('http://[::ffff:7f00:1]/')).toMatch(/loopback/);
    expect(refused('http://127.0.0.1:3000/', { livemode: false, policy: 'loopback' })).toBeNull();
    expect(refused('http://localhost:3000/', { livemode: false, policy: 'loopback' })).toBeNull();
  });
});

describe('signing secrets', () => {
  it('signs with the previous secret too until its overlap ends', () => {
    const e = { secret: 'new', previousSecret: 'old', previousSecretExpiresAt: new Date(t0.getTime() + h) };
    expect(signingSecrets({ ...e, now: t0 })).toEqual(['new', 'old']);
    expect(signingSecrets({ ...e, now: new Date(t0.getTime() + h) })).toEqual(['new']);
    expect(signingSecrets({ ...e, previousSecret: null, now: t0 })).toEqual(['new']);
  });
});
