import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../dist/cli.js');
const run = promisify(execFile);

function environment(dir: string, extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: join(dir, 'keyward.sqlite'),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Runs a command for a script: `--json`, its standard output parsed. */
async function keyward(dir: string, ...args: string[]) {
  const { stdout } = await run('node', [CLI, ...args, '--json'], { env: environment(dir) });
  return JSON.parse(stdout);
}

async function failure(dir: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run('node', [CLI, ...args], { env: environment(dir) });
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`keyward ${args.join(' ')} succeeded`);
}

describe('keyward command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-'));

  it('prints help for every command', async () => {
    for (const command of [
      [],
      ['serve'],
      ['migrate'],
      ['token', 'create'],
      ['license', 'create'],
      ['backup'],
    ]) {
      const { stdout } = await run('node', [CLI, ...command, '--help'], { env: environment(dir) });
      expect(stdout).toContain('Usage: keyward');
    }
  });

  it('manages products, policies, licenses and tokens against the configured database', async () => {
    expect((await keyward(dir, 'migrate')).applied).toBeInstanceOf(Array);
    const product = await keyward(dir, 'product', 'create', 'Desktop App', '--code', 'desk');
    expect(product).toMatchObject({ id: 1, name: 'Desktop App', code: 'desk' });
    expect(await keyward(dir, 'product', 'list')).toHaveLength(1);
    const policy = await keyward(
      dir,
      'policy',
      'create',
      '--product',
      '1',
      '--name',
      'Pro',
      '--max-machines',
      '3',
    );
    expect(policy).toMatchObject({ productId: 1, maxMachines: 3 });
    const licenses = await keyward(
      dir,
      'license',
      'create',
      '--policy',
      String(policy.id),
      '--count',
      '3',
      '--email',
      'A@Example.com',
    );
    expect(licenses).toHaveLength(3);
    expect(licenses[0].email).toBe('a@example.com');
    expect(await keyward(dir, 'license', 'list', '--product', '1')).toHaveLength(3);
    expect((await keyward(dir, 'license', 'show', licenses[1].key)).id).toBe(licenses[1].id);
    expect((await keyward(dir, 'license', 'show', String(licenses[2].id))).key).toBe(licenses[2].key);

    const token = await keyward(
      dir,
      'token',
      'create',
      '--name',
      'ci',
      '--scope',
      'licenses:read,licenses:validate',
    );
    expect(token.secret).toMatch(/^kw_/);
    expect(token.scopes).toEqual(['licenses:read', 'licenses:validate']);
    const listed = await keyward(dir, 'token', 'list');
    expect(JSON.stringify(listed)).not.toContain(token.secret);
    expect(await keyward(dir, 'token', 'revoke', String(token.id))).toEqual({ revoked: token.id });
    expect(await keyward(dir, 'token', 'list')).toHaveLength(listed.length - 1);
  });

  it('reports domain failures and bad arguments on stderr with exit code 1', async () => {
    const missing = await failure(dir, 'license', 'show', 'NO-SUCH-KEY-AT-ALL');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('LICENSE_NOT_FOUND');
    expect((await failure(dir, 'license', 'create', '--policy', 'abc')).stderr).toContain(
      'positive whole number',
    );
    expect((await failure(dir, 'token', 'create', '--name', 'x', '--scope', 'everything')).stderr).toContain(
      'INVALID_INPUT',
    );
  });

  it('backs up the SQLite database online into a readable copy, readable by its owner alone', async () => {
    const target = join(dir, 'backup');
    expect(await keyward(dir, 'backup', target)).toMatchObject({ backup: target });
    const copy = new Sqlite(join(target, 'keyward.sqlite'), { readonly: true });
    expect(copy.prepare('select count(*) as n from licenses').get()).toEqual({ n: 3 });
    copy.close();
    // The copy holds every secret of the database, also when it replaces files anyone could read.
    const replaced = join(dir, 'replaced');
    mkdirSync(replaced);
    writeFileSync(join(replaced, 'keyward.sqlite'), '', { mode: 0o644 });
    writeFileSync(join(replaced, 'keyward.secret'), '', { mode: 0o644 });
    await keyward(dir, 'backup', replaced);
    for (const file of [
      join(target, 'keyward.sqlite'),
      join(target, 'keyward.secret'),
      join(replaced, 'keyward.sqlite'),
      join(replaced, 'keyward.secret'),
      join(dir, 'keyward.sqlite'),
      join(dir, 'keyward.secret'),
    ])
      expect(statSync(file).mode & 0o777, file).toBe(0o600);
  });

  it('serves, prints a generated admin token only on the first start, and shuts down gracefully', async () => {
    const serverDir = mkdtempSync(join(tmpdir(), 'keyward-serve-'));
    const start = async () => {
      const port = await freePort();
      // Info level: the log stream (standard output) then holds every line the server logs while starting.
      const env = environment(serverDir, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      const child = spawn('node', [CLI, 'serve'], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      await waitUntilReady(`http://127.0.0.1:${port}/readyz`, child);
      return { child, stdout: () => stdout, stderr: () => stderr };
    };
    const first = await start();
    const token = /\n\s+(kw_\S+)\n/.exec(first.stderr())?.[1];
    const password = /password: (\S+)\n/.exec(first.stderr())?.[1];
    expect(token).toBeDefined();
    expect(password).toBeDefined();
    first.child.kill('SIGTERM');
    expect(await exitCode(first.child)).toBe(0);
    // The log stream says that credentials were printed, and never what they are.
    const log = first.stdout();
    expect(log).toContain('the generated credentials were printed once to standard error');
    expect(log).not.toContain(token as string);
    expect(log).not.toContain(password as string);
    for (const line of log.trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();

    const second = await start();
    expect(second.stderr()).not.toContain('admin token');
    expect(second.stderr()).not.toContain('password');
    second.child.kill('SIGTERM');
    expect(await exitCode(second.child)).toBe(0);
    expect(second.stdout()).not.toContain('generated credentials');
  });
});

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ready = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not become ready');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
