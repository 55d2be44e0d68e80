import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  ensureBuilt,
  freePorts,
  licenseUnder,
  request,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from './test-support/server-process.js';
import { createPostgresSchemaUrl, testDialects } from './test-support/test-store.js';

/**
 * `kill -9` of the server in the middle of a burst of activations, then a restart on the same database: every
 * activation answered 201 is there, with its id, and nothing is half-written — each machine row has its
 * activation event and the license's activation counter matches the rows (they commit in one transaction).
 * Commits are durable by default (SQLite WAL with synchronous=FULL, PostgreSQL synchronous_commit=on).
 */

const BURST = 600;
const CONCURRENCY = 24;
/** The server dies once this many activations were acknowledged. */
const KILL_AFTER = 60;

interface Acknowledged {
  id: number;
  fingerprint: string;
}

async function burstUntilKilled(server: ServerProcess, licenseId: number) {
  const acknowledged: Acknowledged[] = [];
  const answers: Answer[] = [];
  let next = 0;
  let killing: Promise<void> | null = null;
  const worker = async () => {
    while (next < BURST) {
      const fingerprint = `crash-${next++}`;
      const answer = await request(server.url, 'POST', '/v1/machines', { json: { licenseId, fingerprint } });
      answers.push(answer);
      if (answer.status === 201) {
        acknowledged.push({ id: answer.body?.id as number, fingerprint });
        if (acknowledged.length === KILL_AFTER) killing = server.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await killing;
  return { acknowledged, answers };
}

for (const dialect of await testDialects()) {
  describe(`kill -9 during a burst of activations, then restart (${dialect})`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it('keeps every acknowledged activation and nothing half-written', { timeout: 120_000 }, async () => {
      ensureBuilt();
      let databaseUrl: string;
      let sqlitePath: string | null = null;
      if (dialect === 'postgres') {
        const { url, drop } = await createPostgresSchemaUrl();
        databaseUrl = url;
        cleanups.push(drop);
      } else {
        const dir = mkdtempSync(join(tmpdir(), 'keyward-crash-'));
        sqlitePath = join(dir, 'keyward.sqlite');
        databaseUrl = sqlitePath;
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      }
      const [firstPort, secondPort] = (await freePorts(2)) as [number, number];
      const first = startServerProcess({ port: firstPort, databaseUrl });
      cleanups.push(() => first.kill());
      await waitUntilReady(first);
      const license = await licenseUnder(first.url, { maxMachines: 100_000 });

      const { acknowledged, answers } = await burstUntilKilled(first, license.id);
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
      // The kill landed mid-burst: some requests were answered, the ones after it found no server.
      expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(answers.some((a) => a.status === 0)).toBe(true);
      expect(answers.filter((a) => a.status !== 0 && a.status !== 201)).toEqual([]);

      if (sqlitePath) {
        // Opening after the crash replays the WAL; the file must be consistent.
        const db = new Sqlite(sqlitePath);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        db.close();
      }

      const second = startServerProcess({ port: secondPort, databaseUrl });
      cleanups.push(() => second.kill());
      await waitUntilReady(second);
      const machines = await request(second.url, 'GET', `/v1/machines?licenseId=${license.id}&limit=1000`);
      const rows = (machines.body?.data ?? []) as Array<{ id: number; fingerprint: string }>;
      const stored = new Map(rows.map((m) => [m.fingerprint, m.id]));
      for (const { id, fingerprint } of acknowledged) expect(stored.get(fingerprint)).toBe(id);

      const events = await request(
        second.url,
        'GET',
        `/v1/events?licenseId=${license.id}&type=machine.activated&limit=1000`,
      );
      const activatedIds = ((events.body?.data ?? []) as Array<{ machineId: number }>)
        .map((e) => e.machineId)
        .sort();
      expect(activatedIds).toEqual(rows.map((m) => m.id).sort());
      const after = await request(second.url, 'GET', `/v1/licenses/${license.id}`);
      expect(after.body?.activationCount).toBe(rows.length);

      // And the restarted server keeps taking activations.
      const more = await request(second.url, 'POST', '/v1/machines', {
        json: { licenseId: license.id, fingerprint: 'after-restart' },
      });
      expect(more.status).toBe(201);
      await second.kill('SIGTERM');
    });
  });
}
