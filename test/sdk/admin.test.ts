import { describe, expect, it } from 'vitest';
import { type AdminSession, createAdminClient } from '../../packages/sdk/src/admin.ts';
import { CrowdstartError } from '../../packages/sdk/src/errors.ts';
import { memoryStorage } from '../../packages/sdk/src/storage.ts';
import { ROOT_TOKEN, testApp } from '../support/harness.ts';

const PASSWORD = 'correct horse battery';

describe('admin client (packages/sdk/src/admin.ts)', () => {
  const t = testApp({ env: { PUBLIC_URL: 'https://shop.example' } });

  async function signedIn() {
    const app = await t;
    const store = await app.createStore();
    const link = await app.request('POST', `/v1/stores/${store.id}/owner_link`, {
      key: ROOT_TOKEN,
      body: { email: 'owner@example.com' },
    });
    const paths: string[] = [];
    const storage = memoryStorage();
    let signedOut = 0;
    const api = createAdminClient({
      baseUrl: 'http://api.test',
      storage,
      maxRetries: 0,
      fetch: async (input, init) => {
        const url = new URL(String(input));
        paths.push(`${init?.method ?? 'GET'} ${url.pathname}`);
        return app.app.request(url.pathname + url.search, init);
      },
      onSignedOut: () => signedOut++,
    });
    const token = new URL(link.json.url).searchParams.get('token')!;
    const session = await api.session.accept({ token, password: PASSWORD, name: 'Olive' });
    return { app, store, api, storage, paths, session, signedOut: () => signedOut };
  }
  const stored = (s: ReturnType<typeof memoryStorage>) =>
    JSON.parse(s.getItem('crowdstart:staff_session')!) as AdminSession;

  it('keeps the session in its storage, refreshes before the access token lapses, and after a 401', async () => {
    const { api, storage, paths, session } = await signedIn();
    expect(session.user).toMatchObject({ role: 'owner', name: 'Olive' });
    expect(stored(storage).accessToken).toBe(session.accessToken);
    expect((await api.session.me()).email).toBe('owner@example.com');

    // About to lapse: the next call refreshes first, and the old refresh token stops working.
    storage.setItem(
      'crowdstart:staff_session',
      JSON.stringify({ ...stored(storage), expiresAt: Date.now() }),
    );
    paths.length = 0;
    await api.orders.list({ limit: 1 });
    expect(paths).toEqual(['POST /v1/staff/sessions/refresh', 'GET /v1/orders']);
    expect(stored(storage).refreshToken).not.toBe(session.refreshToken);

    // A token the API refuses (401): one refresh, then the call again.
    storage.setItem('crowdstart:staff_session', JSON.stringify({ ...stored(storage), accessToken: 'x.y.z' }));
    paths.length = 0;
    expect((await api.session.me()).role).toBe('owner');
    expect(paths).toEqual(['GET /v1/staff/me', 'POST /v1/staff/sessions/refresh', 'GET /v1/staff/me']);
  });

  it('concurrent calls share one refresh; a refused refresh signs out', async () => {
    const { api, storage, paths, signedOut } = await signedIn();
    storage.setItem(
      'crowdstart:staff_session',
      JSON.stringify({ ...stored(storage), expiresAt: Date.now() }),
    );
    paths.length = 0;
    await Promise.all([api.session.me(), api.orders.list({ limit: 1 }), api.reports.overview()]);
    expect(paths.filter((p) => p.endsWith('/refresh'))).toHaveLength(1);

    storage.setItem(
      'crowdstart:staff_session',
      JSON.stringify({ ...stored(storage), expiresAt: Date.now(), refreshToken: 'not-a-token' }),
    );
    const e = await api.session.me().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CrowdstartError);
    expect((e as CrowdstartError).status).toBe(401);
    expect(api.session.current()).toBeNull();
    expect(signedOut()).toBe(1);
  });

  it('signs out: the refresh token is revoked and the session forgotten', async () => {
    const { app, api, session } = await signedIn();
    await api.session.signOut();
    expect(api.session.current()).toBeNull();
    const r = await app.request('POST', '/v1/staff/sessions/refresh', {
      body: { refresh_token: session.refreshToken },
    });
    expect(r.status).toBe(401);
  });
});
