import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_ONLY } from '../core/operations/network-destinations.js';
import { execute } from '../import/run-import.js';
import { expectError, get, type Json, post } from '../test-support/native-calls.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { createOutboundHttp } from './outbound-http.js';
import { httpWebhookTransport } from './webhook-transport.js';

/**
 * Webhooks and imports reach only public addresses unless the operator allows others: a literal internal
 * address is refused when saved (400 INVALID_INPUT), and every request is checked again on the address it
 * connects to. A receiver on loopback records whatever reaches it.
 */

const received: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
let reply = { status: 200, type: 'text/plain', body: 'ok' };
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers, body });
      response.writeHead(reply.status, { 'content-type': reply.type }).end(reply.body);
    });
  });
  server.listen(0, '::');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

afterEach(() => {
  received.length = 0;
  reply = { status: 200, type: 'text/plain', body: 'ok' };
});

/** Every spelling of this machine the review used, and link-local ones (cloud metadata lives there). */
const INTERNAL_HOSTS = [
  '127.0.0.1',
  'localhost',
  '[::1]',
  '0.0.0.0',
  '2130706433',
  '0x7f000001',
  '127.1',
  '[::ffff:127.0.0.1]',
  '169.254.169.254',
  '[fe80::1]',
];

describe('webhook destinations', () => {
  let t: TestApp;
  let allowing: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    allowing = await createTestApp('sqlite', { allowPrivateDestinations: true });
  });
  afterAll(async () => {
    await t.dispose();
    await allowing.dispose();
  });

  it.each(INTERNAL_HOSTS)(
    'refuses a webhook to %s when saved, unless the operator allows it',
    async (host) => {
      const url = `http://${host}:${port}/hook`;
      const refusal = await expectError(
        t.call({ method: 'POST', url: '/v1/webhooks', payload: { url, eventTypes: ['*'] } }),
        400,
        'INVALID_INPUT',
      );
      expect(refusal.message).toContain('KEYWARD_ALLOW_PRIVATE_DESTINATIONS');
      const created = await post(allowing, '/v1/webhooks', { url, eventTypes: ['license.*'] });
      // Changing a saved webhook's URL to it is refused the same way.
      const fine = await post(t, '/v1/webhooks', { url: 'https://hooks.example.com/k', eventTypes: ['*'] });
      await expectError(
        t.call({ method: 'PATCH', url: `/v1/webhooks/${fine.id}`, payload: { url } }),
        400,
        'INVALID_INPUT',
      );
      await expectStatusOk(allowing, created.id);
    },
  );

  it('delivers nothing to an internal address when connecting, whatever was saved before', async () => {
    // Saved while the operator allowed internal addresses; the server now runs without that setting.
    const endpoints: Json[] = [];
    for (const host of INTERNAL_HOSTS)
      endpoints.push(
        await post(allowing, '/v1/webhooks', {
          url: `http://${host}:${port}/hook`,
          eventTypes: ['customer.*'],
        }),
      );
    await post(allowing, '/v1/customers', { name: 'Ada' });
    const dispatcher = allowing.keyward.webhooks.createDispatcher(
      httpWebhookTransport(createOutboundHttp(PUBLIC_ONLY)),
      { timeoutMs: 1000 },
    );
    await dispatcher.deliverDue();
    await dispatcher.stop();
    expect(received).toEqual([]);
    for (const endpoint of endpoints) {
      const [delivery] = (await get(allowing, `/v1/webhooks/${endpoint.id}/deliveries`)).data;
      const detail = await get(allowing, `/v1/webhook-deliveries/${delivery.id}`);
      expect(detail.attempts).toEqual([
        expect.objectContaining({
          statusCode: null,
          responseExcerpt: null,
          error: expect.stringMatching(/^refused: /),
        }),
      ]);
    }
    for (const endpoint of endpoints) await expectStatusOk(allowing, endpoint.id, 'DELETE');
  });

  it('refuses a name that resolves to loopback when connecting (DNS rebinding)', async () => {
    // The name passes when saved; when the delivery connects, it resolves to 127.0.0.1.
    const endpoint = await post(t, '/v1/webhooks', {
      url: `http://hooks.rebind.test:${port}/hook`,
      eventTypes: ['customer.*'],
    });
    await post(t, '/v1/customers', { name: 'Grace' });
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    const refusing = t.keyward.webhooks.createDispatcher(
      httpWebhookTransport(createOutboundHttp(t.keyward.destinations, { resolve })),
    );
    await refusing.deliverDue();
    await refusing.stop();
    expect(received).toEqual([]);
    const [delivery] = (await get(t, `/v1/webhooks/${endpoint.id}/deliveries`)).data;
    expect((await get(t, `/v1/webhook-deliveries/${delivery.id}`)).attempts[0].error).toContain(
      'hooks.rebind.test resolves to 127.0.0.1 is a loopback address',
    );

    // With the operator's setting the same name is delivered to.
    const allowingDispatcher = t.keyward.webhooks.createDispatcher(
      httpWebhookTransport(createOutboundHttp({ allowPrivate: 'all' }, { resolve })),
    );
    await post(t, `/v1/webhook-deliveries/${delivery.id}/actions/redeliver`, {}, 200);
    await allowingDispatcher.deliverDue();
    await allowingDispatcher.stop();
    expect(received.map((r) => r.url)).toEqual(['/hook']);
  });

  it('keeps only a short excerpt of what a receiver answers', async () => {
    reply = { status: 500, type: 'text/plain', body: `${'internal '.repeat(500)}` };
    const endpoint = await post(allowing, '/v1/webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      eventTypes: ['customer.*'],
    });
    await post(allowing, '/v1/customers', { name: 'Linus' });
    const dispatcher = allowing.keyward.webhooks.createDispatcher(
      httpWebhookTransport(createOutboundHttp(allowing.keyward.destinations)),
    );
    await dispatcher.deliverDue();
    await dispatcher.stop();
    const [delivery] = (await get(allowing, `/v1/webhooks/${endpoint.id}/deliveries`)).data;
    const [attempt] = (await get(allowing, `/v1/webhook-deliveries/${delivery.id}`)).attempts;
    expect(attempt.statusCode).toBe(500);
    expect(attempt.responseExcerpt.length).toBeLessThanOrEqual(200);
    await expectStatusOk(allowing, endpoint.id, 'DELETE');
  });
});

