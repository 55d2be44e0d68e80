import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  licenseUnder,
  request,
  startServerProcess,
  tally,
  waitUntilReady,
} from './test-support/server-process.js';

/**
 * A database the server cannot write gives a clear error, never a 500 or a crash: a read-only SQLite file
 * stops `keyward serve` at start with a message that names the file; a disk that refuses writes while the
 * server runs (a file size limit, `ulimit -f`, stands in for a full disk: no root mounts needed) answers
 * writes with 503 UNAVAILABLE saying so, keeps answering reads, and writes again once space is back.
 */

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function seededDatabase(): Promise<{ path: string; license: { id: number; key: string } }> {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'keyward-faults-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keyward.sqlite');
  const [port] = (await freePorts(1)) as [number];
  const server = startServerProcess({ port, databaseUrl: path });
  await waitUntilReady(server);
  const license = await licenseUnder(server.url, { maxMachines: 100_000 });
  await server.kill('SIGTERM');
  return { path, license };
}

/** Makes a file unwritable even for root (immutable attribute), or by its mode for anyone else. */
function makeReadOnly(path: string): void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', path]);
    cleanups.push(() => execFileSync('chattr', ['-i', path]));
  } else {
    chmodSync(path, 0o444);
  }
}

describe('a database that cannot be written (SQLite)', () => {
  it('refuses to start on a read-only database file, naming the file', async () => {
    const { path } = await seededDatabase();
    makeReadOnly(path);
    expect(() => closeSync(openSync(path, 'r+'))).toThrow();
    const [port] = (await freePorts(1)) as [number];
    const server = startServerProcess({ port, databaseUrl: path });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    const output = server.output.join('');
    expect(output).toContain(`keyward: the database file ${path} cannot be written`);
    expect(output).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('answers writes on a full disk with 503 UNAVAILABLE, keeps serving reads and recovers', async () => {
    const { path, license } = await seededDatabase();
    const limitKb = Math.ceil(statSync(path).size / 1024) + 16;
    const [port, secondPort] = (await freePorts(2)) as [number, number];
    // SIGXFSZ ignored, so a write past the limit fails (EFBIG) instead of killing the process.
    const server = startServerProcess({
      port,
      databaseUrl: path,
      shellPrefix: `trap '' XFSZ; ulimit -f ${limitKb};`,
    });
    cleanups.push(() => void server.kill());
    await waitUntilReady(server);

    const answers = [];
    for (let i = 0; i < 400; i++) {
      const answer = await request(server.url, 'POST', '/v1/machines', {
        json: { licenseId: license.id, fingerprint: `full-${i}`, name: 'x'.repeat(200) },
      });
      answers.push(answer);
      if (answer.status >= 500) break;
    }
    const refused = answers.at(-1);
    expect(
      refused?.status,
      `${JSON.stringify(tally(answers))} ${server.output.join('').slice(0, 3000)}`,
    ).toBe(503);
    expect(refused?.body?.error?.code).toBe('UNAVAILABLE');
    expect(refused?.body?.error?.message).toMatch(/cannot be written: the disk refused the write/);
    expect(answers.filter((a) => a.status !== 201 && a.status !== 503)).toEqual([]);

    const validated = await request(server.url, 'POST', '/v1/licenses/actions/validate-key', {
      json: { key: license.key },
      token: null,
    });
    expect(validated.status).toBe(200);
    expect(validated.body?.valid).toBe(true);
    expect(server.child.exitCode).toBeNull();

    // Space again: the same file takes writes in a process without the limit, and nothing acknowledged is gone.
    await server.kill('SIGTERM');
    const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.body?.id as number);
    const again = startServerProcess({ port: secondPort, databaseUrl: path });
    cleanups.push(() => void again.kill());
    await waitUntilReady(again);
    const more = await request(again.url, 'POST', '/v1/machines', {
      json: { licenseId: license.id, fingerprint: 'after-space' },
    });
    expect(more.status).toBe(201);
    const list = await request(again.url, 'GET', `/v1/machines?licenseId=${license.id}&limit=1000`);
    const ids = ((list.body?.data ?? []) as Array<{ id: number }>).map((m) => m.id);
    for (const id of acknowledged) expect(ids).toContain(id);
    await again.kill('SIGTERM');
  });
});
