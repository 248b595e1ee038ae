import type { components, paths } from './api.d.ts';
import { CrowdstartError } from './errors.ts';
import { type ApiRequest, type CallOptions, createTransport, newKey, type Query } from './http.ts';
import { memoryStorage, type StorageLike } from './storage.ts';

type Schemas = components['schemas'];
/** The JSON body of a path's successful answer. */
type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : never
  : never;
/** The JSON body a path takes. */
type In<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type StaffRole = Schemas['StaffUser']['role'];
export type StaffUser = Schemas['StaffUser'];
export type Order = Schemas['Order'];
export type OrderDetail = Schemas['OrderDetail'];
export type AdminProduct = Schemas['Product'];
export type AdminVariant = Schemas['Variant'];
export type InventoryLevel = Schemas['InventoryLevel'];
export type ApiKey = Schemas['ApiKey'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type BulkJob = Schemas['BulkJob'];
export type StoreEvent = Schemas['Event'];
export type OrderList = Ok<'/v1/orders', 'get'>;
export type ProductCreate = In<'/v1/products', 'post'>;
export type ProductPatch = In<'/v1/products/{id}', 'patch'>;
export type VariantCreate = In<'/v1/products/{id}/variants', 'post'>;
export type VariantPatch = In<'/v1/variants/{id}', 'patch'>;
export type OverviewReport = Ok<'/v1/reports/overview', 'get'>;
export type FunnelReport = Ok<'/v1/reports/funnel', 'get'>;
export type SalesReport = Ok<'/v1/reports/sales', 'get'>;
export type TopProductsReport = Ok<'/v1/reports/top_products', 'get'>;
export type Customer = Schemas['Customer'];
export type CustomerDetail = Schemas['CustomerDetail'];
export type CustomerList = Ok<'/v1/customers', 'get'>;
export type OrderEmail = Schemas['Email'];
export type ProductHistoryEntry = Schemas['CatalogHistoryEntry'];

/** The signed-in staff user's session as kept in storage. */
export interface AdminSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token lapses. */
  expiresAt: number;
  mode: 'test' | 'live';
  user: StaffUser;
}

export interface AdminClientOptions {
  /** The API's origin; default the page's own origin (`''`). */
  baseUrl?: string;
  /** Where the session is kept: `sessionStorage` in the dashboard (gone when the tab closes), memory otherwise. */
  storage?: StorageLike;
  storageKey?: string;
  fetch?: typeof fetch;
  maxRetries?: number;
  /** Called when the session ends (sign-out, or a refresh the API refused). */
  onSignedOut?: () => void;
}

/** Refresh this long before the access token lapses. */
const EARLY_MS = 30_000;
const id = (s: string) => encodeURIComponent(s);

/**
 * A client of the staff (admin) API: sign-in with email and password, the access token kept in `storage` and
 * refreshed before it lapses (or once after a 401), and typed calls for orders, catalog, stock, reports, staff
 * and API keys. Every failure is a `CrowdstartError` with the API's `code` and `param`.
 */
