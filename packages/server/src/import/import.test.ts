import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { operatorPrincipal } from '../core/access/principal.js';
import { IMPORT_LEASE_MS } from '../core/imports/import-job-service.js';
import type { ImportJob, ImportKind } from '../core/imports/import-ports.js';
import {
  cryptolensProduct,
  cryptolensToken,
  type Json,
  rsaPublicKeyXml,
  testActor,
} from '../test-support/cryptolens-calls.js';
import { rowCounts } from '../test-support/row-counts.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../test-support/test-app.js';
import { testDialects } from '../test-support/test-store.js';
import { OPERATOR_STOP, startImport } from './run-import.js';

/**
 * Full imports from a second Keyward acting as the vendor: it speaks all three dialects, so each import reads
 * the same account through Cryptolens Web API 3, the LimeLM web API and the AuthTool public API.
 */

interface CryptolensClient {
  Key: { Activate(...args: unknown[]): Promise<Json> };
}
const { Key } = createRequire(import.meta.url)('cryptolens') as CryptolensClient;

const KEYS = 120;
const SPECIAL_MACHINES = ['MACHINE-A', 'MACHINE-B'];

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

let vendor: TestApp;
let vendorUrl: string;
let productId: number;
let keys: string[];
let specialKey: string;

beforeAll(async () => {
  vendor = await createTestApp('sqlite');
  vendorUrl = await listen(vendor);
  ({ productId } = await cryptolensProduct(vendor, { maxMachines: 1 }));
  const policy = (await vendor.keyward.catalog.listPolicies({ productId, after: null, limit: 10 }))[0];
  const customer = await vendor.keyward.customers.create(testActor, {
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    company: 'Engines Ltd',
  });
  const plain = await vendor.keyward.licenses.createMany(
    testActor,
    policy?.id as number,
    Array.from({ length: KEYS - 1 }, () => ({})),
  );
  const special = await vendor.keyward.licenses.create(testActor, policy?.id as number, {
    customerId: customer.id,
    email: 'ada@example.com',
    notes: 'bought in the shop',
    features: { f1: true },
    tags: ['gold'],
    overrides: { maxMachines: 3 },
  });
  specialKey = special.key;
  keys = [...plain.map((l) => l.key), special.key];
  for (const fingerprint of SPECIAL_MACHINES)
    await vendor.keyward.machines.activate(testActor, special.id, {
      fingerprint,
      name: `${fingerprint} laptop`,
    });
  await vendor.keyward.dataObjects.create(testActor, {
    ownerType: 'license',
    ownerId: special.id,
    name: 'usage',
    intValue: 5,
    stringValue: 'five',
  });
});
afterAll(() => vendor.dispose());

function requestFor(kind: ImportKind) {
  switch (kind) {
    case 'cryptolens':
      return { kind, options: { baseUrl: `${vendorUrl}/cryptolens` }, credential: TEST_ADMIN_TOKEN };
    case 'limelm':
      return { kind, options: { baseUrl: `${vendorUrl}/api/rest/` }, credential: TEST_ADMIN_TOKEN };
    case 'authtool':
      return {
        kind,
        options: { baseUrl: vendorUrl, keyList: keys.join('\n') },
        credential: TEST_ADMIN_TOKEN,
      };
    default:
      throw new Error(kind);
  }
}

async function runImport(t: TestApp, kind: ImportKind): Promise<ImportJob> {
  const { finished } = await startImport(t.keyward, requestFor(kind));
  const job = await finished;
  expect(job.error).toBeNull();
  expect(job.status).toBe('succeeded');
  return job;
}

