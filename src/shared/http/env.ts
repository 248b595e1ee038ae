export type StaffRole = 'owner' | 'staff' | 'read_only';

export interface AuthContext {
  storeId: string;
  /** The API key's id, or the staff user's id for a staff access token (rate limits count per key or person). */
  keyId: string;
  /** Staff access tokens act with a secret key's reach, narrowed by `staff.role`. */
  kind: 'publishable' | 'secret';
  mode: 'test' | 'live';
  /** Set when a staff user signed in (staff access token) rather than an API key. */
  staff?: { id: string; role: StaffRole };
}

/** Who did it, for audit rows and event payloads: `staff:<id>` or `key:<id>`. */
export function actorOf(auth: AuthContext): string {
  return auth.staff ? `staff:${auth.staff.id}` : `key:${auth.keyId}`;
}

/** Hono context variables set by the shared middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    traceId: string;
    auth: AuthContext;
    /** Set by a route whose answer carries credentials (session tokens): see `answerCarriesSecrets`. */
    secretAnswer?: true;
    /**
     * Set by the Idempotency-Key middleware when this request's key had never been used in its scope (its
     * record was just created, not taken over or renewed): nothing can have run under it before.
     */
    idempotencyKeyNew?: true;
  };
}

/**
 * Marks this request's answer as carrying credentials: the Idempotency-Key middleware then keeps no copy of it
 * (tokens are never stored in clear) and frees the key once the request ends, so a retry runs again. Only for
 * routes that are safe to run twice (a sign-in makes a second session; a refresh retry meets the token's
 * reuse detection).
 */
export function answerCarriesSecrets(c: { set(key: 'secretAnswer', value: true): void }): void {
  c.set('secretAnswer', true);
}
