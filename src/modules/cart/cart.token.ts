import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../shared/app-error.ts';
import {
  AddressSchema,
  CART_ID,
  type CartState,
  MAX_LINES,
  MAX_QTY,
  MAX_TOKEN_BYTES,
  STORE_ID,
  VARIANT_ID,
} from './cart.rules.ts';

/**
 * Cart tokens: compact JWS (RFC 7515, HS256) whose `kid` names the key that signed them. Any number of keys
 * verify and one signs, so a new key can be put first without invalidating carts already out there.
 * Signed and verified with node:crypto's HMAC, synchronously: one HMAC per token, no promise hops (a cart
 * request verifies one token and signs one). The format is the standard one: any JOSE library reads them.
 */
export const CART_TOKEN_ALG = 'HS256';

export interface SigningSecret {
  kid: string;
  secret: string;
}

export interface KeyRing {
  /** The key new tokens are signed with. */
  signer(): Promise<{ kid: string; key: KeyObject }>;
  /** The key that verifies tokens with this kid, or undefined when no such key exists. */
  verifier(kid: string): Promise<KeyObject | undefined>;
}

const importHmac = (secret: string): KeyObject => createSecretKey(Buffer.from(secret, 'utf8'));

/** Parses CART_SIGNING_KEYS ("kid:secret,kid2:secret2"); the first key signs. */
export function parseSigningKeys(spec: string): SigningSecret[] {
  return spec.split(',').map((pair) => {
    const at = pair.indexOf(':');
    return { kid: pair.slice(0, at), secret: pair.slice(at + 1) };
  });
}

async function importAll(secrets: SigningSecret[]) {
  if (secrets.length === 0) throw new Error('cart key ring: no signing key');
  const keys = new Map<string, KeyObject>();
  for (const s of secrets) keys.set(s.kid, importHmac(s.secret));
  const first = secrets[0]!;
  return { signer: { kid: first.kid, key: keys.get(first.kid)! }, keys };
}

/**
 * A key ring loaded on first use from `load` (configured keys, or keys in the database). An unknown
 * kid reloads it, at most once per `reloadMs`, so a key added by another process is picked up.
 */
export function loadingKeyRing(
  load: () => Promise<SigningSecret[]>,
  opts: { reloadMs?: number } = {},
): KeyRing {
  const reloadMs = opts.reloadMs ?? 10_000;
  let current: Promise<Awaited<ReturnType<typeof importAll>>> | null = null;
  let loadedAt = 0;
  const get = () => {
    if (!current) {
      loadedAt = Date.now();
      current = load().then(importAll);
      // A failed load (database down at start) must not stick: the next call tries again.
      current.catch(() => {
        current = null;
      });
    }
    return current;
  };
  return {
    async signer() {
      return (await get()).signer;
    },
    async verifier(kid) {
      const ring = await get();
      const key = ring.keys.get(kid);
      if (key || Date.now() - loadedAt < reloadMs) return key;
      current = null;
      return (await get()).keys.get(kid);
    },
  };
}

/** The signed payload; short names keep tokens small. */
const PayloadSchema = z.object({
  cid: z.string().regex(CART_ID),
  sid: z.string().regex(STORE_ID),
  cur: z.string().regex(/^[A-Z]{3}$/),
  l: z.array(z.tuple([z.string().regex(VARIANT_ID), z.number().int().min(1).max(MAX_QTY)])).max(MAX_LINES),
  cp: z.string().min(1).max(64).optional(),
  em: z.string().min(3).max(254).optional(),
  sa: AddressSchema.optional(),
  ba: AddressSchema.optional(),
  sr: z.string().min(1).max(64).optional(),
  iat: z.number().int(),
  exp: z.number().int(),
});

type Payload = z.infer<typeof PayloadSchema>;

export interface VerifiedCart {
  state: CartState;
  issuedAt: Date;
  expiresAt: Date;
}

function toPayload(state: CartState, iat: number, exp: number): Payload {
  const p: Payload = { cid: state.id, sid: state.storeId, cur: state.currency, l: [], iat, exp };
  p.l = state.lines.map((l) => [l.variantId, l.qty]);
  if (state.couponCode) p.cp = state.couponCode;
  if (state.email) p.em = state.email;
  if (state.shippingAddress) p.sa = state.shippingAddress;
  if (state.billingAddress) p.ba = state.billingAddress;
  if (state.shippingRateId) p.sr = state.shippingRateId;
  return p;
}

