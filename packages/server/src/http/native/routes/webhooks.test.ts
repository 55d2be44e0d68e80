import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDispatcher } from '../../../core/events/webhook-dispatcher.js';
import { RETRY_WINDOW_SECONDS } from '../../../core/events/webhook-retry.js';
import {
  createLicense,
  expectError,
  expectStatus,
  get,
  type Json,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';
import { createOutboundHttp } from '../../outbound-http.js';
import { httpWebhookTransport } from '../../webhook-transport.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on a loopback port that answers with whatever `answer` says at the time. */
async function receiver() {
  const received: Received[] = [];
  let answer: { status: number; body: string } | 'hang' = { status: 200, body: 'ok' };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      if (answer === 'hang') return;
      response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    answer: (next: typeof answer) => {
      answer = next;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}

function verify(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
  return parts.v1 === expected;
}

for (const dialect of await testDialects()) {
  describe(`webhooks (${dialect})`, () => {
    let t: TestApp;
    let hook: Awaited<ReturnType<typeof receiver>>;
    let dispatcher: WebhookDispatcher;
    beforeAll(async () => {
      // The receivers listen on loopback, which the operator has to allow.
      t = await createTestApp(dialect, { allowPrivateDestinations: true });
      hook = await receiver();
      dispatcher = t.keyward.webhooks.createDispatcher(transport(), { timeoutMs: 2000 });
    });
    afterAll(async () => {
      await dispatcher.stop();
      await hook.close();
      await t.dispose();
    });
    afterEach(async () => {
      hook.answer({ status: 200, body: 'ok' });
      hook.received.length = 0;
      for (const w of (await get(t, '/v1/webhooks')).data)
        await expectStatus(t.call({ method: 'DELETE', url: `/v1/webhooks/${w.id}` }), 204);
    });

    const transport = () => httpWebhookTransport(createOutboundHttp(t.keyward.destinations));
    const createWebhook = (body: object = {}) =>
      post(t, '/v1/webhooks', { url: hook.url, eventTypes: ['license.*', 'machine.*'], ...body });

    it('shows the secret once and keeps it sealed', async () => {
      const created = await createWebhook({ description: 'CRM' });
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/);
      const read = await get(t, `/v1/webhooks/${created.id}`);
      expect(read).not.toHaveProperty('secret');
      expect(JSON.stringify(await get(t, '/v1/webhooks'))).not.toContain(created.secret);
      const { db } = (t.store as Json).database;
      const row = await db
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', created.id)
        .executeTakeFirst();
      expect(row.sealed_secret).not.toContain(created.secret);
      expect(row.sealed_secret).toMatch(/^v1\./);
    });

    it('refuses bad URLs and event types', async () => {
      await expectError(
        t.call({ method: 'POST', url: '/v1/webhooks', payload: { url: 'ftp://x', eventTypes: ['*'] } }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({
          method: 'POST',
          url: '/v1/webhooks',
          payload: { url: hook.url, eventTypes: ['License Created'] },
        }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({
          method: 'POST',
          url: '/v1/webhooks',
          payload: { url: hook.url, eventTypes: ['*'], productIds: [999999] },
        }),
        404,
        'NOT_FOUND',
      );
    });

    it('delivers a signed event with the license, once', async () => {
      const { secret } = await createWebhook();
      const { policy } = await productWithPolicy(t);
      const license = await createLicense(t, policy.id, { email: 'buyer@example.com' });
      await dispatcher.deliverDue();
      await dispatcher.deliverDue();
      expect(hook.received).toHaveLength(1);
      const [delivery] = hook.received as [Received];
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['keyward-event']).toBe('license.created');
      const signature = delivery.headers['keyward-signature'] as string;
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verify(secret, signature, delivery.body)).toBe(true);
      expect(verify(secret, signature, delivery.body.replace('buyer', 'other'))).toBe(false);
      expect(verify('whsec_wrong', signature, delivery.body)).toBe(false);
      expect(Number(/t=(\d+)/.exec(signature)?.[1])).toBe(Math.floor(t.clock.now().getTime() / 1000));
      expect(JSON.parse(delivery.body)).toMatchObject({
        type: 'license.created',
        licenseId: license.id,
        productId: policy.productId,
        via: 'native',
        license: { id: license.id, key: license.key, email: 'buyer@example.com', status: 'active' },
      });
    });

    it('filters by event type and product', async () => {
      const a = await productWithPolicy(t);
      const b = await productWithPolicy(t);
      const activations = await createWebhook({
        eventTypes: ['machine.activated'],
        productIds: [a.product.id],
      });
      const everything = await createWebhook({ eventTypes: ['*'] });
      const la = await createLicense(t, a.policy.id);
      const lb = await createLicense(t, b.policy.id);
      await post(t, '/v1/machines', { licenseId: la.id, fingerprint: 'fp-a' });
      await post(t, '/v1/machines', { licenseId: lb.id, fingerprint: 'fp-b' });
      const typesOf = async (id: number) =>
        (await get(t, `/v1/webhooks/${id}/deliveries`)).data.map((d: Json) => d.eventType);
      expect(await typesOf(activations.id)).toEqual(['machine.activated']);
      expect(await typesOf(everything.id)).toEqual(
        expect.arrayContaining([
          'license.created',
          'machine.activated',
          'license.created',
          'machine.activated',
        ]),
      );
    });

    it('queues nothing for an event whose transaction rolled back', async () => {
      const endpoint = await createWebhook({ eventTypes: ['*'] });
      const before = (await get(t, `/v1/webhooks/${endpoint.id}/deliveries`)).data.length;
      await expect(
        t.store.transaction(async (tx) => {
          await tx.events.append({
            type: 'license.updated',
            licenseId: null,
            productId: null,
            machineId: null,
            tokenId: null,
            code: null,
            ip: null,
            data: {},
            createdAt: t.clock.now(),
          });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await get(t, `/v1/webhooks/${endpoint.id}/deliveries`)).data.length).toBe(before);
    });

    it('retries a failed delivery with backoff, logs each attempt and redelivers on request', async () => {
      const endpoint = await createWebhook({ eventTypes: ['license.created'] });
      hook.answer({ status: 503, body: 'down for maintenance' });
      const { policy } = await productWithPolicy(t);
      await createLicense(t, policy.id);
      await dispatcher.deliverDue();
      const [listed] = (await get(t, `/v1/webhooks/${endpoint.id}/deliveries`)).data;
      let delivery = await get(t, `/v1/webhook-deliveries/${listed.id}`);
      expect(delivery).toMatchObject({ status: 'pending', attemptCount: 1, lastStatusCode: 503 });
      expect(delivery.attempts).toEqual([
        expect.objectContaining({ statusCode: 503, responseExcerpt: 'down for maintenance', error: null }),
      ]);
      const wait = (Date.parse(delivery.nextAttemptAt) - t.clock.now().getTime()) / 1000;
      expect(wait).toBeGreaterThanOrEqual(30);
      expect(wait).toBeLessThanOrEqual(33);
      // Not due yet: nothing is sent.
      await dispatcher.deliverDue();
      expect(hook.received).toHaveLength(1);
      hook.answer({ status: 204, body: '' });
      t.clock.advance(wait);
      await dispatcher.deliverDue();
      expect(hook.received).toHaveLength(2);
      delivery = await get(t, `/v1/webhook-deliveries/${listed.id}`);
      expect(delivery).toMatchObject({
        status: 'succeeded',
        attemptCount: 2,
        lastStatusCode: 204,
        nextAttemptAt: null,
      });
      expect(delivery.attempts.map((a: Json) => a.statusCode)).toEqual([503, 204]);
      // Both attempts carried the same delivery id, so a receiver can drop the repeat.
      expect(new Set(hook.received.map((r) => r.headers['keyward-delivery']))).toEqual(
        new Set([String(listed.id)]),
      );

      const again = await post(t, `/v1/webhook-deliveries/${listed.id}/actions/redeliver`, {}, 200);
      expect(again).toMatchObject({ status: 'pending' });
      await dispatcher.deliverDue();
      expect(hook.received).toHaveLength(3);
      expect((await get(t, `/v1/webhook-deliveries/${listed.id}`)).attempts).toHaveLength(3);
    });

    it('gives up after a day of exponential backoff', async () => {
      const endpoint = await createWebhook({ eventTypes: ['license.created'] });
      hook.answer({ status: 500, body: 'broken' });
      const { policy } = await productWithPolicy(t);
      const start = t.clock.now().getTime();
      await createLicense(t, policy.id);
      const gaps: number[] = [];
      let last = start;
      for (let i = 0; i < 100; i++) {
        await dispatcher.deliverDue();
        const [d] = (await get(t, `/v1/webhooks/${endpoint.id}/deliveries`)).data;
        if (d.status !== 'pending') break;
        const next = Date.parse(d.nextAttemptAt);
        gaps.push((next - last) / 1000);
        last = next;
        t.clock.set(new Date(next));
      }
      const [final] = (await get(t, `/v1/webhooks/${endpoint.id}/deliveries`)).data;
      expect(final).toMatchObject({ status: 'failed', lastStatusCode: 500 });
      expect(t.clock.now().getTime() - start).toBeLessThanOrEqual(RETRY_WINDOW_SECONDS * 1000);
      expect(t.clock.now().getTime() - start).toBeGreaterThanOrEqual(RETRY_WINDOW_SECONDS * 1000 - 1000);
      // 30 s, about 60 s, 120 s, … : each gap roughly doubles until the cap.
      expect(gaps[0]).toBeGreaterThanOrEqual(30);
      expect(gaps[1]).toBeGreaterThan((gaps[0] as number) * 1.7);
      expect(gaps[2]).toBeGreaterThan((gaps[1] as number) * 1.7);
      expect(final.attemptCount).toBe(hook.received.length);
      expect(final.attemptCount).toBeGreaterThan(10);
    });

    it('sends a test event to the one endpoint asked, signed and logged like any delivery', async () => {
      const { id, secret } = await createWebhook({ eventTypes: ['license.created'] });
      // Hears everything: still gets no other endpoint's test.
      const everything = await post(t, '/v1/webhooks', { url: `${hook.url}/all`, eventTypes: ['*'] });
      const queued = await expectStatus(
        t.call({ method: 'POST', url: `/v1/webhooks/${id}/actions/test` }),
        202,
      );
      expect(queued).toMatchObject({
        webhookId: id,
        eventType: 'webhook.test',
        status: 'pending',
        attemptCount: 0,
      });
      const heard = (await get(t, `/v1/webhooks/${everything.id}/deliveries`)).data;
      expect(heard.map((d: Json) => d.eventType)).not.toContain('webhook.test');
      await t.call({ method: 'DELETE', url: `/v1/webhooks/${everything.id}` });
      await dispatcher.deliverDue();
      expect(hook.received).toHaveLength(1);
      const [delivery] = hook.received as [Received];
      expect(delivery.headers['keyward-event']).toBe('webhook.test');
      expect(delivery.headers['keyward-delivery']).toBe(String(queued.id));
      expect(verify(secret, delivery.headers['keyward-signature'] as string, delivery.body)).toBe(true);
      expect(JSON.parse(delivery.body)).toMatchObject({
        type: 'webhook.test',
        via: 'native',
        data: { webhookId: id },
        license: null,
      });
      const logged = await get(t, `/v1/webhook-deliveries/${queued.id}`);
      expect(logged).toMatchObject({ status: 'succeeded', attempts: [{ statusCode: 200 }] });
      // The event log records who asked.
      const events = await get(t, '/v1/events?type=webhook.test');
      expect(events.data[0]).toMatchObject({ type: 'webhook.test', data: { webhookId: id } });
    });

    it('refuses a test event for a disabled or missing endpoint', async () => {
      const { id } = await createWebhook({ isEnabled: false });
      const error = await expectError(
        t.call({ method: 'POST', url: `/v1/webhooks/${id}/actions/test` }),
        409,
        'CONFLICT',
      );
      expect(error.message).toBe(`webhook ${id} is disabled; enable it to send it a test event`);
      expect((await get(t, `/v1/webhooks/${id}/deliveries`)).data).toEqual([]);
      await expectError(
        t.call({ method: 'POST', url: '/v1/webhooks/999999/actions/test' }),
        404,
        'NOT_FOUND',
      );
    });

    it('logs a dead receiver and a hung one without slowing the API', async () => {
      const slow = t.keyward.webhooks.createDispatcher(transport(), {
        timeoutMs: 1500,
        concurrency: 4,
      });
      hook.answer('hang');
      await createWebhook({ eventTypes: ['license.created'] });
      // Nothing listens on this port any more: connections are refused.
      const closed = createServer().listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const deadPort = (closed.address() as AddressInfo).port;
      await new Promise((done) => closed.close(done));
      await createWebhook({ eventTypes: ['license.created'], url: `http://127.0.0.1:${deadPort}/dead` });
      const { policy } = await productWithPolicy(t);
      const timer = setInterval(() => void slow.runOnce().catch(() => {}), 20);
      const latencies: number[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          const started = performance.now();
          await createLicense(t, policy.id);
          latencies.push(performance.now() - started);
          await new Promise((done) => setTimeout(done, 25));
        }
      } finally {
        clearInterval(timer);
        await slow.stop();
      }
      expect(Math.max(...latencies)).toBeLessThan(500);
      const endpoints = (await get(t, '/v1/webhooks')).data;
      const errors = [];
      for (const endpoint of endpoints) {
        const [first] = (await get(t, `/v1/webhooks/${endpoint.id}/deliveries?status=pending`)).data.slice(
          -1,
        );
        const detail = await get(t, `/v1/webhook-deliveries/${first.id}`);
        errors.push(detail.attempts[0]?.error);
      }
      expect(errors).toEqual(expect.arrayContaining(['no answer within 1500 ms', 'ECONNREFUSED']));
    });
  });
}

describeRouteSecurity('webhooks');
