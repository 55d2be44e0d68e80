import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresSchemaUrl, postgresAvailable } from '../test-support/test-store.js';

/**
 * Webhooks across processes: two real `keyward serve` processes share one PostgreSQL schema, both run the
 * dispatcher, and events are recorded through both. The receiver must see every delivery exactly once.
 */

const PACKAGE_DIR = resolve(import.meta.dirname, '../..');
const CLI = resolve(PACKAGE_DIR, 'dist/cli.js');
const ADMIN_TOKEN = 'kw_webhook_processes_admin_token_0123456789';
const SECRET = 'webhook-processes-secret-that-is-long-enough-0123456789';
const LICENSES = 120;

interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Free ports, held open together so the two differ. The server cannot listen on port 0 and report it. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

function startServer(port: number, databaseUrl: string): ServerProcess {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: PACKAGE_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      KEYWARD_SECRET: SECRET,
      KEYWARD_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_TOKEN: '0',
      RATE_LIMIT_PER_IP: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return { url: `http://127.0.0.1:${port}`, child, output, exited };
}

async function waitUntilReady(server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(
        `server exited with ${server.child.exitCode} while starting:\n${server.output.join('')}`,
      );
    }
    try {
      if ((await fetch(`${server.url}/readyz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`server at ${server.url} not ready after ${timeoutMs} ms:\n${server.output.join('')}`);
}

async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
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
    if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: PACKAGE_DIR, stdio: 'pipe' });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const { url, drop } = await createPostgresSchemaUrl();
    dropSchema = drop;
    for (const port of await freePorts(2)) servers.push(startServer(port, url));
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
