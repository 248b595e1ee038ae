import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable ids: `prod_` + 10 chars of Crockford base32 milliseconds + 16 random chars.
 * Lexical order follows creation time, so ids double as stable pagination keys.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const ID_PREFIXES = {
  store: 'store',
  apiKey: 'key',
  product: 'prod',
  variant: 'var',
  collection: 'coll',
  image: 'img',
  order: 'ord',
  orderEvent: 'oev',
  payment: 'pay',
  refund: 'ref',
  fulfillment: 'ful',
  customer: 'cus',
  customerAddress: 'addr',
  coupon: 'cpn',
  taxRate: 'txr',
  shippingRate: 'shr',
  cart: 'cart',
  hold: 'hold',
  movement: 'mov',
  event: 'evt',
  job: 'job',
  request: 'req',
  webhookEndpoint: 'we',
  webhookDelivery: 'whd',
  webhookAttempt: 'wha',
  email: 'eml',
  staffUser: 'stf',
  staffInvitation: 'sinv',
  analyticsEvent: 'aev',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// module-state: ids are monotonic per process, whichever generator made them, so the last one is process-wide.
let lastMs = 0;
// module-state: see above.
let lastRand: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

// module-state: a block of CSPRNG output that ids are cut from (one `randomBytes` call per few hundred ids).
let block = Buffer.alloc(0);
// module-state: see above.
let blockOffset = 0;

/** `n` fresh random bytes, each handed out once. */
function randomBlock(n: number): Buffer {
  if (blockOffset + n > block.length) {
    block = randomBytes(Math.max(4096, n));
    blockOffset = 0;
  }
  const out = block.subarray(blockOffset, blockOffset + n);
  blockOffset += n;
  return out;
}

/** Monotonic within a process: ids made in the same millisecond still sort in creation order. */
function randomPart(ms: number): string {
  if (ms === lastMs && lastRand.length === 16) {
    for (let i = 15; i >= 0; i--) {
      if (lastRand[i]! < 31) {
        lastRand[i]!++;
        break;
      }
      lastRand[i] = 0;
    }
  } else {
    const bytes = randomBlock(16);
    lastRand = Array.from(bytes, (b) => b & 31);
    lastRand[0] = lastRand[0]! & 15; // headroom for increments
    lastMs = ms;
  }
  return lastRand.map((n) => ALPHABET[n]).join('');
}

export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(now)}${randomPart(now)}`;
}

const ID_BODY = /^[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(kind: IdKind, value: string): boolean {
  const prefix = `${ID_PREFIXES[kind]}_`;
  return value.startsWith(prefix) && ID_BODY.test(value.slice(prefix.length));
}

export type IdGenerator = (kind: IdKind) => string;
export const ids: IdGenerator = (kind) => newId(kind);

/**
 * Random hex strings drawn from a block of CSPRNG output: one `randomBytes` call per few KB instead of
 * one per id, so request and trace ids cost a slice, yet reveal nothing (no counter, no process prefix).
 */
export function createRandomHex(blockBytes = 8192) {
  let block = randomBytes(blockBytes);
  let offset = 0;
  return function randomHex(bytes: number): string {
    if (offset + bytes > block.length) {
      block = randomBytes(Math.max(blockBytes, bytes));
      offset = 0;
    }
    const out = block.toString('hex', offset, offset + bytes);
    offset += bytes;
    return out;
  };
}

export type RandomHex = ReturnType<typeof createRandomHex>;