for (const dialect of await testDialects()) {
  describe(`imports from a second Keyward (${dialect})`, () => {
    beforeEach(() => {
      vi.spyOn(console, 'log').mockImplementation(() => {});
    });

    it('imports from Cryptolens twice without duplicates; the official client then activates an imported key on its imported machine without a new seat', async () => {
      const t = await createTestApp(dialect, { allowPrivateDestinations: true });
      try {
        const first = await runImport(t, 'cryptolens');
        expect(first.counts).toMatchObject({
          products: { created: 1 },
          policies: { created: 1 },
          customers: { created: 1 },
          licenses: { created: KEYS, updated: 0, skipped: 0 },
          machines: { created: 2 },
          dataObjects: { created: 1 },
        });
        expect(first.progressDone).toBe(KEYS);
        expect(first.progressTotal).toBe(KEYS);
        const before = await rowCounts(t.store);
        const second = await runImport(t, 'cryptolens');
        expect(second.counts.licenses).toEqual({ created: 0, updated: 0, skipped: KEYS });
        expect(second.counts.machines).toEqual({ created: 0, updated: 0, skipped: 2 });
        expect(second.counts.customers).toEqual({ created: 0, updated: 0, skipped: 1 });
        const after = await rowCounts(t.store);
        expect({ ...after, events: 0 }).toEqual({ ...before, events: 0 });

        const imported = await t.keyward.licenses.getByKey(specialKey);
        expect(imported).toMatchObject({
          key: specialKey,
          productIds: [productId],
          notes: 'bought in the shop',
          email: 'ada@example.com',
          features: { f1: true },
        });
        const customer = await t.keyward.customers.get(operatorPrincipal, imported.customerId as number);
        expect(customer).toMatchObject({ name: 'Ada Lovelace', company: 'Engines Ltd' });
        const seats = await t.store.machines.listActive(imported.id);
        expect(seats.map((m) => m.fingerprint).sort()).toEqual(SPECIAL_MACHINES);

        const url = `${await listen(t)}/cryptolens`;
        const token = await cryptolensToken(t);
        const publicKey = rsaPublicKeyXml(t);
        const activated = await Key.Activate(
          token,
          publicKey,
          productId,
          specialKey,
          'MACHINE-A',
          0,
          false,
          0,
          0,
          url,
        );
        expect(activated).toMatchObject({ Key: specialKey, MaxNoOfMachines: 3, F1: true });
        expect(activated.ActivatedMachines.map((m: Json) => m.Mid).sort()).toEqual(SPECIAL_MACHINES);
        expect(await t.store.machines.listActive(imported.id)).toHaveLength(2);
        expect(activated.DataObjects).toEqual([expect.objectContaining({ Name: 'usage', IntValue: 5 })]);
        // The two imported seats count: one seat is left of three.
        await Key.Activate(token, publicKey, productId, specialKey, 'MACHINE-C', 0, false, 0, 0, url);
        await expect(
          Key.Activate(token, publicKey, productId, specialKey, 'MACHINE-D', 0, false, 0, 0, url),
        ).rejects.toThrow('Cannot activate the new device as the limit has been reached.');
      } finally {
        await t.dispose();
      }
    });

    it('imports from LimeLM twice without duplicates', async () => {
      const t = await createTestApp(dialect, { allowPrivateDestinations: true });
      try {
        const first = await runImport(t, 'limelm');
        expect(first.counts).toMatchObject({
          products: { created: 1 },
          policies: { created: 1 },
          licenses: { created: KEYS },
          machines: { created: 2 },
        });
        const before = await rowCounts(t.store);
        const second = await runImport(t, 'limelm');
        expect(second.counts.licenses).toEqual({ created: 0, updated: 0, skipped: KEYS });
        expect({ ...(await rowCounts(t.store)), events: 0 }).toEqual({ ...before, events: 0 });
        const imported = await t.keyward.licenses.getByKey(specialKey);
        expect(imported).toMatchObject({
          email: 'ada@example.com',
          tags: ['gold'],
          features: { f1: true },
          overrides: { maxMachines: 3 },
        });
        const policy = await t.keyward.catalog.getPolicy(imported.policyId);
        expect(policy.featureFields.map((f) => [f.name, f.type])).toContainEqual(['f1', 'boolean']);
        const seats = await t.store.machines.listActive(imported.id);
        expect(seats).toHaveLength(2);
        expect(seats.every((m) => m.fingerprint.startsWith('limelm-act:'))).toBe(true);
      } finally {
        await t.dispose();
      }
    });

    it('imports from AuthTool twice without duplicates, keeping device ids', async () => {
      const t = await createTestApp(dialect, { allowPrivateDestinations: true });
      try {
        const first = await runImport(t, 'authtool');
        expect(first.counts).toMatchObject({ licenses: { created: KEYS }, machines: { created: 2 } });
        const before = await rowCounts(t.store);
        const second = await runImport(t, 'authtool');
        expect(second.counts.licenses).toEqual({ created: 0, updated: 0, skipped: KEYS });
        expect({ ...(await rowCounts(t.store)), events: 0 }).toEqual({ ...before, events: 0 });
        const imported = await t.keyward.licenses.getByKey(specialKey);
        expect(imported.overrides.maxMachines).toBe(3);
        const seats = await t.store.machines.listActive(imported.id);
        expect(seats.map((m) => m.fingerprint).sort()).toEqual(SPECIAL_MACHINES);
        expect(imported.activationCount).toBe(2);
      } finally {
        await t.dispose();
      }
    });

    it('continues an interrupted CSV import where it stopped', async () => {
      const t = await createTestApp(dialect, { allowPrivateDestinations: true });
      try {
        const rows = Array.from(
          { length: 250 },
          (_, i) =>
            `CSV-${String(i).padStart(4, '0')}-KEY,Desktop app,Pro,2,,,,user${i}@example.com,,,,,seats=${i % 3};beta=true,fp-${i},`,
        );
        const csv = [
          'key,product,policy,max_machines,expires_at,created_at,suspended,email,customer,company,notes,tags,features,machines,allowed_machines',
          ...rows,
        ].join('\n');
        const stop = new AbortController();
        const first = await startImport(
          t.keyward,
          { kind: 'csv', source: 'shop-export', options: { csv }, credential: null },
          {
            signal: stop.signal,
            onProgress: ({ done }) => {
              if (done >= 100) stop.abort();
            },
          },
        );
        const interrupted = await first.finished;
        expect(interrupted).toMatchObject({ status: 'running', progressDone: 100, checkpoint: { row: 100 } });
        const resumed = await startImport(t.keyward, {
          kind: 'csv',
          source: 'shop-export',
          options: { csv },
          credential: null,
        });
        expect(resumed.resumed).toBe(true);
        expect(resumed.job.id).toBe(first.job.id);
        const done = await resumed.finished;
        expect(done.status).toBe('succeeded');
        const licenses = done.counts.licenses as { created: number; skipped: number };
        expect(licenses.created + licenses.skipped).toBe(250);
        expect(licenses.skipped).toBeLessThanOrEqual(1);
        expect((await rowCounts(t.store)).licenses).toBe(250);
        const license = await t.keyward.licenses.getByKey('CSV-0007-KEY');
        expect(license).toMatchObject({ email: 'user7@example.com', features: { seats: 1, beta: true } });
        expect((await t.store.machines.listActive(license.id)).map((m) => m.fingerprint)).toEqual(['fp-7']);
        // An operator's stop ends the job as failed; the same import then continues it all the same.
        const csv2 = csv.replaceAll('CSV-', 'OPS-');
        const halt = new AbortController();
        const stopped = await (
          await startImport(
            t.keyward,
            { kind: 'csv', source: 'operator', options: { csv: csv2 }, credential: null },
            { signal: halt.signal, onProgress: ({ done }) => done >= 100 && halt.abort(OPERATOR_STOP) },
          )
        ).finished;
        expect(stopped).toMatchObject({
          status: 'failed',
          error: 'stopped by the operator',
          checkpoint: { row: 100 },
        });
        const continued = await startImport(t.keyward, {
          kind: 'csv',
          source: 'operator',
          options: { csv: csv2 },
          credential: null,
        });
        expect(continued.resumed).toBe(true);
        expect(await continued.finished).toMatchObject({ status: 'succeeded', progressDone: 250 });
        // A third run of the same file creates nothing.
        const again = await (
          await startImport(t.keyward, {
            kind: 'csv',
            source: 'shop-export',
            options: { csv },
            credential: null,
          })
        ).finished;
        expect(again.counts.licenses).toEqual({ created: 0, updated: 0, skipped: 250 });
      } finally {
        await t.dispose();
      }
    });

    it('reruns a failed import with changed input as a new job linked to the failed one; imported keys are matched, not duplicated', async () => {
      const t = await createTestApp(dialect);
      try {
        const header = 'key,product,email';
        const rows = (badAt: number | null) =>
          Array.from({ length: 150 }, (_, i) =>
            i === badAt ? `${'X'.repeat(501)},Desktop,` : `FIX-${i}-KEY,Desktop,u${i}@example.com`,
          );
        const broken = [header, ...rows(139)].join('\n');
        const fixed = [header, ...rows(null)].join('\n');
        const csv = (text: string) => ({
          kind: 'csv' as const,
          source: 'shop',
          options: { csv: text },
          credential: null,
        });

        // Fails past its first checkpoint: rows 1-139 were written, the checkpoint is at 100.
        const first = await (await startImport(t.keyward, csv(broken))).finished;
        expect(first).toMatchObject({ status: 'failed', checkpoint: { row: 100 }, replacesJobId: null });
        expect(first.error).toContain('500 characters');
        expect((await rowCounts(t.store)).licenses).toBe(139);

        // The same input again continues the failed job (and fails the same way).
        const same = await startImport(t.keyward, csv(broken));
        expect(same).toMatchObject({ resumed: true, replaced: null });
        expect(same.job.id).toBe(first.id);
        expect(await same.finished).toMatchObject({ status: 'failed' });

        // Changed input: a new job reads it from the first row and names the job it replaces.
        const rerun = await startImport(t.keyward, csv(fixed));
        expect(rerun.resumed).toBe(false);
        expect(rerun.replaced?.id).toBe(first.id);
        expect(rerun.job).toMatchObject({ replacesJobId: first.id, checkpoint: null, progressDone: 0 });
        const done = await rerun.finished;
        expect(done).toMatchObject({ status: 'succeeded', progressDone: 150 });
        expect(done.counts.licenses).toEqual({ created: 11, updated: 0, skipped: 139 });
        expect((await rowCounts(t.store)).licenses).toBe(150);
        expect(await t.keyward.importJobs.get(first.id)).toMatchObject({
          status: 'failed',
          error: first.error,
          replacedByJobId: rerun.job.id,
        });

        // Nothing is unfinished now: the broken file again starts a new job, never the replaced one.
        const back = await startImport(t.keyward, csv(broken));
        expect(back.resumed).toBe(false);
        expect(back.replaced).toBeNull();
        expect(back.job.id).not.toBe(first.id);
        expect(await back.finished).toMatchObject({ status: 'failed' });
      } finally {
        await t.dispose();
      }
    });

    it('replaces an interrupted job whose runner stopped, and two reruns at once start one job', async () => {
      const t = await createTestApp(dialect);
      try {
        const csv = (text: string) => ({
          kind: 'csv' as const,
          source: 'crash',
          options: { csv: text },
          credential: null,
        });
        // A runner took the job and stopped without a trace (its process died): the job is running.
        const crashed = await t.keyward.importJobs.start({
          kind: 'csv',
          source: 'crash',
          options: { csv: 'key,product\nA-1,P' },
          credential: null,
        });
        await expect(startImport(t.keyward, csv('key,product\nA-1,P\nA-2,P'))).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        t.clock.advance(IMPORT_LEASE_MS / 1000 + 1);
        const [a, b] = await Promise.allSettled([
          startImport(t.keyward, csv('key,product\nA-1,P\nA-2,P')),
          startImport(t.keyward, csv('key,product\nA-1,P\nA-3,P')),
        ]);
        const started = [a, b].filter((r) => r.status === 'fulfilled');
        const refused = [a, b].filter((r) => r.status === 'rejected');
        expect(started).toHaveLength(1);
        expect(refused.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['CONFLICT']);
        const winner = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startImport>>>).value;
        expect(winner.replaced?.id).toBe(crashed.job.id);
        expect(await winner.finished).toMatchObject({ status: 'succeeded' });
        expect(await t.keyward.importJobs.get(crashed.job.id)).toMatchObject({
          status: 'failed',
          error: `replaced by import ${winner.job.id}`,
          replacedByJobId: winner.job.id,
        });
        // No server process takes the replaced job over.
        t.clock.advance(IMPORT_LEASE_MS / 1000 + 1);
        expect((await t.keyward.importJobs.listAbandoned()).map((j) => j.id)).not.toContain(crashed.job.id);
      } finally {
        await t.dispose();
      }
    });
  });
}