export function createAdminClient(options: AdminClientOptions = {}) {
  const storage = options.storage ?? memoryStorage();
  const storageKey = `${options.storageKey ?? 'crowdstart'}:staff_session`;
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let refreshing: Promise<AdminSession | null> | null = null;

  const read = (): AdminSession | null => {
    try {
      const raw = storage.getItem(storageKey);
      return raw ? (JSON.parse(raw) as AdminSession) : null;
    } catch {
      return null;
    }
  };
  const write = (s: AdminSession | null) => {
    if (s) storage.setItem(storageKey, JSON.stringify(s));
    else storage.removeItem(storageKey);
  };

  const anonymous = createTransport({
    key: '',
    baseUrl,
    fetch: doFetch,
    maxRetries: options.maxRetries ?? 2,
  });
  const authed = createTransport({
    key: () => read()?.accessToken ?? '',
    baseUrl,
    fetch: doFetch,
    maxRetries: options.maxRetries ?? 2,
  });

  function keep(body: Schemas['StaffSession'], user?: StaffUser): AdminSession {
    const u = body.staff_user ?? user ?? read()?.user;
    if (!u) throw new Error('A staff session without its user');
    const s: AdminSession = {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresAt: Date.now() + body.expires_in * 1000,
      mode: body.mode,
      user: u,
    };
    write(s);
    return s;
  }

  function end() {
    write(null);
    options.onSignedOut?.();
  }

  /** Trades the refresh token for a new pair; one refresh at a time however many calls wait for it. */
  function refresh(): Promise<AdminSession | null> {
    refreshing ??= (async () => {
      const s = read();
      if (!s) return null;
      try {
        const body = await anonymous<Schemas['StaffSession']>({
          method: 'POST',
          path: '/v1/staff/sessions/refresh',
          body: { refresh_token: s.refreshToken, mode: s.mode },
        });
        return keep(body, s.user);
      } catch (e) {
        if (e instanceof CrowdstartError && e.status >= 400 && e.status < 500) end();
        throw e;
      }
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function send<T>(r: ApiRequest): Promise<T> {
    const s = read();
    if (s && s.expiresAt - EARLY_MS < Date.now()) await refresh();
    try {
      return await authed<T>(r);
    } catch (e) {
      if (e instanceof CrowdstartError && e.status === 401 && read()) {
        await refresh();
        return authed<T>(r);
      }
      throw e;
    }
  }

  const get = <T>(path: string, query?: Query, o?: CallOptions) =>
    send<T>({ method: 'GET', path, query, signal: o?.signal });
  const post = <T>(path: string, body?: unknown, extra: Partial<ApiRequest> = {}) =>
    send<T>({ method: 'POST', path, body, ...extra });
  const patch = <T>(path: string, body: unknown, extra: Partial<ApiRequest> = {}) =>
    send<T>({ method: 'PATCH', path, body, ...extra });
  /** `If-Match` with the version read: the API answers 409/412 when someone saved in between. */
  const ifMatch = (version: number | undefined) =>
    version === undefined ? {} : { headers: { 'If-Match': `"${version}"` } };

  return {
    session: {
      /** The stored session, or null when signed out. */
      current: read,
      async signIn(input: { storeId: string; email: string; password: string; mode?: 'test' | 'live' }) {
        const body = await anonymous<Schemas['StaffSession']>({
          method: 'POST',
          path: '/v1/staff/sessions',
          body: { store_id: input.storeId, email: input.email, password: input.password, mode: input.mode },
        });
        return keep(body);
      },
      /** Uses an invitation (or set-password) link's token: sets the password and signs in. */
      async accept(input: { token: string; password: string; name?: string; mode?: 'test' | 'live' }) {
        const body = await anonymous<Schemas['StaffSession']>({
          method: 'POST',
          path: '/v1/staff/accept',
          body: { token: input.token, password: input.password, name: input.name, mode: input.mode },
        });
        return keep(body);
      },
      refresh,
      /** Revokes the refresh token (best effort) and forgets the session. */
      async signOut() {
        const s = read();
        if (s) {
          await anonymous({
            method: 'POST',
            path: '/v1/staff/sessions/revoke',
            body: { refresh_token: s.refreshToken },
          }).catch(() => undefined);
        }
        end();
      },
      me: () => get<StaffUser>('/v1/staff/me'),
    },
    orders: {
      list: (q: QueryOf<'/v1/orders', 'get'>, o?: CallOptions) => get<OrderList>('/v1/orders', q as Query, o),
      get: (orderId: string) => get<OrderDetail>(`/v1/orders/${id(orderId)}`),
      fulfill: (orderId: string, input: In<'/v1/orders/{id}/fulfill', 'post'>) =>
        post<OrderDetail>(`/v1/orders/${id(orderId)}/fulfill`, input),
      refund: (orderId: string, input: In<'/v1/orders/{id}/refund', 'post'>) =>
        post<Ok<'/v1/orders/{id}/refund', 'post'>>(`/v1/orders/${id(orderId)}/refund`, input, {
          idempotencyKey: newKey(),
        }),
      cancel: (orderId: string, reason?: string) =>
        post<OrderDetail>(`/v1/orders/${id(orderId)}/cancel`, reason ? { reason } : {}),
      complete: (orderId: string) => post<OrderDetail>(`/v1/orders/${id(orderId)}/complete`, {}),
      emails: (orderId: string) =>
        get<Ok<'/v1/orders/{id}/emails', 'get'>>(`/v1/orders/${id(orderId)}/emails`),
    },
    products: {
      list: (q: QueryOf<'/v1/products', 'get'>, o?: CallOptions) =>
        get<Schemas['ProductList']>('/v1/products', q as Query, o),
      search: (q: string, o?: CallOptions) =>
        get<Schemas['ProductSearchResult']>('/v1/products/search', { q, limit: 50 }, o),
      get: (productId: string) => get<AdminProduct>(`/v1/products/${id(productId)}`),
      create: (input: ProductCreate) => post<AdminProduct>('/v1/products', input),
      /** Saves changes made to `version`; `version` undefined overwrites whatever is stored (after a conflict). */
      update: (productId: string, version: number | undefined, input: ProductPatch) =>
        patch<AdminProduct>(`/v1/products/${id(productId)}`, input, ifMatch(version)),
      remove: (productId: string) =>
        send<unknown>({ method: 'DELETE', path: `/v1/products/${id(productId)}` }),
      addVariant: (productId: string, input: VariantCreate) =>
        post<AdminVariant>(`/v1/products/${id(productId)}/variants`, input),
      updateVariant: (variantId: string, version: number | undefined, input: VariantPatch) =>
        patch<AdminVariant>(`/v1/variants/${id(variantId)}`, input, ifMatch(version)),
      removeVariant: (variantId: string) =>
        send<unknown>({ method: 'DELETE', path: `/v1/variants/${id(variantId)}` }),
      history: (productId: string, q: QueryOf<'/v1/products/{id}/history', 'get'> = {}) =>
        get<Ok<'/v1/products/{id}/history', 'get'>>(`/v1/products/${id(productId)}/history`, q as Query),
    },
    customers: {
      /** Newest first; `q` searches email and name prefixes, `verified` filters. */
      list: (q: QueryOf<'/v1/customers', 'get'> = {}, o?: CallOptions) =>
        get<CustomerList>('/v1/customers', q as Query, o),
      get: (customerId: string) => get<CustomerDetail>(`/v1/customers/${id(customerId)}`),
    },
    inventory: {
      get: (variantId: string) => get<InventoryLevel>(`/v1/inventory/${id(variantId)}`),
      set: (variantId: string, onHand: number) =>
        send<InventoryLevel>({
          method: 'PUT',
          path: `/v1/inventory/${id(variantId)}`,
          body: { on_hand: onHand },
        }),
      adjust: (variantId: string, delta: number, note?: string) =>
        post<InventoryLevel>(`/v1/inventory/${id(variantId)}/adjust`, { delta, note }),
      /** The variant's stock ledger, newest first, with who set or adjusted it by hand. */
      movements: (variantId: string, q: QueryOf<'/v1/inventory/{variant_id}/movements', 'get'> = {}) =>
        get<Ok<'/v1/inventory/{variant_id}/movements', 'get'>>(
          `/v1/inventory/${id(variantId)}/movements`,
          q as Query,
        ),
    },
    reports: {
      overview: () => get<OverviewReport>('/v1/reports/overview'),
      funnel: (q: QueryOf<'/v1/reports/funnel', 'get'> = {}) =>
        get<FunnelReport>('/v1/reports/funnel', q as Query),
      sales: (q: QueryOf<'/v1/reports/sales', 'get'> = {}) =>
        get<SalesReport>('/v1/reports/sales', q as Query),
      topProducts: (q: QueryOf<'/v1/reports/top_products', 'get'> = {}) =>
        get<TopProductsReport>('/v1/reports/top_products', q as Query),
    },
    staff: {
      list: () => get<Ok<'/v1/staff', 'get'>>('/v1/staff'),
      invite: (input: In<'/v1/staff', 'post'>) => post<StaffUser>('/v1/staff', input),
      setRole: (staffId: string, role: StaffRole, version?: number) =>
        patch<StaffUser>(`/v1/staff/${id(staffId)}`, { role, ...(version ? { version } : {}) }),
      remove: (staffId: string) => send<unknown>({ method: 'DELETE', path: `/v1/staff/${id(staffId)}` }),
    },
    apiKeys: {
      list: () => get<Ok<'/v1/api_keys', 'get'>>('/v1/api_keys'),
      create: (input: In<'/v1/api_keys', 'post'>) => post<Ok<'/v1/api_keys', 'post'>>('/v1/api_keys', input),
      revoke: (keyId: string) => post<unknown>(`/v1/api_keys/${id(keyId)}/revoke`, {}),
    },
    webhooks: {
      list: () => get<Ok<'/v1/webhook_endpoints', 'get'>>('/v1/webhook_endpoints', { limit: 100 }),
      create: (input: In<'/v1/webhook_endpoints', 'post'>) =>
        post<WebhookEndpoint>('/v1/webhook_endpoints', input),
      update: (endpointId: string, version: number, input: In<'/v1/webhook_endpoints/{id}', 'patch'>) =>
        patch<WebhookEndpoint>(`/v1/webhook_endpoints/${id(endpointId)}`, input, ifMatch(version)),
      remove: (endpointId: string) =>
        send<unknown>({ method: 'DELETE', path: `/v1/webhook_endpoints/${id(endpointId)}` }),
      deliveries: (endpointId: string) =>
        get<Ok<'/v1/webhook_endpoints/{id}/deliveries', 'get'>>(
          `/v1/webhook_endpoints/${id(endpointId)}/deliveries`,
          { limit: 50 },
        ),
      retry: (endpointId: string, deliveryId: string) =>
        post<WebhookDelivery>(
          `/v1/webhook_endpoints/${id(endpointId)}/deliveries/${id(deliveryId)}/retry`,
          {},
        ),
      redeliver: (endpointId: string, since: string) =>
        post<{ requeued: number }>(`/v1/webhook_endpoints/${id(endpointId)}/redeliver`, { since }),
      sendTest: (endpointId: string) =>
        post<WebhookDelivery>(`/v1/webhook_endpoints/${id(endpointId)}/test`, {}),
    },
    events: {
      list: (q: QueryOf<'/v1/events', 'get'> = {}) => get<Ok<'/v1/events', 'get'>>('/v1/events', q as Query),
    },
    bulk: {
      /** Queues a product import from a Shopify product CSV; poll `job(id)` for its progress and errors. */
      importProducts: (csv: string, fileName?: string) =>
        post<BulkJob>('/v1/bulk/imports', { csv, ...(fileName ? { file_name: fileName } : {}) }),
      /** Queues a CSV export of the store's products or (the session mode's) orders. */
      export: (kind: 'products' | 'orders') => post<BulkJob>('/v1/bulk/exports', { kind }),
      jobs: (q: QueryOf<'/v1/bulk/jobs', 'get'> = {}) =>
        get<Ok<'/v1/bulk/jobs', 'get'>>('/v1/bulk/jobs', q as Query),
      job: (jobId: string) => get<BulkJob>(`/v1/bulk/jobs/${id(jobId)}`),
      /** The CSV of a succeeded export, as text. */
      async download(jobId: string): Promise<string> {
        const s = read();
        if (s && s.expiresAt - EARLY_MS < Date.now()) await refresh();
        const res = await doFetch(`${baseUrl}/v1/bulk/jobs/${id(jobId)}/file`, {
          headers: { Authorization: `Bearer ${read()?.accessToken ?? ''}` },
        });
        if (!res.ok) {
          const body = (await res.json().catch(() => null)) as {
            error?: ConstructorParameters<typeof CrowdstartError>[1];
          } | null;
          throw new CrowdstartError(
            res.status,
            body?.error ?? {
              type: 'api_error',
              code: 'INTERNAL_ERROR',
              message: `Download failed (${res.status})`,
            },
            res.headers.get('x-request-id') ?? undefined,
          );
        }
        return res.text();
      },
    },
    /** Any other call, with the session's token: `{ method, path, query, body }`. */
    request: send,
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
