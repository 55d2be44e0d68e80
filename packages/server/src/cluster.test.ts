import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  licenseUnder,
  request,
  type ServerProcess,
  startServerProcess,
  tally,
  waitUntilReady,
} from './test-support/server-process.js';
import { createPostgresSchemaUrl, testDialects } from './test-support/test-store.js';

/**
 * `keyward serve --workers 2`: two server processes behind one address (Node cluster). Parallel activations
 * reach both, and the limits stay exact; a worker that dies is replaced; SIGTERM stops them all.
 */

const PARALLEL = 100;

/** The worker processes of a primary (Linux `ps`). */
function workersOf(primaryPid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(primaryPid)])
      .toString()
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
  } catch {
    return [];
  }
}

async function eventually<T>(probe: () => T | Promise<T>, isDone: (value: T) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (isDone(value) || Date.now() > deadline) return value;
    await new Promise((done) => setTimeout(done, 200));
  }
}

for (const dialect of await testDialects()) {
  describe(`keyward serve --workers 2 (${dialect})`, () => {
    let server: ServerProcess;
    let cleanup: () => Promise<void> = async () => {};

    beforeAll(async () => {
      ensureBuilt();
      let databaseUrl: string;
      if (dialect === 'postgres') {
        const { url, drop } = await createPostgresSchemaUrl();
        databaseUrl = url;
        cleanup = drop;
      } else {
        const dir = mkdtempSync(join(tmpdir(), 'keyward-cluster-'));
        databaseUrl = join(dir, 'keyward.sqlite');
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      }
      const [port] = await freePorts(1);
      server = startServerProcess({ port: port as number, databaseUrl, args: ['--workers', '2'] });
      await waitUntilReady(server);
      await eventually(listeningWorkers, (n) => n === 2);
    });

    /** Workers that reported listening (the primary logs each one). */
    const listeningWorkers = () => server.output.join('').match(/worker \d+ listening/g)?.length ?? 0;

    afterAll(async () => {
      if (server) {
        for (const pid of workersOf(server.child.pid as number)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await server.kill();
      }
      await cleanup();
    });

    it('runs two worker processes', () => {
      expect(workersOf(server.child.pid as number)).toHaveLength(2);
    });

    it(`gives 5 seats to exactly 5 of ${PARALLEL} parallel activations`, async () => {
      const license = await licenseUnder(server.url, { maxMachines: 5 });
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          request(server.url, 'POST', '/v1/machines', {
            json: { licenseId: license.id, fingerprint: `m-${i}` },
          }),
        ),
      );
      expect(tally(answers)).toEqual({ '201': 5, '422 MACHINE_LIMIT_REACHED': PARALLEL - 5 });
      const list = await request(server.url, 'GET', `/v1/machines?licenseId=${license.id}&limit=100`);
      expect(list.body?.data as unknown[]).toHaveLength(5);
      const after = await request(server.url, 'GET', `/v1/licenses/${license.id}`);
      expect(after.body?.activationCount).toBe(5);
    });

    it('answers a revocation made through one worker from both within 100 ms, though each validates from memory', async () => {
      const license = await licenseUnder(server.url, { allowLicenseAuth: true });
      const validate = async () => {
        const answer = await request(server.url, 'POST', '/v1/licenses/actions/validate-key', {
          json: { key: license.key, sign: false },
          token: null,
        });
        return answer.body?.code;
      };
      // Enough validations for both workers to hold the license in memory (requests alternate between them).
      for (let i = 0; i < 20; i++) expect(await validate()).toBe('VALID');
      const revoked = await request(server.url, 'POST', `/v1/licenses/${license.id}/actions/revoke`);
      expect(revoked.status).toBe(200);
      await new Promise((done) => setTimeout(done, 100));
      const codes = [];
      for (let i = 0; i < 40; i++) codes.push(await validate());
      expect(new Set(codes)).toEqual(new Set(['REVOKED']));
    });

    it('replaces a worker that dies, and keeps answering meanwhile', async () => {
      const [victim, survivor] = workersOf(server.child.pid as number) as [number, number];
      process.kill(victim, 'SIGKILL');
      // Connections the dead worker held are gone with it (a client retries those); new ones reach the survivor.
      await new Promise((done) => setTimeout(done, 300));
      const health = await Promise.all(
        Array.from({ length: 10 }, () => request(server.url, 'GET', '/healthz')),
      );
      expect(tally(health)).toEqual({ '200': 10 });
      await eventually(listeningWorkers, (n) => n === 3);
      const workers = workersOf(server.child.pid as number);
      expect(workers).toHaveLength(2);
      expect(workers).toContain(survivor);
      expect(workers).not.toContain(victim);
      expect(server.output.join('')).toContain(`worker ${victim} exited (SIGKILL); starting a new one`);
    });

    it('stops every worker on SIGTERM and exits 0', async () => {
      const workers = workersOf(server.child.pid as number);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    });
  });
}
