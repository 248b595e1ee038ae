import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliProcess, removeTempDataDirs, spawnCli, tempDataDir } from '../../test/support/cli.ts';
import { createStoresService, store } from '../modules/stores/index.ts';
import { openDatabase, runMigrations } from './db.ts';
import { ids } from './ids.ts';

const parseLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

afterAll(removeTempDataDirs);

describe('logs', () => {
  it('writes an error at once: it is on stdout even when the process is killed right after', async () => {
    // Logs an access line and an error, then dies without any chance to flush (SIGKILL).
    const script = `
      import { createLogger } from './src/shared/logger.ts';
      const logger = createLogger('info');
      logger.info({ route: '/v1/x' }, 'request');
      logger.error({ err: new Error('boom') }, 'unhandled error');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const signal = await new Promise((resolve) => child.once('close', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    const lines = parseLines(out);
    expect(lines.map((l) => l.msg)).toEqual(['request', 'unhandled error']);
    expect((lines[1]!.err as { stack: string }).stack).toContain('Error: boom');
  });

  describe('a running server', () => {
    let server: CliProcess;
    afterAll(() => server?.kill());

    it("writes a 500's stack trace while the request is answered, not at shutdown", async () => {
      // A store whose currency pricing cannot handle (written around the rules), so a cart answers 500.
      const dataDir = tempDataDir();
      const database = await openDatabase({ dataDir });
      await runMigrations(database);
      const storeId = ids('store');
      await database.db.insert(store).values({ id: storeId, name: 'Broken', currency: 'XYZ', settings: {} });
      const { plaintext: pk } = await createStoresService({ db: database.db, ids }).createKey({
        storeId,
        kind: 'publishable',
        mode: 'test',
      });
      await database.close();

      server = spawnCli(['start'], { CROWDSTART_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/);
      const r = await fetch(`http://127.0.0.1:${port}/v1/carts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${pk}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r.status).toBe(500);
      const requestId = r.headers.get('x-request-id');

      await server.waitFor(/"msg":"unhandled error"/);
      expect(server.child.exitCode).toBeNull();
      const line = parseLines(server.stdout()).find((l) => l.msg === 'unhandled error')!;
      expect(line).toMatchObject({ level: 50, request_id: requestId });
      expect((line.err as { stack: string }).stack).toMatch(/Unknown currency XYZ\n\s+at /);
      await server.kill();
    });

    it('writes access lines with trace, span, store and key while it runs', async () => {
      server = spawnCli(['start'], { CROWDSTART_DATA_DIR: tempDataDir(), LOG_LEVEL: 'info' });
      const [, sk] = await server.waitFor(/secret key:\s+(sk_test_\w+)/);
      const [, pk] = await server.waitFor(/publishable key:\s+(pk_test_\w+)/);
      const [, slug] = await server.waitFor(/\/v1\/products\/(\S+)/);
      const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/);
      const base = `http://127.0.0.1:${port}`;
      const store = await fetch(`${base}/v1/store`, { headers: { authorization: `Bearer ${sk}` } });
      expect(store.status).toBe(200);
      const storeId = ((await store.json()) as { id: string }).id;
      // The second read of a product is served by the catalog fast path.
      for (let i = 0; i < 2; i++) {
        const r = await fetch(`${base}/v1/products/${slug}`, { headers: { authorization: `Bearer ${pk}` } });
        expect(r.status).toBe(200);
      }

      await server.waitFor(/"route":"\/v1\/products\/:id"[^\n]*\n[^\n]*"route":"\/v1\/products/);
      expect(server.child.exitCode).toBeNull(); // read from stdout before the process exits
      const access = parseLines(server.stdout()).filter((l) => l.msg === 'request');
      const storeLine = access.find((l) => l.route === '/v1/store')!;
      expect(storeLine).toMatchObject({ store_id: storeId, key_id: expect.stringMatching(/^key_/) });
      expect(storeLine.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(storeLine.trace_id).toMatch(/^[0-9a-f]{32}$/);
      const productLines = access.filter((l) => l.route === '/v1/products/:id');
      expect(productLines).toHaveLength(2);
      for (const l of productLines) {
        expect(l).toMatchObject({ store_id: storeId, key_id: expect.stringMatching(/^key_/) });
        expect(l.span_id).toMatch(/^[0-9a-f]{16}$/);
      }
      expect(productLines[0]!.key_id).not.toBe(storeLine.key_id); // publishable vs secret

      // What is still batched at exit is written too.
      expect(await server.kill('SIGTERM')).toBe(0);
      expect(parseLines(server.stdout()).at(-1)).toMatchObject({ level: 30, msg: 'shutdown complete' });
    });
  });
});
