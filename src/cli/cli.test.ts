import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDataDirs, runCli, tempDataDir } from '../../test/support/cli.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Exactly one line on stderr, no stack frame, and a non-zero exit. */
function expectOneLineFailure(r: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\.ts:\d+/);
}

afterAll(removeTempDataDirs);

describe('CLI help and version', () => {
  it('prints the command list, each command with its options, and the version', async () => {
    const all = await runCli(['--help']);
    expect(all.code).toBe(0);
    for (const c of ['start', 'serve', 'worker', 'migrate', 'seed', 'stores create', 'keys create', 'help']) {
      expect(all.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }

    const stores = await runCli(['stores', 'create', '--help']);
    expect(stores.code).toBe(0);
    expect(stores.stdout).toMatch(/^crowdstart stores create --name NAME \[--currency CODE\]$/m);
    expect(stores.stdout).toMatch(/^ {2}--name NAME +\S.+$/m);
    expect(stores.stdout).toMatch(/^ {2}--currency CODE +\S.+$/m);

    const keys = await runCli(['help', 'keys', 'create']);
    expect(keys.code).toBe(0);
    for (const o of ['--store ID', '--kind KIND', '--mode MODE'])
      expect(keys.stdout).toMatch(new RegExp(`^  ${o} +\\S`, 'm'));
    const serve = await runCli(['serve', '-h']);
    expect(serve.stdout).toMatch(/^ {2}--workers N +\S/m);

    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
  });
});

describe('CLI errors are one line and a non-zero exit', () => {
  const dataDir = tempDataDir();
  const env = { CROWDSTART_DATA_DIR: dataDir };
  let busy: Server | undefined;
  afterAll(() => busy?.close());

  it('refuses unknown commands and options and bad values before touching any data', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['start', '--bogus'], /^unknown option --bogus for "start"/],
      [['stores', 'create', '--name'], /^--name needs a value/],
      [['seed', '--products', '-5'], /^--products must be a whole number from 0 to 1000000 \(got "-5"\)$/],
      [['seed', '--products=1.5'], /^--products must be a whole number/],
      [['serve', '--workers', 'abc'], /^--workers must be a whole number from 1 to 64 \(got "abc"\)$/],
      [['keys', 'create', '--store', 'store_x', '--kind', 'root'], /^--kind must be publishable or secret/],
      [['keys', 'create', '--kind', 'secret'], /^--store is required/],
      [['frobnicate'], /^unknown command "frobnicate"/],
      [['stores', 'delete'], /^unknown command "stores delete"; did you mean "stores create"\?$/],
      [['migrate', 'extra'], /^unexpected argument "extra" for "migrate"/],
    ];
    for (const [args, pattern] of cases) expectOneLineFailure(await runCli(args, env), pattern);
    expectOneLineFailure(
      await runCli(['migrate'], { ...env, PORT: '99999' }),
      /^invalid configuration: PORT: .* \(got "99999"\)$/,
    );
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
  });

  it('refuses a currency the API refuses, with the API rule', async () => {
    for (const currency of ['XYZ', 'usd']) {
      const r = await runCli(['stores', 'create', '--name', 'Shop', '--currency', currency], env);
      expectOneLineFailure(r, /^--currency must be an upper-case ISO 4217 code we support: USD, EUR/);
      expect(r.stdout).toBe('');
    }
    const ok = await runCli(['stores', 'create', '--name', 'Shop', '--currency', 'JPY'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'Shop', currency: 'JPY' });
  });

  it('says in one line that the database is unreachable or missing', async () => {
    expectOneLineFailure(
      await runCli(['migrate'], { DATABASE_URL: 'postgres://127.0.0.1:1/x' }),
      /^cannot reach the database at postgres:\/\/127\.0\.0\.1:1\/x: .*ECONNREFUSED/,
    );
    expectOneLineFailure(
      await runCli(['stores', 'create', '--name', 'A'], {
        DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/x',
      }),
      /^cannot reach the database at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/,
    );
  });

  it('checks the port before it migrates or starts anything', async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy!.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const fresh = tempDataDir();
    for (const command of ['start', 'serve']) {
      const r = await runCli([command], { CROWDSTART_DATA_DIR: fresh, PORT: String(port) });
      expectOneLineFailure(r, new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is in use`));
      expect(r.stdout).not.toMatch(/Seeding|seeded|listening/);
    }
    expect(existsSync(path.join(fresh, 'pgdata'))).toBe(false); // nothing migrated
  });
});
