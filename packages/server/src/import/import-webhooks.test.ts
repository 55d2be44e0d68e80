import { describe, expect, it } from 'vitest';
import { testActor } from '../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { testDialects } from '../test-support/test-store.js';
import { startImport } from './run-import.js';

/**
 * What webhook receivers hear of a migration: one summary per import, not one delivery per imported record,
 * unless an endpoint asks for the records.
 */

const ROWS = 200;

function csvOf(rows: number, product = 'Desktop'): string {
  return [
    'key,product,email,machines',
    ...Array.from({ length: rows }, (_, i) => `${product}-${i}-KEY,${product},u${i}@example.com,fp-${i}`),
  ].join('\n');
}

async function deliveredTypes(t: TestApp, endpointId: number): Promise<Record<string, number>> {
  const deliveries = await t.store.webhooks.listDeliveries({
    endpointId,
    status: null,
    before: null,
    limit: 100_000,
  });
  const types: Record<string, number> = {};
  for (const d of deliveries) types[d.eventType] = (types[d.eventType] ?? 0) + 1;
  return types;
}

for (const dialect of await testDialects()) {
  describe(`webhooks of an import (${dialect})`, { timeout: 120_000 }, () => {
    it('queue one summary for a default endpoint and the records only for one that opted in', async () => {
      const t = await createTestApp(dialect);
      try {
        const hook = (eventTypes: string[], more: Record<string, unknown> = {}) =>
          t.keyward.webhooks
            .create(testActor, { url: 'https://hooks.example.com/k', eventTypes, ...more })
            .then((created) => created.endpoint.id);
        const dashboardDefault = await hook(['license.*', 'machine.*']);
        const records = await hook(['license.*', 'customer.*'], { includeImportRecords: true });
        const onlyActivations = await hook(['machine.activated']);
        const summaries = await hook(['import.*']);
        // Last, so that it hears no webhook.created but its own.
        const everything = await hook(['*']);

        const job = await (
          await startImport(t.keyward, {
            kind: 'csv',
            source: 'shop',
            options: { csv: csvOf(ROWS) },
            credential: null,
          })
        ).finished;
        expect(job.status).toBe('succeeded');

        expect(await deliveredTypes(t, dashboardDefault)).toEqual({ 'import.completed': 1 });
        expect(await deliveredTypes(t, everything)).toEqual({
          'webhook.created': 1,
          'import.completed': 1,
        });
        expect(await deliveredTypes(t, summaries)).toEqual({ 'import.completed': 1 });
        expect(await deliveredTypes(t, onlyActivations)).toEqual({});
        expect(await deliveredTypes(t, records)).toEqual({
          'license.imported': ROWS,
          'customer.created': ROWS,
          'import.completed': 1,
        });

        // The summary says what happened, and the event log still holds every record.
        const [summary] = await t.store.events.list(
          { type: 'import.completed' },
          { before: null, limit: 10 },
        );
        expect(summary?.data).toMatchObject({
          via: 'import:csv',
          importId: job.id,
          kind: 'csv',
          source: 'shop',
          status: 'succeeded',
          error: null,
          counts: { licenses: { created: ROWS, updated: 0, skipped: 0 } },
          recordTypes: ['customer.created', 'license.imported', 'policy.created', 'product.created'],
        });
        expect(summary?.data.productIds).toHaveLength(1);

        // Activity after the import is no import record: a default endpoint hears it as before.
        const license = await t.keyward.licenses.getByKey('Desktop-7-KEY');
        await t.keyward.licenses.suspend(testActor, license.id);
        expect(await deliveredTypes(t, dashboardDefault)).toEqual({
          'import.completed': 1,
          'license.suspended': 1,
        });
      } finally {
        await t.dispose();
      }
    });

    it('send a failed import as import.failed, and a summary only to endpoints of its products', async () => {
      const t = await createTestApp(dialect);
      try {
        const other = await t.keyward.catalog.createProduct(testActor, { name: 'Other' });
        const otherProduct = await t.keyward.webhooks.create(testActor, {
          url: 'https://hooks.example.com/o',
          eventTypes: ['license.*'],
          productIds: [other.id],
        });
        const all = await t.keyward.webhooks.create(testActor, {
          url: 'https://hooks.example.com/a',
          eventTypes: ['license.*'],
        });
        const broken = `${csvOf(150)}\n${'X'.repeat(501)},Desktop,,`;
        const job = await (
          await startImport(t.keyward, {
            kind: 'csv',
            source: 'shop',
            options: { csv: broken },
            credential: null,
          })
        ).finished;
        expect(job.status).toBe('failed');
        expect(await deliveredTypes(t, all.endpoint.id)).toEqual({ 'import.failed': 1 });
        expect(await deliveredTypes(t, otherProduct.endpoint.id)).toEqual({});
      } finally {
        await t.dispose();
      }
    });
  });
}
