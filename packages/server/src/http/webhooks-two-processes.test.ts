import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePorts,
  PROCESS_ADMIN_TOKEN,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../test-support/server-process.js';
import { createPostgresSchemaUrl, postgresAvailable } from '../test-support/test-store.js';

/**
 * Webhooks across processes: two real `keyward serve` processes share one PostgreSQL schema, both run the
 * dispatcher, and events are recorded through both. The receiver must see every delivery exactly once.
 */

const LICENSES = 120;

async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${PROCESS_ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  // biome-ignore lint/suspicious/noExplicitAny: the test reads loosely typed JSON answers.
  return (text === '' ? null : JSON.parse(text)) as any;
}

const runs = await postgresAvailable();

describe.runIf(runs)('webhooks with two server processes on PostgreSQL', () => {
  const servers: ServerProcess[] = [];
  let dropSchema: (() => Promise<void>) | null = null;
  const received: Array<{ delivery: string; event: string }> = [];
  const receiver = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received.push({
        delivery: String(request.headers['keyward-delivery']),
        event: String(request.headers['keyward-event-id']),
      });
      // A little slow, so both processes have deliveries in flight at once.
      setTimeout(() => response.writeHead(200).end('ok'), 30);
    });
  });

  beforeAll(async () => {
    ensureBuilt();
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const { url, drop } = await createPostgresSchemaUrl();
    dropSchema = drop;
    // The receiver listens on loopback, which the operator has to allow.
    const env = { KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true' };
    for (const port of await freePorts(2)) servers.push(startServerProcess({ port, databaseUrl: url, env }));
    await Promise.all(servers.map((s) => waitUntilReady(s)));
  }, 90_000);

  afterAll(async () => {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.exited));
    receiver.closeAllConnections();
    await new Promise((done) => receiver.close(done));
    await dropSchema?.();
  }, 60_000);

  it('delivers each event once though both processes dispatch', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const port = (receiver.address() as AddressInfo).port;
    const webhook = await call(a, 'POST', '/v1/webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      eventTypes: ['license.created'],
    });
    const product = await call(a, 'POST', '/v1/products', { name: 'Two processes' });
    const policy = await call(b, 'POST', '/v1/policies', { productId: product.id, name: 'Standard' });
    // Licenses made through both processes, a few at a time.
    for (let i = 0; i < LICENSES; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          call(servers[(i + j) % 2] as ServerProcess, 'POST', '/v1/licenses', { policyId: policy.id }),
        ),
      );
    }
    const deadline = Date.now() + 30_000;
    while (received.length < LICENSES && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 100));
    // Anything sent twice would arrive within the next dispatcher ticks.
    await new Promise((done) => setTimeout(done, 2500));
    expect(received).toHaveLength(LICENSES);
    expect(new Set(received.map((r) => r.delivery)).size).toBe(LICENSES);
    expect(new Set(received.map((r) => r.event)).size).toBe(LICENSES);
    const deliveries = await call(a, 'GET', `/v1/webhooks/${webhook.id}/deliveries?limit=1000`);
    expect(deliveries.data).toHaveLength(LICENSES);
    // biome-ignore lint/suspicious/noExplicitAny: JSON answer.
    expect(deliveries.data.every((d: any) => d.status === 'succeeded' && d.attemptCount === 1)).toBe(true);
  }, 90_000);
});
