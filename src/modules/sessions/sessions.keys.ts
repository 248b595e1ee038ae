import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction } from '../../shared/db.ts';
import * as repo from './sessions.repo.ts';

export const ALG = 'ES256';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

interface Signer {
  kid: string;
  key: PrivateKey;
  loadedAt: number;
}

interface Verifier {
  audience: string;
  key: PrivateKey;
}

export interface KeyRingOptions {
  db: Executor;
  clock: Clock;
  /** Access token lifetime: a retired key stays published (and verifiable) this long, plus `signerCacheMs`. */
  accessTtlSeconds: number;
  /** How long a process keeps signing with the key it loaded (a rotation reaches other processes this late). */
  signerCacheMs?: number;
  /**
   * At most one database read per this interval for tokens whose key id is unknown here: a token with a new kid
   * waits for the next read (at most this long) instead of each such token costing one.
   */
  unknownKidRefreshMs?: number;
}

const newKid = () => `sk_${randomBytes(12).toString('base64url')}`;
const KID_SHAPE = /^sk_[A-Za-z0-9_-]{16}$/;

/**
 * The session signing keys of every audience, shared by all processes through the `signing_key` table.
 * Signing keys are cached per audience for `signerCacheMs`; verification keys are cached by `kid` and
 * reloaded only when a token names a kid this process has not seen (at most once per `unknownKidRefreshMs`),
 * so verifying a token costs no database round trip.
 */
export function createKeyRing(opts: KeyRingOptions) {
  const { db, clock } = opts;
  const signerCacheMs = opts.signerCacheMs ?? 60_000;
  const unknownKidRefreshMs = opts.unknownKidRefreshMs ?? 1_000;
  /** How long after retirement a key may still have unexpired tokens out. */
  const publishMs = opts.accessTtlSeconds * 1000 + signerCacheMs + 60_000;
  const signers = new Map<string, Signer>();
  const verifiers = new Map<string, Verifier>();
  let lastLoad = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | null = null;
  let nextLoad: Promise<void> | null = null;

  async function loadVerifiers(): Promise<void> {
    loading ??= (async () => {
      try {
        const rows = await repo.publishedKeys(db, new Date(clock.now().getTime() - publishMs));
        const fresh = new Map<string, Verifier>();
        for (const r of rows) {
          fresh.set(
            r.kid,
            verifiers.get(r.kid) ?? { audience: r.audience, key: await importJWK(r.publicJwk, ALG) },
          );
        }
        verifiers.clear();
        for (const [k, v] of fresh) verifiers.set(k, v);
        lastLoad = Date.now();
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  async function createKey(audience: string) {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = newKid();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG };
    return { kid, audience, publicJwk, privateJwk, createdAt: clock.now() };
  }

  async function loadSigner(audience: string): Promise<Signer> {
    let row = await repo.activeKey(db, audience);
    if (!row) {
      await repo.insertKeyOnce(db, await createKey(audience));
      row = await repo.activeKey(db, audience);
      if (!row) throw new Error(`no signing key for ${audience}`);
    }
    const signer = { kid: row.kid, key: await importJWK(row.privateJwk, ALG), loadedAt: Date.now() };
    signers.set(audience, signer);
    if (!verifiers.has(row.kid)) {
      verifiers.set(row.kid, { audience, key: await importJWK(row.publicJwk, ALG) });
    }
    return signer;
  }

  return {
    /** The active key of `audience` (created on first use). */
    async signer(audience: string): Promise<{ kid: string; key: PrivateKey }> {
      const cached = signers.get(audience);
      if (cached && Date.now() - cached.loadedAt < signerCacheMs) return cached;
      return loadSigner(audience);
    },

    /** The public key for `kid`, from memory; an unknown kid triggers one bounded reload. */
    async verifier(kid: string | undefined): Promise<Verifier | null> {
      if (!kid || !KID_SHAPE.test(kid)) return null;
      const known = verifiers.get(kid);
      if (known) return known;
      // Every unknown kid in the meantime shares one read, made no sooner than the interval after the last.
      nextLoad ??= (async () => {
        try {
          const wait = lastLoad + unknownKidRefreshMs - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await loadVerifiers();
        } finally {
          nextLoad = null;
        }
      })();
      await nextLoad;
      return verifiers.get(kid) ?? null;
    },

    /**
     * Retires the active key of `audience` and makes a new one. Tokens signed by the old key stay valid until
     * they expire: the old key stays published. Other processes switch within `signerCacheMs`.
     */
    async rotate(audience: string): Promise<string> {
      const next = await createKey(audience);
      await inTransaction(db, async (tx) => {
        await repo.retireActiveKey(tx, audience, clock.now());
        await repo.insertKey(tx, next);
      });
      signers.delete(audience);
      await loadSigner(audience);
      return next.kid;
    },

    /** The public keys to publish (`/.well-known/jwks.json`): active ones and those retired recently. */
    async jwks(): Promise<{ keys: JWK[] }> {
      const rows = await repo.publishedKeys(db, new Date(clock.now().getTime() - publishMs));
      return { keys: rows.map((r) => r.publicJwk) };
    },
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;
