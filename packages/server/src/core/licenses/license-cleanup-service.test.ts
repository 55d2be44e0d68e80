import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type KeywardStore } from '../../storage/create-store.js';
import {
  createPostgresSchemaUrl,
  createTestStore,
  postgresAvailable,
} from '../../test-support/test-store.js';
import type { Actor } from '../access/actor.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { createKeyward, type Keyward } from '../keyward.js';
import type { License } from '../model.js';
import { SecretBox } from '../signing/secrets.js';

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const HOUR = 3600;

function keywardOver(store: KeywardStore, clock: ReturnType<typeof manualClock>): Keyward {
  return createKeyward({
    store,
    clock,
    secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
    onBackgroundError: (error) => {
      throw error;
    },
  });
}

/** Licenses of every kind the sweeper must tell apart, each with a machine and data objects. */
async function seed(k: Keyward, store: KeywardStore, dueCount: number) {
  const product = await k.catalog.createProduct(actor, { name: 'Swept' });
  const policy = await k.catalog.createPolicy(actor, { productId: product.id, name: 'p', maxMachines: 0 });
  const inHours = (hours: number) => new Date(k.clock.now().getTime() + hours * HOUR * 1000);
  const make = (count: number, input: { isCleanable: boolean; expiresAt: Date | null }) =>
    k.licenses.createMany(
      actor,
      policy.id,
      Array.from({ length: count }, () => input),
    );
  const due = await make(dueCount, { isCleanable: true, expiresAt: inHours(1) });
  const undated = await make(3, { isCleanable: true, expiresAt: null });
  const notCleanable = await make(3, { isCleanable: false, expiresAt: inHours(1) });
  const notYetDue = await make(3, { isCleanable: true, expiresAt: inHours(5) });
  // Machines and data objects on a sample of the due licenses and on every other one keep seeding quick.
  const sample = due.filter((_license, index) => index % 25 === 0);
  const machineIds = new Map<number, number>();
  for (const license of [...sample, ...undated, ...notCleanable, ...notYetDue]) {
    const { machine } = await k.machines.activate(actor, license.id, { fingerprint: `m-${license.id}` });
    machineIds.set(license.id, machine.id);
    await store.dataObjects.insert({
      ownerType: 'license',
      ownerId: license.id,
      name: 'n',
      intValue: 1,
      stringValue: '',
    });
    await store.dataObjects.insert({
      ownerType: 'machine',
      ownerId: machine.id,
      name: 'n',
      intValue: 1,
      stringValue: '',
    });
  }
  return { product, due, sample, undated, notCleanable, notYetDue, machineIds };
}

async function remaining(store: KeywardStore, licenses: License[]) {
  let count = 0;
  for (const license of licenses) if (await store.licenses.findById(license.id)) count++;
  return count;
}

async function objectsOf(store: KeywardStore, licenses: License[]) {
  let count = 0;
  for (const license of licenses) {
    count += (await store.dataObjects.list({ ownerType: 'license', ownerId: license.id })).length;
  }
  return count;
}

/** Data objects of the machines the licenses had (the machines themselves go with their license). */
async function machineObjectsOf(store: KeywardStore, machineIds: Map<number, number>, licenses: License[]) {
  let count = 0;
  for (const license of licenses) {
    const machineId = machineIds.get(license.id) as number;
    count += (await store.dataObjects.list({ ownerType: 'machine', ownerId: machineId })).length;
  }
  return count;
}

describe('LicenseCleanupService on sqlite', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
  beforeAll(async () => {
    store = await createTestStore('sqlite');
    k = keywardOver(store, clock);
  });
  afterAll(() => store.dispose());

  it('deletes only cleanable licenses that are due, with their machines and data objects', async () => {
    const seeded = await seed(k, store, 450);
    expect(await k.licenseCleanup.sweep()).toBe(0);
    clock.advance(HOUR);
    // Expired ones are due now, undated ones only once they are an hour old: they are exactly that now.
    expect(await k.licenseCleanup.sweep()).toBe(453);
    expect(await remaining(store, seeded.due)).toBe(0);
    expect(await remaining(store, seeded.undated)).toBe(0);
    expect(await remaining(store, seeded.notCleanable)).toBe(3);
    expect(await remaining(store, seeded.notYetDue)).toBe(3);
    expect(await objectsOf(store, seeded.due)).toBe(0);
    expect(await objectsOf(store, seeded.notCleanable)).toBe(3);
    expect(seeded.sample.length).toBeGreaterThan(10);
    expect(await machineObjectsOf(store, seeded.machineIds, seeded.sample)).toBe(0);
    expect(await machineObjectsOf(store, seeded.machineIds, seeded.notCleanable)).toBe(3);
    const events = await store.events.list({ type: 'license.deleted' }, { before: null, limit: 1000 });
    expect(events).toHaveLength(453);
    expect(events[0]?.data).toMatchObject({ via: 'sweeper', reason: 'cleanable' });
    expect(await k.licenseCleanup.sweep()).toBe(0);
  });

  it('waits an hour after creation for cleanable licenses without an expiry', async () => {
    const product = await k.catalog.createProduct(actor, { name: 'Undated' });
    const policy = await k.catalog.createPolicy(actor, { productId: product.id, name: 'p' });
    const license = await k.licenses.create(actor, policy.id, { isCleanable: true });
    clock.advance(HOUR - 1);
    await k.licenseCleanup.sweep();
    expect(await store.licenses.findById(license.id)).not.toBeNull();
    clock.advance(1);
    await k.licenseCleanup.sweep();
    expect(await store.licenses.findById(license.id)).toBeNull();
  });
});

describe.runIf(await postgresAvailable())(
  'LicenseCleanupService on postgres, two processes sweeping at once',
  () => {
    const stores: KeywardStore[] = [];
    let drop: () => Promise<void>;
    const clock = manualClock(new Date('2030-01-01T00:00:00Z'));

    beforeAll(async () => {
      const schema = await createPostgresSchemaUrl();
      drop = schema.drop;
      for (let i = 0; i < 2; i++)
        stores.push(createStore({ kind: 'postgres', url: schema.url }, { poolSize: 4 }));
      await (stores[0] as KeywardStore).migrate();
    });
    afterAll(async () => {
      for (const store of stores) await store.close();
      await drop();
    });

    it('deletes every due license exactly once and wholly', async () => {
      const [a, b] = stores.map((store) => keywardOver(store, clock)) as [Keyward, Keyward];
      const seeded = await seed(a, stores[0] as KeywardStore, 450);
      clock.advance(HOUR);
      const counts = await Promise.all([
        a.licenseCleanup.sweep(),
        b.licenseCleanup.sweep(),
        a.licenseCleanup.sweep(),
        b.licenseCleanup.sweep(),
      ]);
      expect(counts.reduce((sum, n) => sum + n, 0)).toBe(453);
      const store = stores[0] as KeywardStore;
      expect(await remaining(store, seeded.due)).toBe(0);
      expect(await remaining(store, seeded.notCleanable)).toBe(3);
      expect(await remaining(store, seeded.notYetDue)).toBe(3);
      expect(await objectsOf(store, seeded.due)).toBe(0);
      expect(await machineObjectsOf(store, seeded.machineIds, seeded.sample)).toBe(0);
      expect(await machineObjectsOf(store, seeded.machineIds, seeded.notYetDue)).toBe(3);
      const events = await store.events.list({ type: 'license.deleted' }, { before: null, limit: 2000 });
      expect(events).toHaveLength(453);
      expect(new Set(events.map((e) => e.licenseId)).size).toBe(453);
    });
  },
);
