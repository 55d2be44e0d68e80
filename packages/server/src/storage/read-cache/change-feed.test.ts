import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../core/access/actor.js';
import { operatorPrincipal } from '../../core/access/principal.js';
import type { LicenseWithSeats } from '../../core/licenses/license-ports.js';
import type { GuardedActivation } from '../../core/machines/machine-ports.js';
import { optimisticActivation } from '../../core/machines/optimistic-activation.js';
import type { License, Policy, Product } from '../../core/model.js';
import { aToken } from '../../test-support/domain-fixtures.js';
import { at, licenseInput, machineInput, policyInput, unique } from '../../test-support/store-inputs.js';
import { createPostgresSchemaUrl, type TestDialect, testDialects } from '../../test-support/test-store.js';
import { createStore, type KeywardStore } from '../create-store.js';
import type { DatabaseLocation } from '../database-location.js';

/**
 * Two stores on one database stand for two server processes (or a server and a command-line tool): what one
 * writes, by whatever path, the other's read cache must stop answering within 100 ms; what a store writes
 * itself, it must never answer stale once the write has returned.
 */

/** One database two stores open, as two processes would: a SQLite file, or a PostgreSQL schema. */
const SHARED_DATABASES: Record<
  TestDialect,
  () => Promise<{ location: DatabaseLocation; drop(): Promise<void> }>
> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-feed-'));
    return {
      location: { kind: 'sqlite', path: join(dir, 'keyward.sqlite') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  postgres: async () => {
    const { url, drop } = await createPostgresSchemaUrl();
    return { location: { kind: 'postgres', url }, drop };
  },
};

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

async function eventually(check: () => Promise<boolean>, withinMs = 100): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > withinMs * 20) throw new Error('never seen');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

