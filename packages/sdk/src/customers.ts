import type { components, operations } from './api.d.ts';
import { CrowdstartError } from './errors.ts';
import { type ApiRequest, type CallOptions, newKey, type Query, type Send } from './http.ts';
import type { StorageLike } from './storage.ts';
import type { List, Order } from './types.ts';

type Json<Op extends keyof operations> = operations[Op] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
export type Customer = components['schemas']['Customer'];
export type CustomerAddress = components['schemas']['CustomerAddress'];
export type Session = components['schemas']['CustomerSession'];
export type CustomerUpdate = Json<'updateCurrentCustomer'>;
export type CustomerAddressInput = Json<'createCustomerAddress'>;
export type CustomerAddressUpdate = Json<'updateCustomerAddress'>;

interface Tokens {
  access: string;
  refresh: string;
}

/**
 * A 401 that a refreshed access token may fix: the API answers an expired (or otherwise unusable) access token
 * with CUSTOMER_TOKEN_INVALID.
 */
const isExpired = (e: unknown) =>
  e instanceof CrowdstartError && e.status === 401 && /^CUSTOMER_TOKEN_(INVALID|EXPIRED)$/.test(e.code);

/**
 * The signed-in customer: access and refresh tokens kept in storage, the access token sent as `Customer-Token`,
 * refreshed once (one refresh shared by concurrent calls) when the API says it expired.
 */
export function createCustomers(deps: { send: Send; storage: StorageLike; storageKey: string }) {
  const { send, storage } = deps;
  const key = `${deps.storageKey}:customer`;
  const read = (): Tokens | null => {
    try {
      const t = JSON.parse(storage.getItem(key) ?? 'null') as Tokens | null;
      return t?.access && t.refresh ? t : null;
    } catch {
      return null;
    }
  };
  const save = (s: Session) => {
    storage.setItem(key, JSON.stringify({ access: s.access_token, refresh: s.refresh_token }));
    return s.customer;
  };
  const forget = () => storage.removeItem(key);
  let refreshing: Promise<void> | null = null;

  function refresh(tokens: Tokens, signal?: AbortSignal): Promise<void> {
    refreshing ??= send<Session>({
      method: 'POST',
      path: '/v1/customers/sessions/refresh',
      // No Idempotency-Key (never retried): a stored replay would keep session tokens in the API's database.
      body: { refresh_token: tokens.refresh },
      signal,
    })
      .then(save, (e) => {
        if (e instanceof CrowdstartError && e.status >= 400 && e.status < 500) forget();
        throw e;
      })
      .then(
        () => {
          refreshing = null;
        },
        (e) => {
          refreshing = null;
          throw e;
        },
      );
    return refreshing;
  }

  /** A call as the signed-in customer. */
  async function asCustomer<T>(r: ApiRequest): Promise<T> {
    if (refreshing) await refreshing;
    const tokens = read();
    if (!tokens) {
      throw new CrowdstartError(401, { code: 'NOT_SIGNED_IN', message: 'No customer is signed in.' });
    }
    const call = (access: string) => send<T>({ ...r, headers: { ...r.headers, 'Customer-Token': access } });
    try {
      return await call(tokens.access);
    } catch (e) {
      if (!isExpired(e)) throw e;
      await refresh(tokens, r.signal);
      const next = read();
      if (!next) throw e;
      return call(next.access);
    }
  }

  const me = '/v1/customers/me';
  const address = (id: string) => `${me}/addresses/${encodeURIComponent(id)}`;

  return {
    /** The headers that link a request (a checkout) to the signed-in customer. */
    headers(): Record<string, string | undefined> {
      return { 'Customer-Token': read()?.access };
    },
    isSignedIn(): boolean {
      return read() !== null;
    },

    /** Creates an account. The answer is the same for an email already registered; a session comes only when the API gives one. */
    async signUp(
      input: { email: string; password: string; name?: string } & CallOptions,
    ): Promise<{ customer: Customer; session?: Session }> {
      const { signal, ...body } = input;
      const r = await send<{ customer: Customer; session?: Session }>({
        method: 'POST',
        path: '/v1/customers',
        body,
        idempotencyKey: newKey(),
        signal,
      });
      if (r.session) save(r.session);
      return r;
    },

    async signIn(input: { email: string; password: string } & CallOptions): Promise<Customer> {
      const { signal, ...body } = input;
      return save(await send<Session>({ method: 'POST', path: '/v1/customers/sessions', body, signal }));
    },

    /** Revokes the session (every session of the customer with `everywhere`); the tokens are forgotten either way. */
    async signOut(o: { everywhere?: boolean } & CallOptions = {}): Promise<void> {
      const tokens = read();
      forget();
      if (!tokens) return;
      await send<void>({
        method: 'POST',
        path: '/v1/customers/sessions/revoke',
        body: { refresh_token: tokens.refresh, ...(o.everywhere ? { everywhere: true } : {}) },
        idempotencyKey: newKey(),
        signal: o.signal,
      });
    },

    me(o: CallOptions = {}): Promise<Customer> {
      return asCustomer({ method: 'GET', path: me, ...o });
    },
    update(patch: CustomerUpdate, o: CallOptions = {}) {
      return asCustomer<Customer>({ method: 'PATCH', path: me, body: patch, ...o });
    },
    addresses: {
      list(o: CallOptions = {}): Promise<List<CustomerAddress>> {
        return asCustomer({ method: 'GET', path: `${me}/addresses`, ...o });
      },
      create(a: CustomerAddressInput, o: CallOptions = {}): Promise<CustomerAddress> {
        return asCustomer({
          method: 'POST',
          path: `${me}/addresses`,
          body: a,
          idempotencyKey: newKey(),
          ...o,
        });
      },
      update(id: string, a: CustomerAddressUpdate, o: CallOptions = {}): Promise<CustomerAddress> {
        return asCustomer({ method: 'PATCH', path: address(id), body: a, ...o });
      },
      remove(id: string, o: CallOptions = {}): Promise<void> {
        return asCustomer({ method: 'DELETE', path: address(id), ...o });
      },
    },
    /** The customer's orders, guest orders placed with the same verified email included. */
    orders(q: { limit?: number; cursor?: string } & CallOptions = {}): Promise<List<Order>> {
      const { signal, ...query } = q;
      return asCustomer({ method: 'GET', path: `${me}/orders`, query: query as Query, signal });
    },
    verifyEmail(token: string, o: CallOptions = {}): Promise<unknown> {
      return send({
        method: 'POST',
        path: '/v1/customers/verify_email',
        body: { token },
        idempotencyKey: newKey(),
        ...o,
      });
    },
    /** Always accepted (202), whether or not the email has an account. */
    requestPasswordReset(email: string, o: CallOptions = {}): Promise<unknown> {
      return send({
        method: 'POST',
        path: '/v1/customers/password_reset',
        body: { email },
        idempotencyKey: newKey(),
        ...o,
      });
    },
    resetPassword(token: string, password: string, o: CallOptions = {}): Promise<unknown> {
      return send({
        method: 'POST',
        path: '/v1/customers/password_reset/confirm',
        body: { token, password },
        idempotencyKey: newKey(),
        ...o,
      });
    },
  };
}
