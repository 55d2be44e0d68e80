import { describe, expect, it } from 'vitest';
import { createStore } from '../../storage/create-store.js';
import { createPostgresSchemaUrl, createTestStore, testDialects } from '../../test-support/test-store.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { createKeyward } from '../keyward.js';
import { SecretBox } from '../signing/secrets.js';
import type { WebhookTransport } from './webhook-dispatcher.js';
import { endpointWants } from './webhook-event-filter.js';
import { nextRetryAt, RETRY_WINDOW_SECONDS } from './webhook-retry.js';

const actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const secretBox = new SecretBox('test-secret-that-is-long-enough-0123456789');

const importRecord = { type: 'license.imported', productId: 1, data: { via: 'import:csv' } };
const summary = {
  type: 'import.completed',
  productId: null,
  data: { via: 'import:csv', recordTypes: ['customer.created', 'license.imported'], productIds: [1, 2] },
};

describe('endpointWants', () => {
  const endpoint = (eventTypes: string[], productIds: number[] = [], isEnabled = true) => ({
    eventTypes,
    productIds,
    isEnabled,
  });
  it.each([
    ['an exact type', endpoint(['license.created']), { type: 'license.created', productId: 1 }, true],
    ['another type', endpoint(['license.created']), { type: 'license.revoked', productId: 1 }, false],
    ['a group pattern', endpoint(['machine.*']), { type: 'machine.lease_expired', productId: 1 }, true],
    [
      'a group pattern is no prefix of another group',
      endpoint(['machine.*']),
      { type: 'machines.x', productId: 1 },
      false,
    ],
    ['everything', endpoint(['*']), { type: 'customer.created', productId: null }, true],
    ['its product', endpoint(['*'], [1]), { type: 'license.created', productId: 1 }, true],
    ['another product', endpoint(['*'], [1]), { type: 'license.created', productId: 2 }, false],
    [
      'no product when products are named',
      endpoint(['*'], [1]),
      { type: 'customer.created', productId: null },
      false,
    ],
    ['a disabled endpoint', endpoint(['*'], [], false), { type: 'license.created', productId: 1 }, false],
    ['an import record', endpoint(['*']), importRecord, false],
    [
      'an import record to an endpoint that takes them',
      { ...endpoint(['*']), includeImportRecords: true },
      importRecord,
      true,
    ],
    [
      'an import record of another type',
      { ...endpoint(['machine.*']), includeImportRecords: true },
      importRecord,
      false,
    ],
    [
      'the same type from elsewhere',
      endpoint(['license.*']),
      { ...importRecord, data: { via: 'native' } },
      true,
    ],
    ['an import summary to an endpoint of its records', endpoint(['license.*']), summary, true],
    ['an import summary to an endpoint of imports', endpoint(['import.*']), summary, true],
    ['an import summary to an endpoint of other records', endpoint(['machine.*']), summary, false],
    ['an import summary to an endpoint of its product', endpoint(['license.*'], [2]), summary, true],
    ['an import summary to an endpoint of another product', endpoint(['license.*'], [3]), summary, false],
    ['an import summary whose records are named exactly', endpoint(['customer.created']), summary, true],
  ])('%s', (_name, e, event, expected) => {
    expect(endpointWants(e, event)).toBe(expected);
  });
});

describe('nextRetryAt', () => {
  const start = new Date('2030-01-01T00:00:00Z');
  it('doubles from 30 s up to 3 h and stops after a day', () => {
    const noJitter = () => 0;
    expect(nextRetryAt(1, start, start, noJitter)?.getTime()).toBe(start.getTime() + 30_000);
    expect(nextRetryAt(2, start, start, noJitter)?.getTime()).toBe(start.getTime() + 60_000);
    expect(nextRetryAt(20, start, start, noJitter)?.getTime()).toBe(start.getTime() + 3 * 3600_000);
    const late = new Date(start.getTime() + (RETRY_WINDOW_SECONDS - 60) * 1000);
    expect(nextRetryAt(20, start, late, noJitter)?.getTime()).toBe(
      start.getTime() + RETRY_WINDOW_SECONDS * 1000,
    );
    expect(
      nextRetryAt(21, start, new Date(start.getTime() + RETRY_WINDOW_SECONDS * 1000), noJitter),
    ).toBeNull();
    expect(nextRetryAt(1, start, start, () => 0.999)?.getTime()).toBeLessThanOrEqual(
      start.getTime() + 33_000,
    );
  });
});

