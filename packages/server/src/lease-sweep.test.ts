import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { operatorPrincipal } from './core/access/principal.js';
import { type RunningServer, startServer } from './server.js';

const TOKEN = 'kw_lease_sweep_admin_token_0123456789abcdef';

/**
 * What a vendor saw: a floating lease nobody renews. The running server frees it and announces it within the
 * sweep interval (here KEYWARD_LEASE_SWEEP_SECONDS=1), with no request touching the license, and a webhook
 * endpoint receives `machine.lease_expired`.
 */
describe('a running server frees lapsed leases on its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-lease-'));
  let server: RunningServer;
  const received: Array<{
    at: number;
    body: { type: string; machineId: number; via: string; data: object };
  }> = [];
  const receiver = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(204).end();
    });
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    // biome-ignore lint/suspicious/noExplicitAny: the test reads loosely typed JSON answers.
    return JSON.parse(text) as any;
  };

  beforeAll(async () => {
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    server = await startServer(
      loadConfig({
        DATABASE_URL: join(dir, 'keyward.sqlite'),
        PORT: '0',
        HOST: '127.0.0.1',
        KEYWARD_ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'silent',
        RATE_LIMIT_PER_TOKEN: '0',
        RATE_LIMIT_PER_IP: '0',
        KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true',
        KEYWARD_LEASE_SWEEP_SECONDS: '1',
      }),
    );
  });

  afterAll(async () => {
    await server?.close();
    receiver.closeAllConnections();
    await new Promise((done) => receiver.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  it('frees the seat and delivers machine.lease_expired within the sweep interval', async () => {
    const port = (receiver.address() as AddressInfo).port;
    await call('POST', '/v1/webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      eventTypes: ['machine.lease_expired'],
    });
    const product = await call('POST', '/v1/products', { name: 'Floating app' });
    const policy = await call('POST', '/v1/policies', {
      productId: product.id,
      name: 'floating',
      maxMachines: 1,
      isFloating: true,
      leaseSeconds: 30,
    });
    const license = await call('POST', '/v1/licenses', { policyId: policy.id });
    // A one-second lease (the native API grants at least 30 s; the dialects ask for less).
    const { machine } = await server.keyward.machines.activate(
      { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal },
      license.id,
      { fingerprint: 'idle-desk', lease: { seconds: 1, maxOverdraft: 0 } },
    );
    const lapsedAt = (machine.leaseExpiresAt as Date).getTime();

    const deadline = Date.now() + 6000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
    const [delivery] = received as [(typeof received)[number]];
    expect(delivery.body).toMatchObject({
      type: 'machine.lease_expired',
      machineId: machine.id,
      via: 'sweeper',
      data: { fingerprint: 'idle-desk' },
    });
    // One sweep interval (1 s) and one dispatcher round (1 s), with slack for a loaded machine.
    expect(delivery.at - lapsedAt).toBeLessThan(3500);
    const listed = await call('GET', `/v1/machines?licenseId=${license.id}`);
    expect(listed.data).toEqual([]);

    await new Promise((r) => setTimeout(r, 1500));
    expect(received).toHaveLength(1);
  }, 20_000);
});