function fromPayload(p: Payload): CartState {
  return {
    id: p.cid,
    storeId: p.sid,
    currency: p.cur,
    lines: p.l.map(([variantId, qty]) => ({ variantId, qty })),
    couponCode: p.cp ?? null,
    email: p.em ?? null,
    shippingAddress: p.sa ?? null,
    billingAddress: p.ba ?? null,
    shippingRateId: p.sr ?? null,
  };
}

/** Signs a cart valid `ttlSeconds` from `now`; refuses to produce a token over the size limit. */
export async function signCartToken(
  ring: KeyRing,
  state: CartState,
  opts: { now: Date; ttlSeconds: number },
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(opts.now.getTime() / 1000);
  const exp = iat + opts.ttlSeconds;
  const { kid, key } = await ring.signer();
  // The protected header as jose writes it ({"alg":"HS256","kid":…}), so tokens stay byte-for-byte the same.
  const signingInput = `${headerOf(kid)}.${Buffer.from(JSON.stringify(toPayload(state, iat, exp))).toString('base64url')}`;
  const token = `${signingInput}.${hmac(key, signingInput).toString('base64url')}`;
  if (token.length > MAX_TOKEN_BYTES) {
    throw new AppError(
      'CART_TOKEN_TOO_LARGE',
      `The cart would not fit in ${MAX_TOKEN_BYTES} bytes; shorten the addresses or remove lines.`,
    );
  }
  return { token, expiresAt: new Date(exp * 1000) };
}

const hmac = (key: KeyObject, signingInput: string): Buffer =>
  createHmac('sha256', key).update(signingInput).digest();

const headerOf = (kid: string): string =>
  Buffer.from(JSON.stringify({ alg: CART_TOKEN_ALG, kid })).toString('base64url');

/** Decodes a base64url JSON segment; undefined when it is not one. */
function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const malformed = () =>
  new AppError('CART_TOKEN_MALFORMED', 'The cart token is not a well-formed signed cart.');
const badSignature = () =>
  new AppError('CART_TOKEN_INVALID_SIGNATURE', 'The cart token signature does not verify; start a new cart.');

/**
 * Verifies a cart token and decodes it, turning every way it can be wrong into a precise 400:
 * missing, too large, malformed, bad signature or unknown key, expired. The store is checked by the caller.
 */
export async function verifyCartToken(
  ring: KeyRing,
  token: string | undefined,
  opts: { now: Date },
): Promise<VerifiedCart> {
  if (token === undefined || token.trim() === '') {
    throw new AppError('CART_TOKEN_MISSING', 'Send the cart token in the X-Cart-Token header.');
  }
  token = token.trim();
  if (token.length > MAX_TOKEN_BYTES) {
    throw new AppError('CART_TOKEN_TOO_LARGE', `The cart token is larger than ${MAX_TOKEN_BYTES} bytes.`);
  }
  if (!COMPACT_JWS.test(token)) throw malformed();
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  const header = decodeJson(token.slice(0, dot1));
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw malformed();
  const { alg, kid, crit, b64 } = header as Record<string, unknown>;
  // No extensions are understood: a `crit` or unencoded-payload (`b64`) header cannot be a cart of ours.
  if (crit !== undefined || b64 !== undefined) throw malformed();
  if (alg !== CART_TOKEN_ALG || typeof kid !== 'string') throw badSignature();
  const key = await ring.verifier(kid);
  if (!key) throw badSignature();
  // Compared as text: one encoding of the 32 bytes is valid, not the variants with other trailing bits.
  const signature = Buffer.from(token.slice(dot2 + 1));
  const expected = Buffer.from(hmac(key, token.slice(0, dot2)).toString('base64url'));
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw badSignature();
  // Validly signed yet odd (another version's shape, or a key misused elsewhere): still a 400, never a 500.
  const parsed = PayloadSchema.safeParse(decodeJson(token.slice(dot1 + 1, dot2)));
  if (!parsed.success) throw malformed();
  const p = parsed.data;
  if (p.exp * 1000 <= opts.now.getTime()) {
    throw new AppError('CART_TOKEN_EXPIRED', 'The cart token has expired; start a new cart.');
  }
  return { state: fromPayload(p), issuedAt: new Date(p.iat * 1000), expiresAt: new Date(p.exp * 1000) };
}
