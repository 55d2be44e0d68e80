import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  licenseUnder,
  PROCESS_ADMIN_TOKEN,
  request,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from './test-support/server-process.js';

/**
 * A request whose headers the server has read (it answered `100 Continue`) but whose body is still to come:
 * a request in flight, for as long as the test likes.
 */
async function requestInFlight(url: string, path: string, json: unknown) {
  const body = JSON.stringify(json);
  const outgoing = httpRequest(`${url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${PROCESS_ADMIN_TOKEN}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      expect: '100-continue',
      // Not kept alive afterwards, so the server need not wait for the connection to go idle.
      connection: 'close',
    },
  });
  const answered = new Promise<{ status: number | undefined; body: unknown }>((resolve, reject) => {
    outgoing.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(text) }));
    });
    outgoing.on('error', reject);
  });
  const continued = once(outgoing, 'continue');
  outgoing.flushHeaders();
  await continued;
  return {
    finish: () => {
      outgoing.end(body);
      return answered;
    },
  };
}

/**
 * What the README promises of a stop and of the event log: SIGTERM stops taking requests, finishes the one in
 * flight and writes the bookkeeping still queued (validation outcomes and refused activations, which are
 * written off the request path in batches); validating a key that does not exist records nothing.
 */
describe('a graceful stop of the server process', () => {
  let server: ServerProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the request in flight, writes the queued events and exits 0', async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'keyward-stop-'));
    const databaseFile = join(dir, 'keyward.sqlite');
    const [port] = await freePorts(1);
    server = startServerProcess({ port: port as number, databaseUrl: databaseFile });
    await waitUntilReady(server);
    const { url } = server;
    const license = await licenseUnder(url, { maxMachines: 1 });

    const activate = (fingerprint: string) =>
      request(url, 'POST', '/v1/machines', { json: { licenseId: license.id, fingerprint } });
    const validate = (json: unknown) =>
      request(url, 'POST', '/v1/licenses/actions/validate-key', { json, token: null });
    expect((await activate('machine-a')).status).toBe(201);
    expect((await activate('machine-b')).body?.error?.code).toBe('MACHINE_LIMIT_REACHED');
    expect((await validate({ key: license.key, fingerprint: 'machine-b' })).body).toMatchObject({
      valid: false,
      code: 'FINGERPRINT_MISMATCH',
    });
    expect((await validate({ key: 'NO-SUCH-KEY' })).body).toMatchObject({ valid: false, code: 'NOT_FOUND' });
    // Off the request path, yet without waiting for a stop: the batch is written a moment later.
    const answeredAt = Date.now();
    let writtenAfterMs: number | null = null;
    while (writtenAfterMs === null && Date.now() - answeredAt < 10_000) {
      const db = new Sqlite(databaseFile, { readonly: true });
      const row = db.prepare(`select 1 from events where type = 'license.validation_failed'`).get();
      db.close();
      if (row) writtenAfterMs = Date.now() - answeredAt;
      else await new Promise((done) => setTimeout(done, 25));
    }
    expect(writtenAfterMs, 'the validation event reached the database').not.toBeNull();

    const inFlight = await requestInFlight(url, '/v1/licenses/actions/validate-key', {
      key: license.key,
      fingerprint: 'machine-a',
    });
    server.child.kill('SIGTERM');
    // Stopped taking requests: new ones are refused (or answered 503 on a connection still open).
    const deadline = Date.now() + 10_000;
    let refused = false;
    while (!refused && Date.now() < deadline) {
      const status = (await request(url, 'GET', '/healthz')).status;
      refused = status === 0 || status === 503;
      if (!refused) await new Promise((done) => setTimeout(done, 20));
    }
    expect(refused).toBe(true);

    // The request in flight is answered, after the stop began: its validation event is queued then.
    expect(await inFlight.finish()).toMatchObject({ status: 200, body: { valid: true, code: 'VALID' } });
    expect(await server.exited).toEqual({ code: 0, signal: null });

    const db = new Sqlite(databaseFile, { readonly: true });
    try {
      const outcomes = db
        .prepare(
          `select type, code, license_id as licenseId from events
           where type in ('license.validated', 'license.validation_failed', 'machine.activation_refused')
           order by id`,
        )
        .all();
      expect(outcomes).toEqual([
        { type: 'machine.activation_refused', code: 'MACHINE_LIMIT_REACHED', licenseId: license.id },
        { type: 'license.validation_failed', code: 'FINGERPRINT_MISMATCH', licenseId: license.id },
        { type: 'license.validated', code: 'VALID', licenseId: license.id },
      ]);
      const touched = db.prepare('select last_validated_at from licenses where id = ?').get(license.id) as {
        last_validated_at: number | null;
      };
      expect(touched.last_validated_at).not.toBeNull();
    } finally {
      db.close();
    }
  });
});