for (const dialect of await testDialects()) {
  describe(`the read cache follows the change feed (${dialect})`, () => {
    let reader: KeywardStore;
    let writer: KeywardStore;
    let drop: () => Promise<void>;
    let policy: Policy;
    let product: Product;

    beforeAll(async () => {
      const database = await SHARED_DATABASES[dialect]();
      drop = database.drop;
      writer = createStore(database.location, { cacheEntries: 100 });
      await writer.migrate();
      reader = createStore(database.location, { cacheEntries: 100 });
      await reader.migrate();
      await eventually(async () => reader.readCache?.isLive === true, 5000);
      product = await writer.products.insert({ name: unique('feed'), code: null, createdAt: at(0) });
      policy = await writer.policies.insert(policyInput(product.id));
    });

    afterAll(async () => {
      await reader.close();
      await writer.close();
      await drop();
    });

    /**
     * A license the reader has cached. The feed's message about the writer's own inserts may still be on its
     * way and drop the first load, so it loads until the entry stays.
     */
    async function cachedLicense(changes: Partial<License> = {}): Promise<License> {
      const license = await writer.licenses.insert(licenseInput(policy, changes));
      await writer.machines.insert(machineInput(license.id, unique('fp')));
      await eventually(async () => {
        await reader.licenses.findWithSeats(license.key);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return reader.readCache?.seatsByKey(license.key) !== undefined;
      });
      return license;
    }

    const seen = (license: License, test: (found: LicenseWithSeats) => boolean) => async () => {
      const found = await reader.licenses.findWithSeats(license.key);
      return found !== null && test(found);
    };

    const cases: Array<
      [string, (license: License) => Promise<unknown>, (found: LicenseWithSeats) => boolean]
    > = [
      [
        'a revocation',
        (l) => writer.licenses.update(l.id, { revokedAt: at(5), updatedAt: at(5) }),
        (f) => f.license.revokedAt !== null,
      ],
      [
        'a suspension by a statement of its own',
        (l) => sql`update licenses set is_suspended = 1 where id = ${l.id}`.execute(writer.database.db),
        (f) => f.license.isSuspended,
      ],
      [
        'an extension',
        (l) => writer.licenses.update(l.id, { expiresAt: at(99_000), updatedAt: at(5) }),
        (f) => f.license.expiresAt?.getTime() === at(99_000).getTime(),
      ],
      [
        'a deactivation',
        async (l) => {
          const [machine] = await writer.machines.listActive(l.id);
          await writer.machines.deactivate(machine?.id as number, at(6));
        },
        (f) => f.machines.length === 0,
      ],
      [
        'an activation',
        (l) => writer.machines.insert(machineInput(l.id, unique('fp'))),
        (f) => f.machines.length === 2,
      ],
      [
        'new tags',
        (l) => writer.licenses.update(l.id, { tags: ['moved'], updatedAt: at(7) }),
        (f) => f.license.tags.includes('moved'),
      ],
    ];

    for (const [name, change, test] of cases) {
      it(`sees ${name} made by another store within 100 ms`, async () => {
        const license = await cachedLicense();
        expect(test((await reader.licenses.findWithSeats(license.key)) as LicenseWithSeats)).toBe(false);
        await change(license);
        const latency = await eventually(seen(license, test));
        expect(latency).toBeLessThan(100);
      });
    }

    it('sees a customer deleted by another store (the database sets the license’s reference to null)', async () => {
      const customer = await writer.customers.insert({
        name: 'Buyer',
        email: null,
        company: null,
        createdAt: at(0),
      });
      const license = await cachedLicense({ customerId: customer.id });
      await writer.customers.delete(customer.id);
      expect(await eventually(seen(license, (f) => f.license.customerId === null))).toBeLessThan(100);
    });

    it('sees the license’s data objects change, whichever store or statement changes them', async () => {
      const license = await cachedLicense();
      const owner = { ownerType: 'license' as const, ownerId: license.id };
      const names = async () => (await reader.dataObjects.list(owner)).map((o) => `${o.name}=${o.intValue}`);
      expect(await names()).toEqual([]);
      const object = await writer.dataObjects.insert({
        ...owner,
        name: 'uses',
        intValue: 1,
        stringValue: '',
      });
      await eventually(async () => (await names()).join() === 'uses=1');
      await writer.dataObjects.addToInt(object.id, 4, { min: null, max: null });
      await eventually(async () => (await names()).join() === 'uses=5');
      await sql`update data_objects set int_value = 9 where id = ${object.id}`.execute(writer.database.db);
      await eventually(async () => (await names()).join() === 'uses=9');
      await writer.dataObjects.delete(object.id);
      await eventually(async () => (await names()).length === 0);
      // This store's own changes, once they return.
      const own = await reader.dataObjects.insert({ ...owner, name: 'own', intValue: 1, stringValue: '' });
      expect(await names()).toEqual(['own=1']);
      await reader.dataObjects.addToInt(own.id, 1, { min: null, max: null });
      expect(await names()).toEqual(['own=2']);
      await reader.dataObjects.delete(own.id);
      expect(await names()).toEqual([]);
    });

    it('sees a policy change', async () => {
      const license = await cachedLicense();
      await writer.policies.update(policy.id, { maxMachines: 7 });
      await eventually(seen(license, (f) => f.policy?.maxMachines === 7));
    });

    it('sees a product renamed by another store, by whatever statement, and its own rename at once', async () => {
      const nameSeen = (name: string) => async () =>
        (await reader.products.findById(product.id))?.name === name;
      expect(await eventually(nameSeen(product.name))).toBeLessThan(100);
      expect(reader.readCache?.product(product.id)).toBeDefined();
      await writer.products.update(product.id, { name: 'renamed' });
      expect(await eventually(nameSeen('renamed'))).toBeLessThan(100);
      await sql`update products set name = 'by a statement' where id = ${product.id}`.execute(
        writer.database.db,
      );
      expect(await eventually(nameSeen('by a statement'))).toBeLessThan(100);
      await reader.products.update(product.id, { name: 'by the reader' });
      expect((await reader.products.findById(product.id))?.name).toBe('by the reader');
    });

    /** A license with free seats that the reader has cached, and the guarded activation of a new machine on it. */
    async function cachedActivation(
      fingerprint: string,
    ): Promise<{ license: License; write: GuardedActivation }> {
      const seated = await writer.policies.insert({ ...policyInput(product.id), maxMachines: 5 });
      const license = await cachedLicense({ policyId: seated.id, firstActivatedAt: at(1) });
      const found = await reader.licenses.findWithSeats(license.key);
      const write = optimisticActivation({ found, request: { fingerprint }, actor, now: at(10) });
      if (!write) throw new Error('a new machine on a license with free seats takes the optimistic path');
      return { license, write };
    }

    const cachedFingerprints = (license: License) =>
      reader.readCache?.seatsByKey(license.key)?.machines.map((m) => m.fingerprint);

    it('keeps a license it activated itself cached with the new machine, its own write heard back or not', async () => {
      const { license, write } = await cachedActivation('own');
      expect(await reader.atomicWrite((tx) => tx.machines.activateIfUnchanged(write))).not.toBeNull();
      const first = cachedFingerprints(license)?.[0];
      expect(cachedFingerprints(license)).toEqual([first, 'own']);
      // The feed brings the write back; it is this store's own and changes nothing.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(cachedFingerprints(license)).toEqual([first, 'own']);
      const cached = reader.readCache?.seatsByKey(license.key) as LicenseWithSeats;
      const held = await writer.transaction((tx) => tx.licenses.findWithSeatsById(license.id));
      expect(cached.license).toEqual(held?.license);
      expect(cached.machines).toEqual(held?.machines);
      // Another store's change of the same license is still heard.
      await writer.licenses.update(license.id, { notes: 'elsewhere', updatedAt: at(20) });
      await eventually(seen(license, (f) => f.license.notes === 'elsewhere'));
    });

    it('only invalidates an activation whose transaction rolled back, or that a unit of work committed', async () => {
      const undone = await cachedActivation('undone');
      await expect(
        reader.transaction(async (tx) => {
          await tx.machines.activateIfUnchanged(undone.write);
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect(reader.readCache?.seatsByKey(undone.license.key)).toBeUndefined();
      expect(await reader.licenses.findWithSeats(undone.license.key)).toMatchObject({ machines: [{}] });

      // A unit's savepoints may undo part of it unseen: what it wrote is read again.
      const inUnit = await cachedActivation('in a unit');
      const unit = reader.unitOfWork();
      await unit.run(() => reader.atomicWrite((tx) => tx.machines.activateIfUnchanged(inUnit.write)));
      await unit.commit(async () => {});
      expect(reader.readCache?.seatsByKey(inUnit.license.key)).toBeUndefined();
      expect((await reader.licenses.findWithSeats(inUnit.license.key))?.machines).toHaveLength(2);
    });

    it('keeps a license cached through validation bookkeeping', async () => {
      const license = await cachedLicense();
      await writer.licenses.touchValidated([license.id], at(50), at(0));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reader.readCache?.seatsByKey(license.key)).toBeDefined();
    });

    it('sees a token revoked by another store', async () => {
      const { id: _id, ...record } = aToken();
      const hash = unique('hash');
      const token = await writer.tokens.insert({ ...record, secretHash: hash });
      expect((await reader.tokens.findByHash(hash))?.revokedAt).toBeNull();
      expect(reader.readCache?.token(hash)).toBeDefined();
      await writer.tokens.revoke(token.id, at(8));
      await eventually(async () => (await reader.tokens.findByHash(hash))?.revokedAt !== null);
    });

    it('never answers its own write stale once the write has returned', async () => {
      const license = await writer.licenses.insert(licenseInput(policy));
      for (let round = 0; round < 20; round++) {
        await reader.licenses.findWithSeats(license.key);
        const suspended = round % 2 === 0;
        // A read outside the transaction meanwhile may cache what it sees; the commit drops it.
        await Promise.all([
          reader.transaction((tx) =>
            tx.licenses.update(license.id, { isSuspended: suspended, updatedAt: at(round) }),
          ),
          reader.licenses.findWithSeats(license.key),
        ]);
        expect((await reader.licenses.findWithSeats(license.key))?.license.isSuspended).toBe(suspended);
        await reader.machines.insert(machineInput(license.id, unique('fp')));
        expect((await reader.licenses.findWithSeats(license.key))?.machines).toHaveLength(round + 1);
      }
    });
  });
}
