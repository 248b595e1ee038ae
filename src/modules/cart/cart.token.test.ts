import { webcrypto } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/app-error.ts';
import { newId } from '../../shared/ids.ts';
import { type CartState, lineTitle, mergeLines, withLineQty } from './cart.rules.ts';
import { loadingKeyRing, parseSigningKeys, signCartToken, verifyCartToken } from './cart.token.ts';

const SECRET_A = 'a'.repeat(40);
const SECRET_B = 'b'.repeat(40);
const now = new Date('2030-01-01T00:00:00Z');

function cart(overrides: Partial<CartState> = {}): CartState {
  return {
    id: newId('cart'),
    storeId: newId('store'),
    currency: 'USD',
    lines: [{ variantId: newId('variant'), qty: 2 }],
    couponCode: null,
    email: null,
    shippingAddress: null,
    billingAddress: null,
    shippingRateId: null,
    ...overrides,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

const ringOf = (spec: string) => loadingKeyRing(async () => parseSigningKeys(spec));

describe('cart tokens', () => {
  const ring = ringOf(`k1:${SECRET_A}`);

  it('round-trips a cart, with a kid header and an expiry', async () => {
    const state = cart({
      couponCode: 'SAVE10',
      email: 'a@example.com',
      shippingAddress: { country: 'FR', city: 'Paris', postal_code: '75001' },
      shippingRateId: 'shr_x',
    });
    const { token, expiresAt } = await signCartToken(ring, state, { now, ttlSeconds: 3600 });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'HS256',
      kid: 'k1',
    });
    expect(expiresAt.getTime()).toBe(now.getTime() + 3_600_000);
    const v = await verifyCartToken(ring, token, { now });
    expect(v.state).toEqual(state);
    expect(v.expiresAt).toEqual(expiresAt);
  });

  it('refuses missing, garbage, oversized, tampered and expired tokens with precise codes', async () => {
    const { token } = await signCartToken(ring, cart(), { now, ttlSeconds: 60 });
    expect(await codeOf(verifyCartToken(ring, undefined, { now }))).toBe('CART_TOKEN_MISSING');
    expect(await codeOf(verifyCartToken(ring, '', { now }))).toBe('CART_TOKEN_MISSING');
    expect(await codeOf(verifyCartToken(ring, 'not-a-token', { now }))).toBe('CART_TOKEN_MALFORMED');
    expect(await codeOf(verifyCartToken(ring, 'a.b.c', { now }))).toBe('CART_TOKEN_MALFORMED');
    expect(await codeOf(verifyCartToken(ring, 'x'.repeat(9000), { now }))).toBe('CART_TOKEN_TOO_LARGE');

    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.l[0][1] = 9; // more for the same price? no: and the signature no longer matches
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await codeOf(verifyCartToken(ring, forged, { now }))).toBe('CART_TOKEN_INVALID_SIGNATURE');
    const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await codeOf(verifyCartToken(ring, flipped, { now }))).toBe('CART_TOKEN_INVALID_SIGNATURE');

    const later = new Date(now.getTime() + 61_000);
    expect(await codeOf(verifyCartToken(ring, token, { now: later }))).toBe('CART_TOKEN_EXPIRED');
  });

  it('refuses tokens of an unknown key, another algorithm or alg none', async () => {
    const other = ringOf(`k9:${SECRET_B}`);
    const { token } = await signCartToken(other, cart(), { now, ttlSeconds: 60 });
    expect(await codeOf(verifyCartToken(ring, token, { now }))).toBe('CART_TOKEN_INVALID_SIGNATURE');
    // Same kid, different secret.
    const impostor = ringOf(`k1:${SECRET_B}`);
    const { token: t2 } = await signCartToken(impostor, cart(), { now, ttlSeconds: 60 });
    expect(await codeOf(verifyCartToken(ring, t2, { now }))).toBe('CART_TOKEN_INVALID_SIGNATURE');
    const [, p] = t2.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url')}.${p}.`;
    expect(await codeOf(verifyCartToken(ring, none, { now }))).toBe('CART_TOKEN_MALFORMED');
    const hs512 = `${Buffer.from(JSON.stringify({ alg: 'HS512', kid: 'k1' })).toString('base64url')}.${p}.AAAA`;
    expect(await codeOf(verifyCartToken(ring, hs512, { now }))).toBe('CART_TOKEN_INVALID_SIGNATURE');
  });

  it('treats a validly signed but odd payload as malformed, never a crash', async () => {
    const key = await webcrypto.subtle.importKey(
      'raw',
      Buffer.from(SECRET_A),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    for (const body of [
      '[]',
      '"x"',
      'not json',
      '{"cid":"cart_x","l":"many"}',
      JSON.stringify({ ...oddPayload(), l: [['var_x', 1]] }),
    ]) {
      const t = await new CompactSign(Buffer.from(body))
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(key);
      expect(await codeOf(verifyCartToken(ring, t, { now }))).toBe('CART_TOKEN_MALFORMED');
    }
    const qty = { ...oddPayload(), l: [[newId('variant'), 10_000]] };
    const t = await new CompactSign(Buffer.from(JSON.stringify(qty)))
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(key);
    expect(await codeOf(verifyCartToken(ring, t, { now }))).toBe('CART_TOKEN_MALFORMED');
  });

  it('signs standard compact JWS: a JOSE library verifies ours, and we verify its', async () => {
    const key = await webcrypto.subtle.importKey(
      'raw',
      Buffer.from(SECRET_A),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    const state = cart({ email: 'a@example.com' });
    const { token } = await signCartToken(ring, state, { now, ttlSeconds: 60 });
    const { payload, protectedHeader } = await compactVerify(token, key, { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', kid: 'k1' });
    // Signed by the library over the same header and payload: the very same token.
    const theirs = await new CompactSign(payload).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(key);
    expect(theirs).toBe(token);
    expect((await verifyCartToken(ring, theirs, { now })).state).toEqual(state);
    // A critical extension we do not understand is refused.
    const crit = await new CompactSign(payload)
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', crit: ['b64'], b64: true })
      .sign(key);
    expect(await codeOf(verifyCartToken(ring, crit, { now }))).toBe('CART_TOKEN_MALFORMED');
  });

  it('rotates keys: a token of the old key verifies once a new key is put first', async () => {
    const old = ringOf(`old:${SECRET_A}`);
    const { token } = await signCartToken(old, cart(), { now, ttlSeconds: 60 });
    const rotated = ringOf(`new:${SECRET_B},old:${SECRET_A}`);
    await expect(verifyCartToken(rotated, token, { now })).resolves.toBeDefined();
    const { token: fresh } = await signCartToken(rotated, cart(), { now, ttlSeconds: 60 });
    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).kid).toBe('new');
    // Once the old key is retired, its tokens stop verifying.
    expect(await codeOf(verifyCartToken(ringOf(`new:${SECRET_B}`), token, { now }))).toBe(
      'CART_TOKEN_INVALID_SIGNATURE',
    );
  });

  it('stays under 8 KB for a full cart and refuses to produce a larger token', async () => {
    const lines = Array.from({ length: 100 }, () => ({ variantId: newId('variant'), qty: 9999 }));
    const address = {
      country: 'US',
      name: 'n'.repeat(200),
      line1: 'l'.repeat(200),
      line2: 'm'.repeat(200),
      city: 'c'.repeat(100),
    };
    const { token } = await signCartToken(ring, cart({ lines, shippingAddress: address }), {
      now,
      ttlSeconds: 60,
    });
    expect(token.length).toBeLessThanOrEqual(8192);
    const huge = cart({
      lines,
      shippingAddress: { ...address, region: 'r'.repeat(100) },
      billingAddress: {
        ...address,
        region: 'r'.repeat(100),
        postal_code: 'p'.repeat(32),
        phone: '1'.repeat(40),
      },
      email: `${'e'.repeat(240)}@example.com`,
    });
    expect(await codeOf(signCartToken(ring, huge, { now, ttlSeconds: 60 }))).toBe('CART_TOKEN_TOO_LARGE');
  });
});