async function expectStatusOk(app: TestApp, webhookId: number, method: 'GET' | 'DELETE' = 'GET') {
  const answer = await app.call({ method, url: `/v1/webhooks/${webhookId}` });
  expect(answer.statusCode, answer.body).toBe(method === 'DELETE' ? 204 : 200);
}

describe('import destinations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it.each(INTERNAL_HOSTS)('refuses an import from %s when started', async (host) => {
    await expectError(
      t.call({
        method: 'POST',
        url: '/v1/imports',
        payload: { kind: 'cryptolens', credential: 'vendor-secret', baseUrl: `http://${host}:${port}/` },
      }),
      400,
      'INVALID_INPUT',
    );
    expect(received).toEqual([]);
  });

  it('sends the vendor credential nowhere internal when connecting', async () => {
    // A job saved with a loopback baseUrl (started while the operator allowed it) is resumed without it.
    const { job, owner } = await t.keyward.importJobs.start({
      kind: 'cryptolens',
      source: 'resumed',
      options: { baseUrl: `http://127.0.0.1:${port}/` },
      credential: 'vendor-secret',
    });
    const finished = await execute(t.keyward, job, owner, 'vendor-secret');
    expect(finished.status).toBe('failed');
    expect(finished.error).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);
    expect(received).toEqual([]);
  });

  it("does not repeat a vendor's answer in the job's error", async () => {
    const allowing = await createTestApp('sqlite', { allowPrivateDestinations: true });
    try {
      reply = {
        status: 200,
        type: 'text/html',
        body: '<html>internal admin console: db password hunter2</html>',
      };
      const started = await post(
        allowing,
        '/v1/imports',
        { kind: 'cryptolens', credential: 'vendor-secret', baseUrl: `http://127.0.0.1:${port}/` },
        202,
      );
      let job = started;
      for (let i = 0; i < 200 && job.status === 'running'; i++) {
        await new Promise((done) => setTimeout(done, 20));
        job = await get(allowing, `/v1/imports/${started.id}`);
      }
      expect(job.status).toBe('failed');
      expect(received[0]?.body).toContain('token=vendor-secret');
      expect(job.error).toBe(`http://127.0.0.1:${port} /api/product/GetProducts answered HTTP 200, not JSON`);
      expect(job.error).not.toContain('hunter2');
    } finally {
      await allowing.dispose();
    }
  });
});
