import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encodeOfflineRequest, openOfflineResponse } from './core/signing/offline-exchange.js';

const CLI = resolve(import.meta.dirname, '../dist/cli.js');
const run = promisify(execFile);

describe('keyward offline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-offline-'));
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: join(dir, 'keyward.sqlite'), LOG_LEVEL: 'warn' };
  const keyward = async (...args: string[]) => (await run('node', [CLI, ...args], { env })).stdout;
  const failure = async (...args: string[]) => {
    try {
      await run('node', [CLI, ...args], { env });
    } catch (error) {
      return error as { code: number; stderr: string };
    }
    throw new Error(`keyward ${args.join(' ')} succeeded`);
  };

  it('answers request files, checks out license files, and refuses bad input', async () => {
    await keyward('product', 'create', 'Lab tool');
    const policy = JSON.parse(
      await keyward('policy', 'create', '--product', '1', '--name', 'One', '--max-machines', '1', '--json'),
    );
    const [license] = JSON.parse(await keyward('license', 'create', '--policy', String(policy.id), '--json'));
    const request = join(dir, 'request.txt');
    writeFileSync(
      request,
      encodeOfflineRequest({
        type: 'activation',
        key: license.key,
        fingerprint: 'lab-pc',
        nonce: 'nonce-from-the-lab',
        requestedAt: new Date(),
      }).replace(/(.{60})/g, '$1\n'),
    );
    const response = join(dir, 'response.txt');
    const summary = JSON.parse(await keyward('offline', 'respond', request, '--out', response, '--json'));
    expect(summary).toMatchObject({ type: 'activation', machineId: 1, response });
    const database = new Sqlite(join(dir, 'keyward.sqlite'), { readonly: true });
    const { public_key_pem: publicKeyPem } = database
      .prepare("SELECT public_key_pem FROM signing_keys WHERE algorithm = 'ed25519'")
      .get() as { public_key_pem: string };
    database.close();
    const answered = openOfflineResponse(readFileSync(response, 'utf8').trim(), publicKeyPem);
    expect(answered).toMatchObject({
      type: 'activation',
      nonce: 'nonce-from-the-lab',
      machine: { id: 1, fingerprint: 'lab-pc' },
      license: { key: license.key },
    });
    // Printed to standard output without --out.
    expect((await keyward('offline', 'respond', request)).trim()).toMatch(/^[A-Za-z0-9+/=]+$/);

    const file = await keyward(
      'offline',
      'license-file',
      license.key,
      '--fingerprint',
      'lab-pc',
      '--ttl',
      '3600',
    );
    expect(file).toMatch(
      /^-----BEGIN KEYWARD LICENSE FILE-----\n[\s\S]+\n-----END KEYWARD LICENSE FILE-----\n$/,
    );
    const encrypted = await keyward(
      'offline',
      'license-file',
      String(license.id),
      '--fingerprint',
      'lab-pc',
      '--encrypt',
    );
    expect(encrypted).not.toContain(Buffer.from(license.key).toString('base64').slice(0, 8));

    const garbage = join(dir, 'garbage.txt');
    writeFileSync(garbage, 'this is not a request');
    const refused = await failure('offline', 'respond', garbage);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('INVALID_INPUT: not a Keyward offline request');
    // The seat is taken: a second machine is refused with the domain's code.
    writeFileSync(
      request,
      encodeOfflineRequest({
        type: 'activation',
        key: license.key,
        fingerprint: 'second-pc',
        nonce: 'nonce-second-pc',
        requestedAt: new Date(),
      }),
    );
    expect((await failure('offline', 'respond', request)).stderr).toContain('MACHINE_LIMIT_REACHED');
    expect(
      (await failure('offline', 'license-file', license.key, '--fingerprint', 'unknown')).stderr,
    ).toContain('MACHINE_NOT_FOUND');
  });
});
