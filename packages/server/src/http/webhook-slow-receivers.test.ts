import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { get, post } from '../test-support/native-calls.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { createOutboundHttp } from './outbound-http.js';
import { httpWebhookTransport } from './webhook-transport.js';

/**
 * Real receivers on loopback: many slow ones must not hold up a fast one. Timings are compared with each
 * other (the fast receiver's deliveries against the slow receivers' first answer), not with a wall-clock
 * budget, so a busy machine does not make the test flaky.
 */

const SLOW_RECEIVERS = 10;
const EVENTS = 4;
/** How long a slow receiver takes to answer: well inside the delivery timeout, so none of them times out. */
const SLOW_ANSWER_MS = 4000;

interface Receiver {
  url: string;
  received: number;
  answeredAt: number[];
  close(): Promise<void>;
}

/** A receiver answering after `delayMs`, or never ('hang'). */
async function receiver(delayMs: number | 'hang'): Promise<Receiver> {
  const state: Receiver = { url: '', received: 0, answeredAt: [], close: async () => {} };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      state.received++;
      if (delayMs === 'hang') return;
      setTimeout(() => {
        state.answeredAt.push(performance.now());
        response.writeHead(200).end('ok');
      }, delayMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  state.close = () => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  };
  return state;
}

describe('webhook dispatcher with slow receivers', () => {
  let t: TestApp | null = null;
  const receivers: Receiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    receivers.length = 0;
    await t?.dispose();
    t = null;
  });

  it("delivers a fast endpoint's events while ten slow receivers are still answering", async () => {
    // The receivers listen on loopback, which the operator has to allow.
    t = await createTestApp('sqlite', { allowPrivateDestinations: true });
    const app = t;
    const slow = await Promise.all(Array.from({ length: SLOW_RECEIVERS }, () => receiver(SLOW_ANSWER_MS)));
    const fast = await receiver(0);
    receivers.push(...slow, fast);
    // The slow endpoints come first, so their deliveries are older than the fast one's in every event.
    for (const r of slow) await post(app, '/v1/webhooks', { url: r.url, eventTypes: ['customer.*'] });
    const fastEndpoint = await post(app, '/v1/webhooks', { url: fast.url, eventTypes: ['customer.*'] });
    for (let i = 0; i < EVENTS; i++) await post(app, '/v1/customers', { name: `c${i}` });

    // As the server runs it: default options, a tick every second, finished sends pulling more.
    const dispatcher = app.keyward.webhooks.createDispatcher(
      httpWebhookTransport(createOutboundHttp(app.keyward.destinations)),
    );
    const started = performance.now();
    const tick = setInterval(() => void dispatcher.runOnce().catch(() => {}), 1000);
    let fastDoneAt: number | null = null;
    try {
      await dispatcher.runOnce();
      while (fastDoneAt === null) {
        const succeeded = await get(app, `/v1/webhooks/${fastEndpoint.id}/deliveries?status=succeeded`);
        if (succeeded.data.length === EVENTS) fastDoneAt = performance.now();
        else if (performance.now() - started > SLOW_ANSWER_MS * 4)
          throw new Error('the fast endpoint never got its deliveries');
        else await new Promise((done) => setTimeout(done, 20));
      }
    } finally {
      clearInterval(tick);
      await dispatcher.stop();
    }
    const firstSlowAnswer = Math.min(...slow.flatMap((r) => r.answeredAt));
    expect(fast.received).toBe(EVENTS);
    // Every fast delivery was recorded as succeeded before any slow receiver had answered even once.
    expect(fastDoneAt).toBeLessThan(firstSlowAnswer);
  });

  it('backs off from an endpoint that keeps timing out, and comes back to it', async () => {
    t = await createTestApp('sqlite', { allowPrivateDestinations: true });
    const app = t;
    const hung = await receiver('hang');
    const fast = await receiver(0);
    receivers.push(hung, fast);
    const hungEndpoint = await post(app, '/v1/webhooks', { url: hung.url, eventTypes: ['customer.*'] });
    await post(app, '/v1/webhooks', { url: fast.url, eventTypes: ['customer.*'] });
    for (let i = 0; i < 6; i++) await post(app, '/v1/customers', { name: `c${i}` });
    const dispatcher = app.keyward.webhooks.createDispatcher(
      httpWebhookTransport(createOutboundHttp(app.keyward.destinations)),
      { timeoutMs: 300 },
    );
    try {
      await dispatcher.deliverDue();
      // Two at a time reached the hung receiver and timed out; its other deliveries wait instead of each
      // costing a timeout, while the fast receiver got all of its own.
      expect(hung.received).toBe(2);
      expect(fast.received).toBe(6);
      const waiting = await get(app, `/v1/webhooks/${hungEndpoint.id}/deliveries?status=pending`);
      expect(waiting.data.filter((d: { attemptCount: number }) => d.attemptCount === 0)).toHaveLength(4);
      await dispatcher.deliverDue();
      expect(hung.received).toBe(2);
      // After the pause (30 s) it is tried again; another timeout pauses it twice as long.
      app.clock.advance(31);
      await dispatcher.deliverDue();
      expect(hung.received).toBe(4);
      app.clock.advance(31);
      await dispatcher.deliverDue();
      expect(hung.received).toBe(4);
      app.clock.advance(30);
      await dispatcher.deliverDue();
      expect(hung.received).toBe(6);
    } finally {
      await dispatcher.stop();
    }
  });
});
