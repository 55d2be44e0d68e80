import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ERROR_CODES } from '../errors.js';
import {
  EXAMPLE_APP,
  freePort,
  type Json,
  REPOSITORY,
  SERVER_CLI,
  type ServerProcess,
  startProxy,
  startServer,
} from '../test-support/server-process.js';
import { VALIDATION_CODES } from '../types.js';

const execFileAsync = promisify(execFile);

/**
 * The example app (examples/protected-cli) against the built server as a real process: what a vendor's
 * customer sees, end to end.
 */
describe('the example app against a real server', () => {
  let server: ServerProcess;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let publicKeyFile: string;
  let deadUrl: string;
  let productId: number;
  let nodeLockedPolicyId: number;
  let floatingPolicyId: number;

  beforeAll(async () => {
    server = await startServer();
    proxy = await startProxy(server.url);
    publicKeyFile = join(server.dir, 'keyward-public-key.pem');
    writeFileSync(publicKeyFile, server.publicKeyPem);
    // Nothing listens here: the app is "offline".
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    productId = (await server.admin('POST', '/v1/products', { name: 'Protected CLI' })).id;
    nodeLockedPolicyId = (
      await server.admin('POST', '/v1/policies', {
        productId,
        name: 'Node-locked',
        maxMachines: 1,
        allowLicenseAuth: true,
      })
    ).id;
    floatingPolicyId = (
      await server.admin('POST', '/v1/policies', {
        productId,
        name: 'Floating',
        maxMachines: 1,
        isFloating: true,
        leaseSeconds: 30,
        allowLicenseAuth: true,
      })
    ).id;
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  const newKey = async (policyId = nodeLockedPolicyId) =>
    (await server.admin('POST', '/v1/licenses', { policyId })).key as string;

  interface AppOptions {
    state: string;
    fingerprint: string;
    url?: string;
    shiftDays?: number;
    daysBetweenChecks?: number;
    graceDays?: number;
  }
  const appEnv = (o: AppOptions): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    KEYWARD_URL: o.url ?? server.url,
    KEYWARD_PUBLIC_KEY_FILE: publicKeyFile,
    DEMO_STATE_DIR: o.state,
    DEMO_FINGERPRINT: o.fingerprint,
    DEMO_CLOCK_SHIFT_DAYS: String(o.shiftDays ?? 0),
    DEMO_DAYS_BETWEEN_CHECKS: String(o.daysBetweenChecks ?? 1),
    DEMO_GRACE_DAYS: String(o.graceDays ?? 3),
    DEMO_HEARTBEAT_SECONDS: '2',
  });

  /** Runs one command of the example app to its end; returns its exit code and JSON events. */
  async function app(
    o: AppOptions,
    ...args: string[]
  ): Promise<{ code: number; events: Json[]; last: Json }> {
    let stdout = '';
    let code = 0;
    try {
      ({ stdout } = await execFileAsync(process.execPath, [EXAMPLE_APP, ...args], { env: appEnv(o) }));
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      if (typeof e.code !== 'number') throw error;
      ({ stdout, code } = { stdout: e.stdout, code: e.code });
    }
    const events = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    return { code, events, last: events.at(-1) };
  }

  const installation = (fingerprint: string): AppOptions => ({
    state: mkdtempSync(join(server.dir, 'app-')),
    fingerprint,
  });

  it('activates a machine, validates it, and refuses a machine over the limit', async () => {
    const key = await newKey();
    const a = installation('machine-a');
    const activated = await app(a, 'activate', key);
    expect(activated).toMatchObject({ code: 0, last: { event: 'activated', valid: true, code: 'VALID' } });
    const run = await app({ ...a, daysBetweenChecks: 0 }, 'run');
    expect(run.code).toBe(0);
    expect(run.events).toEqual([
      { event: 'genuine', status: 'genuine', checkedOnline: true, daysLeft: 3 },
      { event: 'work', message: 'the licensed feature ran' },
    ]);
    const b = await app(installation('machine-b'), 'activate', key);
    expect(b).toMatchObject({ code: 1, last: { event: 'error', code: 'MACHINE_LIMIT_REACHED' } });
    // Revoked on the server: the next online check says so.
    const license = await server.admin('GET', `/v1/licenses/${encodeURIComponent(key)}`);
    await server.admin('POST', `/v1/licenses/${license.id}/actions/revoke`, {});
    const refused = await app({ ...a, daysBetweenChecks: 0 }, 'run');
    expect(refused).toMatchObject({
      code: 2,
      last: { event: 'refused', status: 'invalid', code: 'REVOKED' },
    });
  });

  it('rejects a forged answer', async () => {
    const key = await newKey();
    const a = { ...installation('machine-forged'), url: proxy.url, daysBetweenChecks: 0 };
    expect((await app(a, 'activate', key)).code).toBe(0);
    const license = await server.admin('GET', `/v1/licenses/${encodeURIComponent(key)}`);
    await server.admin('POST', `/v1/licenses/${license.id}/actions/suspend`, {});
    const flip = (body: string) =>
      body.replace('"valid":false', '"valid":true').replace('"code":"SUSPENDED"', '"code":"VALID"');

    proxy.mode = { kind: 'forge', rewrite: flip };
    const tampered = await app(a, 'run');
    expect(tampered).toMatchObject({
      code: 2,
      last: { event: 'refused', status: 'untrusted-answer', code: 'SIGNATURE_INVALID' },
    });
    // Signed, but with the attacker's key instead of the server's.
    proxy.mode = { kind: 'forge', rewrite: flip, resign: true };
    const resigned = await app(a, 'run');
    expect(resigned.last).toMatchObject({ status: 'untrusted-answer', code: 'SIGNATURE_INVALID' });
    proxy.mode = { kind: 'pass' };
    expect((await app(a, 'run')).last).toMatchObject({ status: 'invalid', code: 'SUSPENDED' });
  });

  it('rejects a replayed answer', async () => {
    const key = await newKey();
    const a = { ...installation('machine-replayed'), url: proxy.url, daysBetweenChecks: 0 };
    expect((await app(a, 'activate', key)).code).toBe(0);
    proxy.mode = { kind: 'replay' };
    // The proxy keeps this genuine "valid" answer…
    expect((await app(a, 'run')).last).toMatchObject({ event: 'work' });
    const license = await server.admin('GET', `/v1/licenses/${encodeURIComponent(key)}`);
    await server.admin('POST', `/v1/licenses/${license.id}/actions/revoke`, {});
    // …and plays it back once the license is revoked.
    const replayed = await app(a, 'run');
    expect(replayed).toMatchObject({
      code: 2,
      last: { event: 'refused', status: 'untrusted-answer', code: 'NONCE_MISMATCH' },
    });
    proxy.mode = { kind: 'pass' };
    expect((await app(a, 'run')).last).toMatchObject({ status: 'invalid', code: 'REVOKED' });
  });

  it('runs offline between checks and inside the grace period, and refuses after it', async () => {
    const key = await newKey();
    const a = installation('machine-offline');
    expect((await app(a, 'activate', key)).code).toBe(0);
    const offline = { ...a, url: deadUrl, daysBetweenChecks: 1, graceDays: 3 };
    // Within the days between checks the server is not even asked.
    expect((await app({ ...offline, shiftDays: 0.5 }, 'run')).events[0]).toEqual({
      event: 'genuine',
      status: 'genuine-offline',
      checkedOnline: false,
      daysLeft: 4,
    });
    // A check is due, the server is unreachable: grace, with the days left.
    const grace = await app({ ...offline, shiftDays: 2 }, 'run');
    expect(grace.code).toBe(0);
    expect(grace.events[0]).toEqual({ event: 'genuine', status: 'grace', checkedOnline: false, daysLeft: 2 });
    const late = await app({ ...offline, shiftDays: 4.5 }, 'run');
    expect(late).toMatchObject({
      code: 2,
      last: { event: 'refused', status: 'grace-expired', code: 'NETWORK_ERROR' },
    });
    // Back online with the clock still 4.5 days ahead: the server's signed time is days from this clock, so
    // the answer cannot be tied to now, and the app asks for the clock to be set right.
    expect(await app({ ...a, shiftDays: 4.5 }, 'run')).toMatchObject({
      code: 2,
      last: { event: 'refused', status: 'clock-rollback', code: 'CLOCK_SKEW' },
    });
    // Within a day of the server's time (a wrong time zone, say), online checks pass.
    const fresh = installation('machine-offline-zoned');
    expect((await app({ ...fresh, shiftDays: 0.4 }, 'activate', await newKey())).code).toBe(0);
    expect((await app({ ...fresh, shiftDays: 0.4, daysBetweenChecks: 0 }, 'run')).events[0]).toMatchObject({
      status: 'genuine',
      checkedOnline: true,
    });
  });

  it('detects a clock set back', async () => {
    const key = await newKey();
    const a = installation('machine-clock');
    expect((await app(a, 'activate', key)).code).toBe(0);
    expect((await app({ ...a, url: deadUrl, shiftDays: 0.3 }, 'run')).code).toBe(0);
    // The clock is set back two days to stretch the offline period: refused even though within it.
    const back = await app({ ...a, url: deadUrl, shiftDays: -2 }, 'run');
    expect(back).toMatchObject({
      code: 2,
      last: { event: 'refused', status: 'clock-rollback', code: 'CLOCK_ROLLBACK' },
    });
  });

  it('checks out a license file, verifies it offline until it expires, and detects a clock set back', async () => {
    const key = await newKey();
    const a = installation('machine-file');
    expect((await app(a, 'activate', key)).code).toBe(0);
    const file = await app(a, 'license-file', String(86_400));
    expect(file.last).toMatchObject({ event: 'license-file' });
    const offline = { ...a, url: deadUrl };
    expect((await app({ ...offline, shiftDays: 0.5 }, 'verify-license-file')).last).toMatchObject({
      event: 'work',
    });
    // An online check is due every time and there is no grace: the license file carries the app.
    const carried = await app({ ...offline, shiftDays: 0.6, daysBetweenChecks: 0, graceDays: 0 }, 'run');
    expect(carried.events[0]).toMatchObject({ status: 'genuine-license-file', daysLeft: 1 });
    const expired = await app({ ...offline, shiftDays: 1.5 }, 'verify-license-file');
    expect(expired).toMatchObject({ code: 2, last: { code: 'LICENSE_FILE_EXPIRED' } });
    const rolledBack = await app({ ...offline, shiftDays: 0.2 }, 'verify-license-file');
    expect(rolledBack).toMatchObject({ code: 2, last: { code: 'CLOCK_ROLLBACK' } });
    // The file is encrypted to the machine: copied elsewhere it is useless.
    const stateFile = join(a.state, 'keyward.license.json');
    const other = installation('machine-elsewhere');
    writeFileSync(join(other.state, 'keyward.license.json'), readFileSync(stateFile));
    const copied = await app({ ...other, url: deadUrl }, 'verify-license-file');
    expect(copied).toMatchObject({ code: 2, last: { code: 'LICENSE_FILE_MISMATCH' } });
  });

  it('activates an air-gapped machine through request and response files and the CLI', async () => {
    const key = await newKey();
    const a = { ...installation('machine-air-gapped'), url: deadUrl };
    const requestFile = join(a.state, 'activation-request.txt');
    const responseFile = join(a.state, 'activation-response.txt');
    expect((await app(a, 'request', key, requestFile)).last).toMatchObject({ event: 'request-written' });
    // The vendor, on the server host.
    await execFileAsync(
      process.execPath,
      [SERVER_CLI, 'offline', 'respond', requestFile, '--out', responseFile],
      {
        env: server.env,
      },
    );
    // A response that was tampered with on the way is refused.
    const response = readFileSync(responseFile, 'utf8').trim();
    const tampered = join(a.state, 'tampered.txt');
    const envelope = JSON.parse(Buffer.from(response, 'base64').toString());
    const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    payload.license.expiresAt = '2999-01-01T00:00:00.000Z';
    envelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    writeFileSync(tampered, Buffer.from(JSON.stringify(envelope)).toString('base64'));
    expect((await app(a, 'activate-offline', tampered)).last).toMatchObject({ code: 'SIGNATURE_INVALID' });

    const activated = await app(a, 'activate-offline', responseFile);
    expect(activated.last).toMatchObject({ event: 'activated-offline', machineId: expect.any(Number) });
    const machine = await server.admin('GET', `/v1/machines/${activated.last.machineId}`);
    expect(machine).toMatchObject({ fingerprint: 'machine-air-gapped', deactivatedAt: null });
    const run = await app({ ...a, shiftDays: 30 }, 'run');
    expect(run.events[0]).toMatchObject({ event: 'genuine', status: 'genuine-offline', daysLeft: null });
    // The same response cannot activate a second machine: it answers another request.
    const b = { ...installation('machine-air-gapped-2'), url: deadUrl };
    await app(b, 'request', key, join(b.state, 'req.txt'));
    expect((await app(b, 'activate-offline', responseFile)).last).toMatchObject({ code: 'NONCE_MISMATCH' });
  });

  /** Starts `floating` and resolves once the seat is held. */
  function startFloating(
    o: AppOptions,
    key: string,
  ): Promise<{ child: ChildProcess; seat: Json; lines: Json[] }> {
    const child = spawn(process.execPath, [EXAMPLE_APP, 'floating', key], { env: appEnv(o) });
    const lines: Json[] = [];
    return new Promise((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk) => {
        buffer += chunk;
        for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
          const event = JSON.parse(buffer.slice(0, at));
          buffer = buffer.slice(at + 1);
          lines.push(event);
          if (event.event === 'seat') resolve({ child, seat: event, lines });
          if (event.event === 'error') reject(new Error(JSON.stringify(event)));
        }
      });
      child.once('exit', (code) =>
        reject(new Error(`floating exited with ${code}: ${JSON.stringify(lines)}`)),
      );
    });
  }
  const exited = (child: ChildProcess) =>
    new Promise<{ code: number | null; signal: string | null }>((done) => {
      if (child.exitCode !== null || child.signalCode !== null)
        done({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => done({ code, signal }));
    });

  it('releases a floating seat when the process gets SIGTERM', async () => {
    const key = await newKey(floatingPolicyId);
    const first = await startFloating(installation('float-1'), key);
    expect(first.seat.leaseExpiresAt).not.toBeNull();
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toEqual({ code: null, signal: 'SIGTERM' });
    const machine = await server.admin('GET', `/v1/machines/${first.seat.machineId}`);
    expect(machine.deactivatedAt).not.toBeNull();
    // The seat is free at once for another machine.
    const second = await startFloating(installation('float-2'), key);
    second.child.kill('SIGINT');
    await exited(second.child);
    expect((await server.admin('GET', `/v1/machines/${second.seat.machineId}`)).deactivatedAt).not.toBeNull();
  });

  it('gets a floating seat back after the lease when the holder is killed with SIGKILL, and reports a lost seat', async () => {
    const key = await newKey(floatingPolicyId);
    const first = await startFloating(installation('float-killed'), key);
    // Heartbeats renew the lease while the process lives.
    await new Promise((r) => setTimeout(r, 2500));
    expect(first.lines.some((l) => l.event === 'heartbeat')).toBe(true);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const killedAt = Date.now();
    const machine = await server.admin('GET', `/v1/machines/${first.seat.machineId}`);
    expect(machine.deactivatedAt).toBeNull();
    const waiting = installation('float-waiting');
    const refused = await app(waiting, 'floating', key);
    expect(refused).toMatchObject({ code: 1, last: { event: 'error', code: 'MACHINE_LIMIT_REACHED' } });
    // The server reclaims the seat once the lease (30 s from the last heartbeat) has run out.
    const leaseEnds = Date.parse(
      (await server.admin('GET', `/v1/machines/${first.seat.machineId}`)).leaseExpiresAt,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, leaseEnds - Date.now()) + 500));
    expect(Date.now() - killedAt).toBeLessThan(35_000);
    const second = await startFloating(waiting, key);
    // Freed by the vendor (or taken over): the app learns at its next heartbeat.
    await server.admin('DELETE', `/v1/machines/${second.seat.machineId}`, undefined, 204);
    expect(await exited(second.child)).toEqual({ code: 3, signal: null });
    expect(second.lines.at(-1)).toMatchObject({ event: 'seat-lost' });
  }, 60_000);

  it('activates keys created through the AuthTool API', async () => {
    const token = await server.admin('POST', '/v1/tokens', { name: 'reseller', scopes: ['licenses:write'] });
    const response = await fetch(`${server.url}/public/v1/key/single-activate`, {
      method: 'POST',
      headers: { 'x-api-key': token.secret ?? token.token, 'content-type': 'application/json' },
      body: JSON.stringify({ quantity: 1, packageIds: [productId], duration: 30, unit: 'day' }),
    });
    expect(response.status).toBe(201);
    const [key] = (await response.json()).data;
    const a = installation('authtool-device');
    expect((await app(a, 'activate', key)).last).toMatchObject({ event: 'activated', valid: true });
    expect((await app({ ...a, daysBetweenChecks: 0 }, 'run')).events[0]).toMatchObject({ status: 'genuine' });
    // A single-activate key takes one device.
    const other = await app(installation('authtool-device-2'), 'activate', key);
    expect(other.last).toMatchObject({ event: 'error', code: 'MACHINE_LIMIT_REACHED' });
  });

  it('knows every validation code the server documents and every error code it has', async () => {
    const document = await (await fetch(`${server.url}/openapi.json`)).json();
    const resolve = (schema: Json): Json =>
      schema?.$ref ? resolve(document.components.schemas[schema.$ref.split('/').at(-1)]) : schema;
    const result = resolve(
      document.paths['/v1/licenses/actions/validate-key'].post.responses['200'].content['application/json']
        .schema,
    );
    const code = resolve(result.properties.code);
    const documented: string[] = code.enum ?? code.anyOf.map((option: Json) => option.const);
    expect([...documented].sort()).toEqual([...VALIDATION_CODES].sort());
    // The error catalog is not enumerated in the document: read it from the server's source.
    const catalog = readFileSync(join(REPOSITORY, 'packages/server/src/core/domain-error.ts'), 'utf8');
    const list = /ERROR_CODES = \[([^\]]+)\]/.exec(catalog)?.[1] ?? '';
    const serverCodes = [...list.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    expect(serverCodes.length).toBeGreaterThan(10);
    expect(serverCodes).toEqual([...SERVER_ERROR_CODES]);
  });
});