function oddPayload() {
  return { cid: newId('cart'), sid: newId('store'), cur: 'USD', l: [], iat: 1, exp: 4_000_000_000 };
}

describe('cart rules', () => {
  const v1 = newId('variant');
  const v2 = newId('variant');

  it('sets, adds and removes lines within the bounds', () => {
    let s = cart({ lines: [] });
    s = withLineQty(s, v1, 2);
    s = withLineQty(s, v2, 1);
    s = withLineQty(s, v1, 5);
    expect(s.lines).toEqual([
      { variantId: v1, qty: 5 },
      { variantId: v2, qty: 1 },
    ]);
    expect(withLineQty(s, v1, 0).lines).toEqual([{ variantId: v2, qty: 1 }]);
    expect(() => withLineQty(s, v1, 10_000)).toThrow(/quantity/);
    const full = cart({
      lines: Array.from({ length: 100 }, () => ({ variantId: newId('variant'), qty: 1 })),
    });
    let code = '';
    try {
      withLineQty(full, v1, 1);
    } catch (e) {
      code = isAppError(e) ? e.code : 'other';
    }
    expect(code).toBe('CART_TOO_MANY_LINES');
    expect(withLineQty(full, full.lines[0]!.variantId, 3).lines).toHaveLength(100);
  });

  it('merges repeated variants when a cart is created', () => {
    expect(
      mergeLines([
        { variant_id: v1, quantity: 1 },
        { variant_id: v2, quantity: 2 },
        { variant_id: v1, quantity: 3 },
      ]),
    ).toEqual([
      { variantId: v1, qty: 4 },
      { variantId: v2, qty: 2 },
    ]);
    expect(() =>
      mergeLines([
        { variant_id: v1, quantity: 9000 },
        { variant_id: v1, quantity: 1000 },
      ]),
    ).toThrow(/quantity/);
  });

  it('names lines after the product and a meaningful variant title', () => {
    expect(lineTitle('Mug', 'Default')).toBe('Mug');
    expect(lineTitle('Mug', 'Blue / Large')).toBe('Mug – Blue / Large');
  });
});
