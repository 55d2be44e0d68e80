import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, freePorts, PACKAGE_DIR, PROCESS_SECRET } from './test-support/server-process.js';
import { POSTGRES_URL, postgresAvailable } from './test-support/test-store.js';

/**
 * A server that cannot start says in one line what is wrong and what to do, exits non-zero within seconds,
 * and prints a stack trace only when LOG_LEVEL=debug asks for one. Each case runs the built `keyward serve`.
 */

interface Failure {
  code: number | null;
  stderr: string;
  lines: string[];
  elapsedMs: number;
}

const isRoot = process.getuid?.() === 0;

async function failedStart(env: Record<string, string>, options: { args?: string[] } = {}): Promise<Failure> {
  const [port] = await freePorts(1);
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'serve', ...(options.args ?? [])], {
    cwd: PACKAGE_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KEYWARD_SECRET: PROCESS_SECRET,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout.resume();
  // A start that hangs is killed, and fails the exit-code check.
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr, lines: stderr.trimEnd().split('\n'), elapsedMs: Date.now() - started };
}

/** One line naming the problem, exit code 1, quickly, no stack. */
function expectOneLine(failure: Failure, ...patterns: RegExp[]): void {
  // Generous for a busy machine (node alone may take seconds to load there); a hang is killed at 30 s.
  expectOneLineWithin(15_000, failure, ...patterns);
}

function expectOneLineWithin(maxMs: number, failure: Failure, ...patterns: RegExp[]): void {
  expect(failure.lines, failure.stderr).toHaveLength(1);
  expect(failure.lines[0]).toMatch(/^keyward: /);
  for (const pattern of patterns) expect(failure.lines[0]).toMatch(pattern);
  expect(failure.stderr).not.toMatch(/^\s+at /m);
  expect(failure.code).toBe(1);
  expect(failure.elapsedMs).toBeLessThan(maxMs);
}

