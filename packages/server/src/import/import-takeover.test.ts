import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  request,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../test-support/server-process.js';
import { createPostgresSchemaUrl, postgresAvailable } from '../test-support/test-store.js';

/**
 * docs/import.md: an import whose server process stops is taken over by another server process within a
 * minute. Two real `keyward serve` processes share one PostgreSQL schema; the one running an import is killed
 * (SIGKILL: no chance to let go of the job) while the vendor holds an answer, and the other finishes the job.
 */

const KEYS = Array.from({ length: 120 }, (_, i) => `TAKE-${String(i).padStart(3, '0')}-OVER`);
/** The vendor holds this key's answer until the first process is dead: past the checkpoint at key 50. */
const HELD = 60;

/** A stand-in for AuthTool's public API: key details at once, except the held one while `holding`. */
function fakeVendor() {
  let holding = true;
  let heldSeen: () => void = () => {};
  const heldAsked = new Promise<void>((done) => {
    heldSeen = done;
  });
  const asked: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = decodeURIComponent(/\/key\/([^/]+)\/detail/.exec(req.url ?? '')?.[1] ?? '');
    asked.push(key);
    if (holding && key === KEYS[HELD]) {
      heldSeen();
      return; // never answered: the process asking dies waiting
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ key: { activateLimit: 2, activateCount: 0, status: 1 }, devices: [] }));
  });
  return {
    server,
    asked,
    heldAsked,
    release() {
      holding = false;
    },
  };
}

const runs = await postgresAvailable();

describe.runIf(runs)('an import whose server process dies', () => {
  const servers: ServerProcess[] = [];
  const vendor = fakeVendor();
  let vendorUrl = '';
  let dropSchema: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    ensureBuilt();
    vendor.server.listen(0, '127.0.0.1');
    await once(vendor.server, 'listening');
    vendorUrl = `http://127.0.0.1:${(vendor.server.address() as AddressInfo).port}`;
    const { url, drop } = await createPostgresSchemaUrl();
    dropSchema = drop;
    const ports = await freePorts(2);
    for (const port of ports)
      servers.push(
        startServerProcess({
          port,
          databaseUrl: url,
          env: { KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true' },
        }),
      );
    await Promise.all(servers.map((server) => waitUntilReady(server)));
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    vendor.server.closeAllConnections();
    await new Promise((done) => vendor.server.close(done));
    await dropSchema?.();
  });

  it('is taken over by another process within a minute and finishes without duplicates', async () => {
    const [first, second] = servers as [ServerProcess, ServerProcess];
    const started = await request(first.url, 'POST', '/v1/imports', {
      json: { kind: 'authtool', credential: 'vendor-api-key', baseUrl: vendorUrl, keys: KEYS },
    });
    expect(started.status, started.text).toBe(202);
    const id = started.body?.id as number;

    await vendor.heldAsked;
    const before = await request(second.url, 'GET', `/v1/imports/${id}`);
    expect(before.body).toMatchObject({ status: 'running', progress: { done: 50 } });
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    vendor.release();

    let job = before.body;
    while (job?.status === 'running' && Date.now() - killedAt < 75_000) {
      await new Promise((done) => setTimeout(done, 250));
      job = (await request(second.url, 'GET', `/v1/imports/${id}`)).body;
    }
    const tookMs = Date.now() - killedAt;
    console.info(`import ${id} finished by the other process ${tookMs} ms after the first was killed`);
    expect(job, `still ${job?.status} after ${tookMs} ms`).toMatchObject({
      status: 'succeeded',
      progress: { done: KEYS.length, total: KEYS.length },
    });
    expect(tookMs).toBeLessThan(60_000);
    const licenses = job?.counts as Record<string, { created: number; skipped: number }>;
    expect((licenses.licenses?.created ?? 0) + (licenses.licenses?.skipped ?? 0)).toBe(KEYS.length);
    // Every key exists once: the keys the dead process wrote after its checkpoint were matched, not doubled.
    for (const key of [KEYS[0], KEYS[HELD - 1], KEYS[HELD], KEYS[KEYS.length - 1]]) {
      const found = await request(second.url, 'GET', `/v1/licenses/${key}`);
      expect(found.status, found.text).toBe(200);
    }
    const page = await request(second.url, 'GET', '/v1/licenses?limit=500');
    expect(page.body?.data).toHaveLength(KEYS.length);
    // The second process read from the checkpoint on: keys 51-60 twice, the first 50 once.
    expect(vendor.asked.filter((key) => key === KEYS[0])).toHaveLength(1);
  }, 120_000);
});
