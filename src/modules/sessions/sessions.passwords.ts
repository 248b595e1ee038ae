import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes in a self-describing format, `scrypt$N$r$p$salt$hash` (salt and hash base64url), so the
 * cost can be raised later without invalidating stored hashes: each hash is checked with its own parameters.
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // scrypt needs 128·N·r bytes; leave headroom over Node's 32 MiB default.
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params);
  return [
    'scrypt',
    params.N,
    params.r,
    params.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/;

/** Whether `password` matches `encoded`, compared in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = FORMAT.exec(encoded);
  if (!m) return false;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const expected = Buffer.from(m[5]!, 'base64url');
  const actual = await derive(password, Buffer.from(m[4]!, 'base64url'), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Checks passwords so that an unknown account costs the same as a wrong password: without a stored hash,
 * the password is checked against a dummy hash of the current parameters (made once, on first use).
 */
export function createPasswordHasher(params: ScryptParams) {
  let dummy: Promise<string> | null = null;
  return {
    params,
    hash: (password: string) => hashPassword(password, params),
    async verify(password: string, encoded: string | null | undefined): Promise<boolean> {
      if (encoded) return verifyPassword(password, encoded);
      dummy ??= hashPassword(randomBytes(16).toString('hex'), params);
      await verifyPassword(password, await dummy);
      return false;
    },
    /** Whether a stored hash was made with weaker parameters than today's (rehash it on the next sign-in). */
    needsRehash(encoded: string): boolean {
      const m = FORMAT.exec(encoded);
      return !m || Number(m[1]) < params.N || Number(m[2]) !== params.r || Number(m[3]) !== params.p;
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