async function listeningOn(port: number, onConnection?: (socket: import('node:net').Socket) => void) {
  const server = createServer(onConnection ?? (() => {}));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('a server that cannot start', { timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyward-start-'));
  const held: Server[] = [];
  const cleanups: (() => void)[] = [];

  beforeAll(() => ensureBuilt());
  afterAll(() => {
    for (const server of held) server.close();
    for (const cleanup of cleanups) cleanup();
  });

  it('says which port is taken', async () => {
    const [port] = await freePorts(1);
    held.push(await listeningOn(port as number));
    const failure = await failedStart({ PORT: String(port), DATABASE_URL: join(root, 'port', 'k.sqlite') });
    expectOneLine(failure, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`), /set PORT/);
  });

  it('says which port is taken before starting workers', async () => {
    const [port] = await freePorts(1);
    held.push(await listeningOn(port as number));
    const failure = await failedStart(
      { PORT: String(port), DATABASE_URL: join(root, 'workers', 'k.sqlite') },
      { args: ['--workers', '2'] },
    );
    expectOneLine(failure, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  });

  it('prints the stack too when LOG_LEVEL=debug', async () => {
    const [port] = await freePorts(1);
    held.push(await listeningOn(port as number));
    const failure = await failedStart({
      PORT: String(port),
      LOG_LEVEL: 'debug',
      DATABASE_URL: join(root, 'debug', 'k.sqlite'),
    });
    expect(failure.lines[0]).toMatch(/already in use/);
    expect(failure.stderr).toMatch(/^\s+at /m);
    expect(failure.code).toBe(1);
  });

  it('says which HOST is not an address of this machine', async () => {
    const failure = await failedStart({ HOST: '192.0.2.1', DATABASE_URL: join(root, 'host', 'k.sqlite') });
    expectOneLine(failure, /HOST 192\.0\.2\.1 is not an address of this machine/);
  });

  it.each([
    ['eighty', /PORT must be a whole number from 0 to 65535, not "eighty"/],
    ['70000', /PORT must be a whole number from 0 to 65535, not "70000"/],
  ])('refuses PORT=%s', async (port, message) => {
    expectOneLine(await failedStart({ PORT: port, DATABASE_URL: join(root, 'p', 'k.sqlite') }), message);
  });

  it('refuses a short KEYWARD_SECRET and says how to make one', async () => {
    const failure = await failedStart({ KEYWARD_SECRET: 'short', DATABASE_URL: join(root, 's', 'k.sqlite') });
    expectOneLine(failure, /KEYWARD_SECRET must have at least 32 characters \(it has 5\)/, /openssl rand/);
  });

  it('names the data directory it cannot write, not keyward.secret', async () => {
    const dir = join(root, 'read-only');
    mkdirSync(dir);
    // Root writes anywhere its mode forbids: an immutable directory refuses root too.
    if (isRoot) {
      execFileSync('chattr', ['+i', dir]);
      cleanups.push(() => execFileSync('chattr', ['-i', dir]));
    } else {
      chmodSync(dir, 0o555);
    }
    const failure = await failedStart({ KEYWARD_SECRET: '', DATABASE_URL: join(dir, 'keyward.sqlite') });
    expectOneLine(failure, new RegExp(`the data directory ${dir} cannot be written \\((EACCES|EPERM)\\)`));
    expect(failure.lines[0]).toMatch(/make it writable for the user running Keyward \(uid \d+\)/);
    expect(failure.lines[0]).not.toMatch(/open '.*keyward\.secret'/);
  });

  it('says so when a part of the data path is a file', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const failure = await failedStart({ KEYWARD_SECRET: '', DATABASE_URL: join(file, 'data', 'k.sqlite') });
    expectOneLine(failure, new RegExp(`${file} is not a directory`));
  });

  it.each([
    ['/proc/keyward/data/keyward.sqlite', ''],
    ['/proc/keyward/data/keyward.sqlite', PROCESS_SECRET],
    ['/proc/keyward.sqlite', ''],
    ['/proc/keyward.sqlite', PROCESS_SECRET],
    ['/sys/keyward/keyward.sqlite', PROCESS_SECRET],
  ])('gives up at once on %s (KEYWARD_SECRET "%s")', async (path, secret) => {
    const failure = await failedStart({ KEYWARD_SECRET: secret, DATABASE_URL: path });
    expectOneLine(failure, /\/(proc|sys)\b/, /DATABASE_URL/);
  });

  it('refuses a keyward.secret that is not a regular file instead of waiting on it', async () => {
    const dir = join(root, 'fifo');
    mkdirSync(dir);
    expect(spawnSync('mkfifo', [join(dir, 'keyward.secret')]).status).toBe(0);
    const failure = await failedStart({ KEYWARD_SECRET: '', DATABASE_URL: join(dir, 'keyward.sqlite') });
    expectOneLine(failure, new RegExp(`${dir}/keyward\\.secret is not a regular file`));
  });

  it.each([
    ['/dev/null', /\/dev\/null is not a regular file/],
    ['/dev/zero', /\/dev\/zero is not a regular file/],
  ])('refuses %s as the database', async (path, message) => {
    expectOneLine(await failedStart({ DATABASE_URL: path }), message, /DATABASE_URL/);
  });

  it('says that a file is not a SQLite database', async () => {
    const file = join(root, 'notes.txt');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
    const failure = await failedStart({ DATABASE_URL: file });
    expectOneLine(failure, new RegExp(`${file} is not a SQLite database`), /DATABASE_URL/);
  });

  it('says that nothing accepts connections at the PostgreSQL address', async () => {
    const [port] = await freePorts(1);
    const failure = await failedStart({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/keyward` });
    expectOneLine(failure, new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port} refused the connection`));
  });

  it('gives up on a PostgreSQL address that never answers within seconds', async () => {
    const [port] = await freePorts(1);
    held.push(await listeningOn(port as number, () => {})); // accepts, then says nothing
    const failure = await failedStart({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/keyward` });
    // The 5 s it waits for an answer, and the start around it.
    expectOneLineWithin(
      20_000,
      failure,
      new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port} did not answer within 5 s`),
    );
  });

  it('names the host of DATABASE_URL it cannot resolve', async () => {
    const failure = await failedStart({ DATABASE_URL: 'postgres://postgres@no-such-host.invalid/keyward' });
    expectOneLine(failure, /cannot find the host no-such-host\.invalid/);
  });

  it('says that the PostgreSQL database does not exist and how to create it', async () => {
    if (!(await postgresAvailable())) return;
    const url = new URL(POSTGRES_URL);
    url.pathname = '/keyward_no_such_database';
    url.password = 'hidden-password';
    const failure = await failedStart({ DATABASE_URL: url.toString() });
    expectOneLine(
      failure,
      /PostgreSQL database "keyward_no_such_database" does not exist/,
      /createdb .*keyward_no_such_database/,
    );
    expect(failure.stderr).not.toContain('hidden-password');
  });

  it('says that Redis cannot be reached and what to do', async () => {
    const [port] = await freePorts(1);
    const failure = await failedStart({
      REDIS_URL: `redis://:hidden-password@127.0.0.1:${port}`,
      DATABASE_URL: join(root, 'redis', 'k.sqlite'),
    });
    expectOneLine(
      failure,
      new RegExp(`Redis at 127\\.0\\.0\\.1:${port} \\(REDIS_URL\\) refused the connection`),
    );
    expect(failure.stderr).not.toContain('hidden-password');
  });
});
