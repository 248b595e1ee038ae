import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_CARDS } from '../../src/modules/payments/index.ts';
import { listen } from '../../src/server.ts';
import { seedVariant } from '../support/commerce.ts';
import { testApp } from '../support/harness.ts';

const run = promisify(execFile);

/** The shape of test/contract/client/declined-checkout.ts, which compiles only once its types are generated. */
interface ClientScript {
  checkoutWithCard(o: {
    baseUrl: string;
    publishableKey: string;
    variantId: string;
    cardNumber: string;
  }): Promise<{ status: number; orderId: string; code: string | null; declineCode: string | null }>;
}
const t = await testApp();
const { port, server } = await listen(t, { port: 0, host: '127.0.0.1' });
afterAll(() => new Promise<void>((r) => server.close(() => r())));
const baseUrl = `http://127.0.0.1:${port}`;
const store = await t.createStore({ name: 'Typed client store' });

const DIR = 'test/contract/client';
const TSC_ARGS = [
  '--strict',
  '--noEmit',
  '--target',
  'es2023',
  '--lib',
  'es2023,dom',
  '--module',
  'esnext',
  '--moduleResolution',
  'bundler',
  '--allowImportingTsExtensions',
  '--types',
  'node',
];
const tsc = (file: string) =>
  run('node_modules/.bin/tsc', [...TSC_ARGS, file]).then(
    () => ({ code: 0, out: '' }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );

describe('a client generated from the document', () => {
  it('types a cart → checkout script that compiles with tsc --strict, and refuses a checkout without a key', async () => {
    const spec = await (await fetch(`${baseUrl}/v1/openapi.json`)).json();
    mkdirSync(`${DIR}/generated`, { recursive: true });
    writeFileSync(`${DIR}/generated/api.ts`, astToString(await openapiTS(spec)));

    const ok = await tsc(`${DIR}/declined-checkout.ts`);
    expect(ok.out).toBe('');
    expect(ok.code).toBe(0);

    // The types are a contract, not `any`: a checkout without its required Idempotency-Key does not compile.
    writeFileSync(
      `${DIR}/generated/no-key.ts`,
      `import createClient from 'openapi-fetch';
import type { paths } from './api.ts';
const api = createClient<paths>({ baseUrl: 'http://localhost' });
await api.POST('/v1/checkout', { body: { cart_token: 't', payment: { payment_method: 'pm_card_visa' } } });
`,
    );
    const noKey = await tsc(`${DIR}/generated/no-key.ts`);
    expect(noKey.code).not.toBe(0);
    expect(noKey.out).toMatch(/error TS\d+/);
    expect(noKey.out).toMatch(/params/);
  });

  it('runs the script against a real server: a declined card is a typed 402 PAYMENT_DECLINED', async () => {
    // A computed path: the project's typecheck runs before this file generates the types the script needs.
    const script = './client/declined-checkout.ts';
    const { checkoutWithCard } = (await import(script)) as ClientScript;
    const variantId = await seedVariant(t, store, { onHand: 5 });
    const declined = await checkoutWithCard({
      baseUrl,
      publishableKey: store.pk,
      variantId,
      cardNumber: TEST_CARDS.declined,
    });
    expect(declined).toMatchObject({ status: 402, code: 'PAYMENT_DECLINED', declineCode: 'card_declined' });
    expect(declined.orderId).toMatch(/^ord_[0-9a-z]{26}$/);

    const paid = await checkoutWithCard({
      baseUrl,
      publishableKey: store.pk,
      variantId,
      cardNumber: TEST_CARDS.success,
    });
    expect(paid).toMatchObject({ status: 201, code: null });
    expect(paid.orderId).toMatch(/^ord_/);
  });
});
