import { execFile } from 'node:child_process';
import { verify } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  ensureBuilt,
  freePorts,
  licenseUnder,
  PACKAGE_DIR,
  PROCESS_SECRET,
  request,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../test-support/server-process.js';
import { POSTGRES_URL, postgresAvailable } from '../test-support/test-store.js';

const run = promisify(execFile);
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** `keyward <args>` on the database at `databasePath`; the secret is generated beside it unless `env` sets one. */
async function keyward(databasePath: string, args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [CLI, '--json', ...args], {
    cwd: PACKAGE_DIR,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databasePath, LOG_LEVEL: 'warn', ...env },
  });
}

async function keywardFails(databasePath: string, args: string[], env: Record<string, string> = {}) {
  try {
    await keyward(databasePath, args, env);
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr, lines: e.stderr.trimEnd().split('\n') };
  }
  throw new Error(`keyward ${args.join(' ')} succeeded`);
}

/** A validation the server signs, checked with a public key fetched earlier. */
async function signedValidation(url: string, key: string, nonce: string) {
  const response = await fetch(`${url}/v1/licenses/actions/validate-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, nonce }),
  });
  const body = Buffer.from(await response.arrayBuffer());
  const signature = /^ed25519=(.+)$/.exec(response.headers.get('keyward-signature') ?? '')?.[1] ?? '';
  return { status: response.status, body, json: JSON.parse(body.toString('utf8')), signature };
}

async function ed25519PublicKey(url: string): Promise<string> {
  const keys = await request(url, 'GET', '/v1/signing-keys');
  const all = (keys.body?.data ?? []) as { algorithm: string; publicKeyPem: string }[];
  return all.find((k) => k.algorithm === 'ed25519')?.publicKeyPem as string;
}

// Each case starts server processes or several commands: slow on a busy machine.
describe('backup and restore (SQLite)', { timeout: 120_000 }, () => {
  let servers: ServerProcess[] = [];
  const root = mkdtempSync(join(tmpdir(), 'keyward-backup-'));

  beforeAll(() => ensureBuilt());
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    servers = [];
  });

  /** A server on `databasePath` with the secret generated beside the database, as `npm start` runs it. */
  async function serve(databasePath: string): Promise<ServerProcess> {
    const [port] = await freePorts(1);
    const server = startServerProcess({
      port: port as number,
      databaseUrl: databasePath,
      env: { KEYWARD_SECRET: '' },
    });
    servers.push(server);
    await waitUntilReady(server);
    return server;
  }

  it('restores a wiped data directory from a backup taken while the server ran, keys and signatures included', async () => {
    const data = join(root, 'cycle', 'data');
    const database = join(data, 'keyward.sqlite');
    const first = await serve(database);
    const license = await licenseUnder(first.url, { maxMachines: 1 });
    const publicKey = await ed25519PublicKey(first.url);

    const backup = join(root, 'cycle', 'backups', 'monday');
    const { stdout } = await keyward(database, ['backup', backup]);
    expect(JSON.parse(stdout)).toEqual({
      backup,
      database: join(backup, 'keyward.sqlite'),
      secret: join(backup, 'keyward.secret'),
    });
    expect(readdirSync(backup).sort()).toEqual(['keyward.secret', 'keyward.sqlite']);
    expect(modeOf(backup)).toBe(0o700);
    expect(modeOf(join(backup, 'keyward.sqlite'))).toBe(0o600);
    expect(modeOf(join(backup, 'keyward.secret'))).toBe(0o600);
    expect(readFileSync(join(backup, 'keyward.secret'), 'utf8')).toBe(
      readFileSync(join(data, 'keyward.secret'), 'utf8'),
    );

    await first.kill('SIGTERM');
    servers = [];
    rmSync(data, { recursive: true, force: true });

    const restored = await keyward(database, ['restore', backup]);
    expect(JSON.parse(restored.stdout)).toEqual({
      restored: database,
      secret: join(data, 'keyward.secret'),
      from: backup,
    });
    expect(modeOf(data)).toBe(0o700);
    expect(modeOf(database)).toBe(0o600);
    expect(modeOf(join(data, 'keyward.secret'))).toBe(0o600);

    const second = await serve(database);
    const answer = await signedValidation(second.url, license.key, 'after-restore');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ valid: true, code: 'VALID', nonce: 'after-restore' });
    // Signed with the very key the apps embed, fetched before the wipe.
    expect(verify(null, answer.body, publicKey, Buffer.from(answer.signature, 'base64'))).toBe(true);
    expect(await ed25519PublicKey(second.url)).toBe(publicKey);
  });

  it('refuses to start, in one line, on a database whose keyward.secret is missing, and makes no new one', async () => {
    const data = join(root, 'lost', 'data');
    const database = join(data, 'keyward.sqlite');
    (await serve(database)).kill('SIGTERM');
    await servers[0]?.exited;
    servers = [];
    // What restoring the old backups gave: the database without its secret.
    const elsewhere = join(root, 'lost', 'elsewhere');
    mkdirSync(elsewhere);
    copyFileSync(database, join(elsewhere, 'keyward.sqlite'));

    const [port] = await freePorts(1);
    const server = startServerProcess({
      port: port as number,
      databaseUrl: join(elsewhere, 'keyward.sqlite'),
      env: { KEYWARD_SECRET: '' },
    });
    servers.push(server);
    const { code } = await server.exited;
    const lines = server.output.join('').trimEnd().split('\n');
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^keyward: ${elsewhere}/keyward\\.secret is missing beside the existing database`),
    );
    expect(lines[0]).toMatch(/keyward restore <backup>/);
    expect(lines[0]).toMatch(/KEYWARD_SECRET/);
    expect(existsSync(join(elsewhere, 'keyward.secret'))).toBe(false);
  });

  it('says which secret cannot open the signing keys', async () => {
    const data = join(root, 'other-secret');
    const database = join(data, 'keyward.sqlite');
    (await serve(database)).kill('SIGTERM');
    await servers[0]?.exited;
    servers = [];
    writeFileSync(join(data, 'keyward.secret'), `${'x'.repeat(43)}\n`);
    const failure = await keywardFails(database, ['offline', 'license-file', '1']);
    expect(failure.lines).toHaveLength(1);
    expect(failure.lines[0]).toMatch(
      new RegExp(
        `cannot unseal the signing keys: they were sealed with another secret than ${data}/keyward\\.secret`,
      ),
    );
  });

  it('refuses to restore over a database, with a secret that cannot open its keys, or without a secret', async () => {
    const data = join(root, 'refusals', 'data');
    const database = join(data, 'keyward.sqlite');
    await keyward(database, ['migrate']);
    await keyward(database, ['offline', 'license-file', 'none']).catch(() => {}); // creates the signing keys
    const backup = join(root, 'refusals', 'backup');
    await keyward(database, ['backup', backup]);

    const over = await keywardFails(database, ['restore', backup]);
    expect(over.lines).toHaveLength(1);
    expect(over.lines[0]).toMatch(new RegExp(`${database} exists: keyward restore does not overwrite`));

    const target = join(root, 'refusals', 'target', 'keyward.sqlite');
    const wrong = await keywardFails(target, ['restore', backup], { KEYWARD_SECRET: PROCESS_SECRET });
    expect(wrong.lines).toHaveLength(1);
    expect(wrong.lines[0]).toMatch(/KEYWARD_SECRET cannot open the signing keys of the backup/);
    expect(existsSync(target)).toBe(false);

    const bare = join(root, 'refusals', 'bare');
    mkdirSync(bare);
    copyFileSync(join(backup, 'keyward.sqlite'), join(bare, 'keyward.sqlite'));
    const missing = await keywardFails(target, ['restore', bare]);
    expect(missing.lines[0]).toMatch(/has no keyward\.secret/);
    expect(missing.lines[0]).toMatch(/--secret-file|KEYWARD_SECRET/);
    // A database backed up before backups held the secret, restored with the secret kept apart.
    const ok = await keyward(target, [
      'restore',
      join(bare, 'keyward.sqlite'),
      '--secret-file',
      join(data, 'keyward.secret'),
    ]);
    expect(JSON.parse(ok.stdout).restored).toBe(target);
    expect(readFileSync(join(target, '..', 'keyward.secret'), 'utf8')).toBe(
      readFileSync(join(data, 'keyward.secret'), 'utf8'),
    );
  });

  it('backs up without the secret when KEYWARD_SECRET holds it, and says loudly to keep it', async () => {
    const database = join(root, 'env-secret', 'keyward.sqlite');
    const env = { KEYWARD_SECRET: PROCESS_SECRET };
    await keyward(database, ['migrate'], env);
    const backup = join(root, 'env-secret-backup');
    const { stdout, stderr } = await keyward(database, ['backup', backup], env);
    expect(JSON.parse(stdout)).toMatchObject({ backup, secret: null });
    expect(readdirSync(backup)).toEqual(['keyward.sqlite']);
    expect(stderr).toMatch(/KEYWARD_SECRET/);
    expect(stderr).toMatch(/not in the backup/);
    const target = join(root, 'env-secret-restored', 'keyward.sqlite');
    await keyward(target, ['restore', backup], env);
    expect(existsSync(target)).toBe(true);
    expect(existsSync(join(target, '..', 'keyward.secret'))).toBe(false);
  });

  it('replaces an earlier backup in the same directory, and refuses a directory holding other files', async () => {
    const database = join(root, 'again', 'data', 'keyward.sqlite');
    await keyward(database, ['migrate']);
    const backup = join(root, 'again', 'latest');
    await keyward(database, ['backup', backup]);
    await keyward(database, ['backup', backup]);
    expect(readdirSync(backup).sort()).toEqual(['keyward.secret', 'keyward.sqlite']);
    const busy = join(root, 'again', 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    const failure = await keywardFails(database, ['backup', busy]);
    expect(failure.lines).toHaveLength(1);
    expect(failure.lines[0]).toMatch(/holds other files/);
  });

  it('points PostgreSQL users to pg_dump and KEYWARD_SECRET', async () => {
    if (!(await postgresAvailable())) return;
    const env = { KEYWARD_SECRET: PROCESS_SECRET };
    const backup = await keywardFails(POSTGRES_URL, ['backup', join(root, 'pg')], env);
    expect(backup.lines).toHaveLength(1);
    expect(backup.lines[0]).toMatch(/pg_dump/);
    expect(backup.lines[0]).toMatch(/KEYWARD_SECRET/);
    const restore = await keywardFails(POSTGRES_URL, ['restore', join(root, 'pg')], env);
    expect(restore.lines).toHaveLength(1);
    expect(restore.lines[0]).toMatch(/pg_restore/);
  });
});
