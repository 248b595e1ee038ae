/**
 * A thin stand-in for `@crowdstart/sdk` (packages/sdk), holding to its contract for the calls the storefront
 * makes: `createClient({ key, baseUrl, storage, fetch })`, the same method names and `CrowdstartError`.
 * It goes away when the storefront imports the SDK itself.
 */
export class CrowdstartError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'CrowdstartError';
  }
}

interface StorageLike {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
}

export interface ClientOptions {
  key: string;
  baseUrl?: string;
  storage?: StorageLike;
  fetch?: typeof fetch;
  maxRetries?: number;
}

type Query = Record<string, string | number | boolean | undefined | null>;
interface CallOptions {
  signal?: AbortSignal;
}

const CART = 'crowdstart.cart';
const ACCESS = 'crowdstart.access';
const REFRESH = 'crowdstart.refresh';

function memoryStorage(): StorageLike {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  };
}

export function createClient(opts: ClientOptions) {
  const base = opts.baseUrl ?? '';
  const storage = opts.storage ?? memoryStorage();
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const maxRetries = opts.maxRetries ?? 2;

  async function call<T>(
    method: string,
    path: string,
    o: { query?: Query; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<T> {
    let url = base + path;
    if (o.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(o.query))
        if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    const headers: Record<string, string> = { authorization: `Bearer ${opts.key}`, ...o.headers };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await doFetch(url, {
          method,
          headers,
          body: o.body === undefined ? undefined : JSON.stringify(o.body),
          signal: o.signal,
        });
      } catch (e) {
        if (attempt < maxRetries && !o.signal?.aborted) continue;
        throw new CrowdstartError(0, 'NETWORK_ERROR', e instanceof Error ? e.message : 'Network error');
      }
      // Retries are safe: every mutating call carries an Idempotency-Key that stays the same across attempts.
      if ((res.status >= 500 || res.status === 429) && res.status !== 501 && attempt < maxRetries) {
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        continue;
      }
      const text = await res.text();
      const json = text ? JSON.parse(text) : null;
      if (!res.ok) {
        const err = json?.error ?? {};
        throw new CrowdstartError(
          res.status,
          err.code ?? 'HTTP_ERROR',
          err.message ?? `HTTP ${res.status}`,
          err.param,
          err.request_id,
        );
      }
      return json as T;
    }
  }

  const idempotencyKey = () =>
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID()
      : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const mutate = <T>(method: string, path: string, body: unknown, o: CallOptions = {}, extra = {}) =>
    call<T>(method, path, {
      body,
      signal: o.signal,
      headers: { 'idempotency-key': idempotencyKey(), ...extra },
    });

  // ---- carts: the token lives in storage and is replaced by every answer
  const cartHeaders = (): Record<string, string> => {
    const t = storage.getItem(CART);
    return t ? { 'x-cart-token': t } : {};
  };
  const keepCart = <T extends { token: string }>(cart: T) => {
    storage.setItem(CART, cart.token);
    return cart;
  };
  async function cartCall<T extends { token: string }>(
    method: string,
    path: string,
    body: unknown,
    o: CallOptions = {},
  ): Promise<T> {
    return keepCart(
      await call<T>(method, path, {
        body,
        signal: o.signal,
        headers: { ...cartHeaders(), ...(method === 'POST' ? { 'idempotency-key': idempotencyKey() } : {}) },
      }),
    );
  }

  // ---- customers: tokens in storage, one refresh on 401
  const customerHeaders = (): Record<string, string> => {
    const t = storage.getItem(ACCESS);
    return t ? { 'customer-token': t } : {};
  };
  const keepSession = (s: { access_token: string; refresh_token: string }) => {
    storage.setItem(ACCESS, s.access_token);
    storage.setItem(REFRESH, s.refresh_token);
    return s;
  };
  async function asCustomer<T>(
    method: string,
    path: string,
    body?: unknown,
    o: CallOptions = {},
  ): Promise<T> {
    const go = () =>
      call<T>(method, path, {
        body,
        signal: o.signal,
        headers: {
          ...customerHeaders(),
          ...(method === 'POST' ? { 'idempotency-key': idempotencyKey() } : {}),
        },
      });
    try {
      return await go();
    } catch (e) {
      const refresh = storage.getItem(REFRESH);
      if (!(e instanceof CrowdstartError) || e.status !== 401 || !refresh) throw e;
      keepSession(await mutate('POST', '/v1/customers/sessions/refresh', { refresh_token: refresh }));
      return go();
    }
  }

  return {
    products: {
      list: (q: { limit?: number; cursor?: string } = {}, o: CallOptions = {}) =>
        call<any>('GET', '/v1/products', { query: q, signal: o.signal }),
      get: (idOrSlug: string, o: CallOptions = {}) =>
        call<any>('GET', `/v1/products/${encodeURIComponent(idOrSlug)}`, { signal: o.signal }),
    },
    collections: {
      list: (q: { limit?: number; cursor?: string } = {}, o: CallOptions = {}) =>
        call<any>('GET', '/v1/collections', { query: q, signal: o.signal }),
      get: (idOrSlug: string, q: { limit?: number; cursor?: string } = {}, o: CallOptions = {}) =>
        call<any>('GET', `/v1/collections/${encodeURIComponent(idOrSlug)}`, { query: q, signal: o.signal }),
    },
    search: {
      query: (q: Query, o: CallOptions = {}) =>
        call<any>('GET', '/v1/products/search', { query: q, signal: o.signal }),
    },
    cart: {
      token: () => storage.getItem(CART),
      get: (o: CallOptions = {}) =>
        storage.getItem(CART)
          ? cartCall<any>('GET', '/v1/carts/current', undefined, o)
          : Promise.resolve(null),
      add: (variantId: string, quantity = 1, o: CallOptions = {}) =>
        storage.getItem(CART)
          ? cartCall<any>('POST', '/v1/carts/current/lines', { variant_id: variantId, quantity }, o)
          : cartCall<any>('POST', '/v1/carts', { lines: [{ variant_id: variantId, quantity }] }, o),
      update: (variantId: string, quantity: number, o: CallOptions = {}) =>
        cartCall<any>('PATCH', `/v1/carts/current/lines/${variantId}`, { quantity }, o),
      remove: (variantId: string, o: CallOptions = {}) =>
        cartCall<any>('DELETE', `/v1/carts/current/lines/${variantId}`, undefined, o),
      setEmail: (email: string | null, o: CallOptions = {}) =>
        cartCall<any>('PUT', '/v1/carts/current/email', { email }, o),
      setShippingAddress: (address: Record<string, string>, o: CallOptions = {}) =>
        cartCall<any>('PUT', '/v1/carts/current/shipping-address', address, o),
      setShippingRate: (id: string, o: CallOptions = {}) =>
        cartCall<any>('PUT', '/v1/carts/current/shipping-rate', { shipping_rate_id: id }, o),
      applyCoupon: (code: string, o: CallOptions = {}) =>
        cartCall<any>('PUT', '/v1/carts/current/coupon', { code }, o),
      clear: () => storage.removeItem(CART),
    },
    checkout: {
      /** One Idempotency-Key per attempt, reused by the retries of that attempt. */
      complete: (input: { payment: unknown; email?: string }, o: CallOptions = {}) =>
        mutate<any>(
          'POST',
          '/v1/checkout',
          { cart_token: storage.getItem(CART), ...input },
          o,
          customerHeaders(),
        ),
    },
    orders: {
      getPublic: (id: string, secret: string, o: CallOptions = {}) =>
        call<any>('GET', `/v1/orders/${encodeURIComponent(id)}/public`, {
          headers: { 'x-order-secret': secret },
          signal: o.signal,
        }),
    },
    customers: {
      signedIn: () => storage.getItem(ACCESS) !== null,
      signUp: (input: { email: string; password: string; name?: string }, o: CallOptions = {}) =>
        mutate<any>('POST', '/v1/customers', input, o),
      async signIn(input: { email: string; password: string }, o: CallOptions = {}) {
        return keepSession(await mutate<any>('POST', '/v1/customers/sessions', input, o));
      },
      async signOut(o: CallOptions = {}) {
        const refresh = storage.getItem(REFRESH);
        storage.removeItem(ACCESS);
        storage.removeItem(REFRESH);
        if (refresh)
          await mutate('POST', '/v1/customers/sessions/revoke', { refresh_token: refresh }, o).catch(
            () => {},
          );
      },
      me: (o: CallOptions = {}) => asCustomer<any>('GET', '/v1/customers/me', undefined, o),
      update: (patch: unknown, o: CallOptions = {}) => asCustomer<any>('PATCH', '/v1/customers/me', patch, o),
      addresses: {
        list: (o: CallOptions = {}) => asCustomer<any>('GET', '/v1/customers/me/addresses', undefined, o),
        create: (a: unknown, o: CallOptions = {}) =>
          asCustomer<any>('POST', '/v1/customers/me/addresses', a, o),
        update: (id: string, a: unknown, o: CallOptions = {}) =>
          asCustomer<any>('PATCH', `/v1/customers/me/addresses/${id}`, a, o),
        remove: (id: string, o: CallOptions = {}) =>
          asCustomer<any>('DELETE', `/v1/customers/me/addresses/${id}`, undefined, o),
      },
      orders: (o: CallOptions = {}) => asCustomer<any>('GET', '/v1/customers/me/orders', undefined, o),
      verifyEmail: (token: string, o: CallOptions = {}) =>
        mutate<any>('POST', '/v1/customers/verify_email', { token }, o),
      requestPasswordReset: (email: string, o: CallOptions = {}) =>
        mutate<any>('POST', '/v1/customers/password_reset', { email }, o),
      resetPassword: (token: string, password: string, o: CallOptions = {}) =>
        mutate<any>('POST', '/v1/customers/password_reset/confirm', { token, password }, o),
    },
    /** Funnel events; a no-op until the analytics endpoint exists behind this client. */
    track: (_type: string, _props: Record<string, unknown> = {}) => {},
  };
}

export type ShopClient = ReturnType<typeof createClient>;
