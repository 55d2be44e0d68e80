import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type KeywardStore } from '../../storage/create-store.js';
import {
  createPostgresSchemaUrl,
  createTestStore,
  postgresAvailable,
  type TestDialect,
  testDialects,
} from '../../test-support/test-store.js';
import type { Actor } from '../access/actor.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { createKeyward, type Keyward } from '../keyward.js';
import type { Machine } from '../model.js';
import { SecretBox } from '../signing/secrets.js';

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const LEASE_SECONDS = 30;

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

/** `count` floating licenses with two seats, each holding one 30 s lease and one node-locked machine. */
async function seed(k: Keyward, count: number) {
  const product = await k.catalog.createProduct(actor, { name: 'Floating' });
  const policy = await k.catalog.createPolicy(actor, {
    productId: product.id,
    name: 'floating',
    maxMachines: 2,
    isFloating: true,
    leaseSeconds: LEASE_SECONDS,
  });
  const leases: Machine[] = [];
  const nodeLocked: Machine[] = [];
  for (let i = 0; i < count; i++) {
    const license = await k.licenses.create(actor, policy.id, {});
    leases.push((await k.machines.activate(actor, license.id, { fingerprint: `lease-${i}` })).machine);
    nodeLocked.push(
      (await k.machines.activate(actor, license.id, { fingerprint: `desk-${i}`, lease: null })).machine,
    );
  }
  return { product, policy, leases, nodeLocked };
}

async function lapsedEvents(store: KeywardStore) {
  return store.events.list({ type: 'machine.lease_expired' }, { before: null, limit: 10_000 });
}

describe.each(await testDialects())('LeaseSweepService on %s', (dialect: TestDialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
  beforeAll(async () => {
    store = await createTestStore(dialect);
    k = keywardOver(store, clock);
  });
  // Pending bookkeeping is written before the store closes, never after.
  afterAll(async () => {
    await k.bookkeeping.flush();
    await store.dispose();
  });
  // Each test starts with nothing left to sweep from the ones before.
  beforeEach(async () => {
    clock.advance(86_400);
    await k.leaseSweep.sweep();
  });

  it('frees a lapsed lease and announces it once, leaving running leases and node-locked seats alone', async () => {
    const { leases, nodeLocked } = await seed(k, 3);
    const [first] = leases as [Machine];
    expect(await k.leaseSweep.sweep()).toBe(0);
    clock.advance(LEASE_SECONDS - 1);
    // A heartbeat keeps the first lease running; the others lapse a second later.
    await k.machines.heartbeat(actor, first.id);
    clock.advance(1);
    expect(await k.leaseSweep.sweep()).toBe(2);

    const events = await lapsedEvents(store);
    expect(events.map((e) => e.machineId).sort()).toEqual(
      leases
        .slice(1)
        .map((m) => m.id)
        .sort(),
    );
    for (const event of events) {
      expect(event.data).toMatchObject({ via: 'sweeper' });
      expect(event.productId).not.toBeNull();
      expect(event.licenseId).not.toBeNull();
    }
    for (const machine of leases.slice(1)) {
      const swept = (await store.machines.findById(machine.id)) as Machine;
      // Freed at the instant its lease ran out, as reclaiming on the next activation records it.
      expect(swept.deactivatedAt).toEqual(machine.leaseExpiresAt);
    }
    const listed = await k.machines.list(operatorPrincipal, {
      licenseId: null,
      includeDeactivated: false,
      after: null,
      limit: 100,
    });
    expect(listed.map((m) => m.id).sort()).toEqual([first.id, ...nodeLocked.map((m) => m.id)].sort());

    // Swept once: a second sweep and the license's next activation announce nothing more.
    expect(await k.leaseSweep.sweep()).toBe(0);
    const second = leases[1] as Machine;
    await k.machines.activate(actor, second.licenseId, { fingerprint: 'newcomer' });
    expect(await lapsedEvents(store)).toHaveLength(2);
  });

  it('announces a lease reclaimed by an activation before the sweep once, not again when sweeping', async () => {
    const { leases } = await seed(k, 1);
    const before = (await lapsedEvents(store)).length;
    clock.advance(LEASE_SECONDS);
    const lease = leases[0] as Machine;
    await k.machines.activate(actor, lease.licenseId, { fingerprint: 'takes-the-seat' });
    expect(await k.leaseSweep.sweep()).toBe(0);
    const events = await lapsedEvents(store);
    expect(events).toHaveLength(before + 1);
    expect(events[0]?.machineId).toBe(lease.id);
  });

  it('still lets a lapsed machine answer LEASE_EXPIRED and take a seat again by heartbeat', async () => {
    const { leases } = await seed(k, 1);
    const lease = leases[0] as Machine;
    clock.advance(LEASE_SECONDS + 5);
    expect(await k.leaseSweep.sweep()).toBe(1);
    const license = await k.licenses.get(lease.licenseId);
    const validation = await k.validation.validateLicense(actor, license, { fingerprint: lease.fingerprint });
    expect(validation.outcome.code).toBe('LEASE_EXPIRED');
    // As before the sweep: a late heartbeat takes a seat again when one is free.
    const revived = await k.machines.heartbeat(actor, lease.id);
    expect(revived.deactivatedAt).toBeNull();
    expect(revived.fingerprint).toBe(lease.fingerprint);
    const again = await k.validation.validateLicense(actor, license, { fingerprint: lease.fingerprint });
    expect(again.outcome.code).toBe('VALID');
  });

  it('sweeps more lapsed leases than one batch holds', async () => {
    const { leases } = await seed(k, 230);
    const before = (await lapsedEvents(store)).length;
    clock.advance(LEASE_SECONDS);
    expect(await k.leaseSweep.sweep()).toBe(230);
    const events = await lapsedEvents(store);
    expect(events).toHaveLength(before + 230);
    const ids = new Set(leases.map((m) => m.id));
    expect(events.filter((e) => ids.has(e.machineId as number))).toHaveLength(230);
  }, 60_000);
});