/** Records what it was asked to send, answering after a short delay. */
function countingTransport(): WebhookTransport & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    async post(_url, headers) {
      await new Promise((done) => setTimeout(done, 2));
      sent.push(headers['keyward-delivery'] as string);
      return { statusCode: 200, body: 'ok' };
    },
  };
}

describe('webhook dispatchers racing', async () => {
  const dialects = await testDialects();
  it.runIf(dialects.includes('postgres'))(
    'send each delivery once from separate pools (PostgreSQL, SKIP LOCKED)',
    async () => {
      const { url, drop } = await createPostgresSchemaUrl();
      const stores = [0, 1, 2].map(() => createStore({ kind: 'postgres', url }, { poolSize: 3 }));
      try {
        await (stores[0] as (typeof stores)[0]).migrate();
        const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
        const keywards = stores.map((store) =>
          createKeyward({
            store,
            clock,
            secretBox,
            onBackgroundError: (e) => {
              throw e;
            },
          }),
        );
        const [k] = keywards as [(typeof keywards)[0]];
        await k.webhooks.create(actor, {
          url: 'https://hooks.example.com/x',
          eventTypes: ['customer.created'],
        });
        for (let i = 0; i < 150; i++) await k.customers.create(actor, { name: `c${i}` });
        const transports = keywards.map(() => countingTransport());
        const dispatchers = keywards.map((kw, i) =>
          kw.webhooks.createDispatcher(transports[i] as WebhookTransport, { concurrency: 4 }),
        );
        await Promise.all(dispatchers.map((d) => d.deliverDue()));
        await Promise.all(dispatchers.map((d) => d.deliverDue()));
        const all = transports.flatMap((t) => t.sent);
        expect(all).toHaveLength(150);
        expect(new Set(all).size).toBe(150);
        expect(transports.filter((t) => t.sent.length > 0).length).toBeGreaterThan(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await drop();
      }
    },
  );

  for (const dialect of dialects) {
    it(`leaves a delivery whose lease another dispatcher holds (${dialect})`, async () => {
      const store = await createTestStore(dialect);
      try {
        const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
        const kw = createKeyward({
          store,
          clock,
          secretBox,
          onBackgroundError: (e) => {
            throw e;
          },
        });
        await kw.webhooks.create(actor, {
          url: 'https://hooks.example.com/x',
          eventTypes: ['customer.created'],
        });
        await kw.customers.create(actor, { name: 'c' });
        const now = clock.now();
        const taken = await store.transaction((tx) =>
          tx.webhooks.claimDue({
            now,
            owner: 'crashed',
            leaseUntil: new Date(now.getTime() + 70_000),
            limit: 10,
          }),
        );
        expect(taken).toHaveLength(1);
        const transport = countingTransport();
        const dispatcher = kw.webhooks.createDispatcher(transport);
        await dispatcher.deliverDue();
        expect(transport.sent).toHaveLength(0);
        // The process holding it died: once its lease runs out, another process sends it.
        clock.advance(71);
        await dispatcher.deliverDue();
        expect(transport.sent).toHaveLength(1);
        // The crashed owner can no longer record an outcome for it.
        expect(
          await store.webhooks.completeAttempt({
            deliveryId: Number(transport.sent[0]),
            owner: 'crashed',
            attempt: { attemptedAt: now, statusCode: 500, error: null, responseExcerpt: null, durationMs: 1 },
            outcome: {
              status: 'failed',
              nextAttemptAt: now,
              lastStatusCode: 500,
              lastError: 'x',
              deliveredAt: null,
            },
          }),
        ).toBe(false);
        expect((await store.webhooks.findDelivery(Number(transport.sent[0])))?.status).toBe('succeeded');
      } finally {
        await store.dispose();
      }
    });
  }
});