describe.runIf(await postgresAvailable())(
  'LeaseSweepService on postgres, two processes sweeping at once',
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
    const keywards: Keyward[] = [];
    afterAll(async () => {
      for (const k of keywards) await k.bookkeeping.flush();
      for (const store of stores) await store.close();
      await drop();
    });

    it('announces every lapsed lease exactly once', async () => {
      const [a, b] = stores.map((store) => keywardOver(store, clock)) as [Keyward, Keyward];
      keywards.push(a, b);
      const { leases } = await seed(a, 250);
      clock.advance(LEASE_SECONDS);
      // Activations on some of the licenses reclaim their lapsed leases while the sweeps run.
      const reclaiming = leases
        .filter((_m, i) => i % 10 === 0)
        .map((m) => b.machines.activate(actor, m.licenseId, { fingerprint: `late-${m.id}` }));
      const counts = await Promise.all([
        a.leaseSweep.sweep(),
        b.leaseSweep.sweep(),
        a.leaseSweep.sweep(),
        b.leaseSweep.sweep(),
        ...reclaiming,
      ]);
      const swept = (counts.slice(0, 4) as number[]).reduce((sum, n) => sum + n, 0);
      expect(swept).toBeGreaterThanOrEqual(225);
      expect(swept).toBeLessThanOrEqual(250);
      const events = await lapsedEvents(stores[0] as KeywardStore);
      expect(events).toHaveLength(250);
      expect(new Set(events.map((e) => e.machineId)).size).toBe(250);
      const live = await a.machines.list(operatorPrincipal, {
        licenseId: null,
        includeDeactivated: false,
        after: null,
        limit: 10_000,
      });
      expect(live.filter((m) => m.fingerprint.startsWith('lease-'))).toEqual([]);
    }, 120_000);
  },
);

describe('LeaseSweepService on sqlite, two connections to one file', () => {
  it('announces every lapsed lease exactly once', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'lease-sweep-'));
    const path = join(dir, 'keyward.sqlite');
    const stores = [createStore({ kind: 'sqlite', path }), createStore({ kind: 'sqlite', path })];
    const keywards: Keyward[] = [];
    try {
      await (stores[0] as KeywardStore).migrate();
      const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
      const [a, b] = stores.map((store) => keywardOver(store, clock)) as [Keyward, Keyward];
      keywards.push(a, b);
      await seed(a, 120);
      clock.advance(LEASE_SECONDS);
      const counts = await Promise.all([a.leaseSweep.sweep(), b.leaseSweep.sweep()]);
      expect(counts[0] + counts[1]).toBe(120);
      const events = await lapsedEvents(stores[0] as KeywardStore);
      expect(events).toHaveLength(120);
      expect(new Set(events.map((e) => e.machineId)).size).toBe(120);
    } finally {
      for (const k of keywards) await k.bookkeeping.flush();
      for (const store of stores) await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
