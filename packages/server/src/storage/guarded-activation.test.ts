import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import type { PolicyInput } from '../core/catalog/catalog-service.js';
import { manualClock } from '../core/clock.js';
import { isDomainError } from '../core/domain-error.js';
import { createKeyward, type Keyward } from '../core/keyward.js';
import type { LicenseWithSeats } from '../core/licenses/license-ports.js';
import { versionOf } from '../core/machines/license-version.js';
import type { GuardedActivation } from '../core/machines/machine-ports.js';
import { optimisticActivation } from '../core/machines/optimistic-activation.js';
import type { License, Machine } from '../core/model.js';
import type { Repositories, Store } from '../core/ports.js';
import { SecretBox } from '../core/signing/secrets.js';
import { createTestStore, type TestDialect, testDialects } from '../test-support/test-store.js';
import { atomicWriteRunsAlone } from './atomic-write-runs-alone.js';

/**
 * The optimistic activation (core/machines/optimistic-activation.ts) through the real store: a new machine is
 * recorded by one unlocked read and one guarded write (machines.activateIfUnchanged), which writes nothing
 * when the license changed since the read; the locked path then decides. Limits stay exact under parallel
 * bursts, a change between the read and the write sends the activation to the locked path, and on PostgreSQL
 * the activation is two statements.
 */

const POOL_SIZE = 16;
const PARALLEL = 100;
const NOW = new Date('2026-05-01T12:00:00.000Z');
const actor: Actor = { tokenId: null, ip: '192.0.2.10', via: 'test', principal: operatorPrincipal };

/** What the store saw of optimistic activations: each guarded write's outcome. */
interface Observed {
  written: number;
  refused: number;
  /** Runs once, right after the next read an optimistic activation decides on. */
  afterNextRead: (() => Promise<void>) | null;
}

/** The store as the services see it, observing guarded writes and able to act between a read and its write. */
function observedStore(store: Store, observed: Observed): Store {
  const observedRepositories = (tx: Repositories): Repositories => ({
    ...tx,
    licenses: {
      ...tx.licenses,
      async findWithSeatsById(id) {
        const found = await tx.licenses.findWithSeatsById(id);
        const between = observed.afterNextRead;
        observed.afterNextRead = null;
        await between?.();
        return found;
      },
    },
    machines: {
      ...tx.machines,
      async activateIfUnchanged(input) {
        const written = await tx.machines.activateIfUnchanged(input);
        if (written) observed.written += 1;
        else observed.refused += 1;
        return written;
      },
    },
  });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'atomicWrite') {
        return <T>(work: (tx: Repositories) => Promise<T>) =>
          target.atomicWrite((tx) => work(observedRepositories(tx)));
      }
      return Reflect.get(target, property, target);
    },
  });
}

const dialects: TestDialect[] = await testDialects();

/** Whether a write can come between the optimistic read and the guarded write, asked of each store's adapter. */
const HAS_A_WINDOW = new Map(
  await Promise.all(
    dialects.map(async (dialect) => {
      const probe = await createTestStore(dialect);
      const { adapter } = probe.database;
      await probe.dispose();
      return [dialect, atomicWriteRunsAlone(adapter) || !adapter.transactionTakesTheWholeDatabase] as const;
    }),
  ),
);

describe.each(dialects)('optimistic activation on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let keyward: Keyward;
  const clock = manualClock(NOW);
  const observed: Observed = { written: 0, refused: 0, afterNextRead: null };

  beforeAll(async () => {
    store = await createTestStore(dialect, { poolSize: POOL_SIZE });
    keyward = createKeyward({
      store: observedStore(store, observed),
      clock,
      secretBox: new SecretBox('guarded-activation-test-secret-long-enough-0123'),
      onBackgroundError: (error) => {
        throw error;
      },
      bookkeepingIntervalMs: 10,
    });
  });
  afterAll(async () => {
    await keyward?.bookkeeping.flush();
    await store?.dispose();
  });

  const reset = () => {
    observed.written = 0;
    observed.refused = 0;
    observed.afterNextRead = null;
    clock.set(NOW);
  };

  /**
   * Whether another write can come between the optimistic read and the guarded write, as the store decides it:
   * where the atomic write runs as a transaction that takes the whole database (SQLite), the read and the
   * guarded write run in one member of the group commit and no other write comes between them (a change made
   * there would wait for that member). The races below exist only where there is a window, and are defined
   * only there; a read the read cache answers from before another process's write is covered on both.
   */
  const itWithAWindow = (name: string, test: () => Promise<void>) => {
    if (HAS_A_WINDOW.get(dialect)) it(name, test);
  };

  /** A license of its own policy with a first machine: its first activation went the locked path already. */
  async function licenseWithAMachine(policy: PolicyInput = { maxMachines: 5 }) {
    const product = await keyward.catalog.createProduct(actor, { name: 'Guarded' });
    const created = await keyward.catalog.createPolicy(actor, {
      productId: product.id,
      name: 'p',
      ...policy,
    });
    const license = await keyward.licenses.create(actor, created.id, {});
    await keyward.machines.activate(actor, license.id, { fingerprint: 'first' });
    reset();
    return { license, productId: product.id };
  }

  async function eventsOf(type: string, licenseId: number) {
    await keyward.bookkeeping.flush();
    return store.events.list({ type, licenseId }, { before: null, limit: 1000 });
  }

  const rejection = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => null,
      (reason: unknown) => reason,
    );
    return isDomainError(error) ? error.code : error;
  };

  it('records a new machine, its count, its event and its webhook deliveries in the guarded write', async () => {
    const { license, productId } = await licenseWithAMachine();
    const endpoint = (productIds: number[], eventTypes: string[]) =>
      store.webhooks.insertEndpoint({
        url: 'https://hooks.example/activations',
        description: null,
        eventTypes,
        productIds,
        isEnabled: true,
        sealedSecret: 'sealed',
        createdAt: NOW,
        updatedAt: NOW,
      });
    const wanting = await endpoint([productId], ['machine.*']);
    const otherProduct = await endpoint([productId + 1000], ['*']);
    const otherType = await endpoint([], ['license.*']);

    clock.advance(1);
    const result = await keyward.machines.activate(actor, license.id, {
      fingerprint: 'second',
      name: 'Desk',
    });
    expect(observed).toMatchObject({ written: 1, refused: 0 });
    expect(result.isNew).toBe(true);
    expect(result.machine).toEqual(await store.machines.findById(result.machine.id));
    expect(result.machine).toMatchObject({ fingerprint: 'second', name: 'Desk', licenseId: license.id });
    expect(result.license).toEqual(await store.licenses.findById(license.id));
    expect(result.license).toMatchObject({ activationCount: 2, updatedAt: clock.now() });

    const [event, first] = await eventsOf('machine.activated', license.id);
    expect(event).toMatchObject({
      productId,
      machineId: result.machine.id,
      tokenId: null,
      ip: actor.ip,
      createdAt: clock.now(),
      data: { via: 'test', isNew: true, fingerprint: 'second', isOverdraft: false },
    });
    // The first machine's event, written by the locked path, has the same shape.
    expect(Object.keys(first?.data ?? {})).toEqual(Object.keys(event?.data ?? {}));
    const deliveries = await store.database.db
      .selectFrom('webhook_deliveries')
      .select(['endpoint_id', 'event_type', 'status', 'next_attempt_at'])
      .where('event_id', '=', event?.id as number)
      .execute();
    expect(deliveries).toEqual([
      {
        endpoint_id: wanting.id,
        event_type: 'machine.activated',
        status: 'pending',
        next_attempt_at: clock.now().getTime(),
      },
    ]);
    for (const { id } of [wanting, otherProduct, otherType]) await store.webhooks.deleteEndpoint(id);
  });

  it(`admits exactly the free seats to ${PARALLEL} parallel activations`, async () => {
    const { license } = await licenseWithAMachine({ maxMachines: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: PARALLEL }, (_, i) =>
        keyward.machines.activate(actor, license.id, { fingerprint: `machine-${i}` }),
      ),
    );
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [r.reason.code] : []));
    expect(admitted).toHaveLength(4);
    expect(new Set(codes)).toEqual(new Set(['MACHINE_LIMIT_REACHED']));
    // Some took the guarded write; the others went the locked path, having read a full license or found that
    // it changed since they read it.
    expect(observed.written).toBeGreaterThan(0);
    expect(await store.machines.listActive(license.id)).toHaveLength(5);
    expect((await store.licenses.findById(license.id))?.activationCount).toBe(5);
    expect(await eventsOf('machine.activated', license.id)).toHaveLength(5);
    expect(await eventsOf('machine.activation_refused', license.id)).toHaveLength(PARALLEL - 4);
  });

  it('hands out exactly the floating leases and their overdraft to parallel activations', async () => {
    const { license } = await licenseWithAMachine({
      maxMachines: 5,
      isFloating: true,
      leaseSeconds: 600,
      maxOverdraft: 2,
    });
    const results = await Promise.allSettled(
      Array.from({ length: PARALLEL }, (_, i) =>
        keyward.machines.activate(actor, license.id, { fingerprint: `floating-${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
    expect(observed.written).toBeGreaterThan(0);
    const active = await store.machines.listActive(license.id);
    expect(active).toHaveLength(7);
    expect(active.filter((m) => m.isOverdraft)).toHaveLength(2);
  });

  itWithAWindow(
    'goes the locked path when the license is suspended between the read and the write',
    async () => {
      const { license } = await licenseWithAMachine();
      observed.afterNextRead = async () => {
        await keyward.licenses.suspend(actor, license.id);
      };
      expect(await rejection(keyward.machines.activate(actor, license.id, { fingerprint: 'late' }))).toBe(
        'LICENSE_SUSPENDED',
      );
      expect(observed).toMatchObject({ written: 0, refused: 1 });
      expect(await store.machines.listActive(license.id)).toHaveLength(1);
      expect(await eventsOf('machine.activation_refused', license.id)).toHaveLength(1);
    },
  );

  itWithAWindow(
    'goes the locked path when another activation takes the last seat between the read and the write',
    async () => {
      const { license } = await licenseWithAMachine({ maxMachines: 2 });
      observed.afterNextRead = async () => {
        await keyward.machines.activate(actor, license.id, { fingerprint: 'quicker' });
      };
      expect(await rejection(keyward.machines.activate(actor, license.id, { fingerprint: 'slower' }))).toBe(
        'MACHINE_LIMIT_REACHED',
      );
      // The quicker one took the guarded write; the slower one found the count changed.
      expect(observed).toMatchObject({ written: 1, refused: 1 });
      expect((await store.machines.listActive(license.id)).map((m) => m.fingerprint)).toEqual([
        'first',
        'quicker',
      ]);
    },
  );

  itWithAWindow(
    'goes the locked path when a heartbeat revives a lapsed lease between the read and the write',
    async () => {
      const { license } = await licenseWithAMachine({ maxMachines: 1, isFloating: true, leaseSeconds: 60 });
      const [lapsing] = await store.machines.listActive(license.id);
      clock.advance(120);
      // The sweep frees the lapsed lease: the seat is free until the machine's heartbeat takes it back.
      expect(await keyward.leaseSweep.sweep()).toBe(1);
      observed.afterNextRead = async () => {
        await keyward.machines.heartbeat(actor, lapsing?.id as number);
      };
      expect(await rejection(keyward.machines.activate(actor, license.id, { fingerprint: 'newcomer' }))).toBe(
        'MACHINE_LIMIT_REACHED',
      );
      expect(observed).toMatchObject({ written: 0, refused: 1 });
      expect((await store.machines.listActive(license.id)).map((m) => m.fingerprint)).toEqual(['first']);
    },
  );

  it('writes nothing when any part of the version read has changed', async () => {
    const { license } = await licenseWithAMachine();
    const read = await store.licenses.findWithSeatsById(license.id);
    const write = optimisticActivation({ found: read, request: { fingerprint: 'guarded' }, actor, now: NOW });
    if (!write) throw new Error('a new machine on a license with free seats takes the optimistic path');
    const current = versionOf(read?.license as License);
    const stale: GuardedActivation['expected'][] = [
      { ...current, activationCount: current.activationCount - 1 },
      { ...current, resetCount: current.resetCount + 1 },
      { ...current, updatedAt: new Date(current.updatedAt.getTime() - 1) },
    ];
    for (const expected of stale) {
      expect(
        await store.atomicWrite((tx) => tx.machines.activateIfUnchanged({ ...write, expected })),
      ).toBeNull();
    }
    expect(await store.machines.listActive(license.id)).toHaveLength(1);
    expect(await eventsOf('machine.activated', license.id)).toHaveLength(1);
    expect(await store.atomicWrite((tx) => tx.machines.activateIfUnchanged(write))).not.toBeNull();
    expect(await store.machines.listActive(license.id)).toHaveLength(2);
  });

  it('decides on what the read cache holds, and leaves a stale entry to the guard and the locked path', async () => {
    const { license } = await licenseWithAMachine({ maxMachines: 2 });
    const cache = store.readCache;
    if (!cache) throw new Error('the test store keeps a read cache');
    const before = (await store.licenses.findWithSeatsById(license.id)) as LicenseWithSeats;
    // Another process takes the last seat; this one has not heard of it yet (its change feed would tell it
    // within milliseconds): its cache still holds the license as read before.
    const { id: _first, ...taken } = before.machines[0] as Machine;
    await store.transaction(async (tx) => {
      await tx.machines.insert({ ...taken, fingerprint: 'elsewhere' });
      await tx.licenses.update(license.id, {
        activationCount: before.license.activationCount + 1,
        updatedAt: new Date(before.license.updatedAt.getTime() + 1),
      });
    });
    cache.storeSeats(cache.ticket(), before);
    expect(await rejection(keyward.machines.activate(actor, license.id, { fingerprint: 'third' }))).toBe(
      'MACHINE_LIMIT_REACHED',
    );
    // The optimistic path decided on the cached read, so its guarded write was tried and refused.
    expect(observed).toMatchObject({ written: 0, refused: 1 });
    // What the database holds (the stale entry stays until the other process's change reaches this one).
    const held = await store.transaction((tx) => tx.machines.listActive(license.id));
    expect(held.map((m) => m.fingerprint).sort()).toEqual(['elsewhere', 'first']);
  });

  it('commits or undoes the guarded write with the unit of work it runs in', async () => {
    const { license } = await licenseWithAMachine();
    const undone = store.unitOfWork();
    await undone.run(() => keyward.machines.activate(actor, license.id, { fingerprint: 'undone' }));
    await undone.rollback();
    expect(observed.written).toBe(1);
    expect(await store.machines.listActive(license.id)).toHaveLength(1);

    const kept = store.unitOfWork();
    await kept.run(() => keyward.machines.activate(actor, license.id, { fingerprint: 'kept' }));
    await kept.commit(async () => {});
    expect(observed.written).toBe(2);
    expect((await store.machines.listActive(license.id)).map((m) => m.fingerprint)).toEqual([
      'first',
      'kept',
    ]);
  });
});

describe.runIf(dialects.includes('postgres'))(
  'optimistic activation on PostgreSQL, statement by statement',
  () => {
    let store: Awaited<ReturnType<typeof createTestStore>>;
    let keyward: Keyward;

    beforeAll(async () => {
      store = await createTestStore('postgres', { poolSize: 4 });
      keyward = createKeyward({
        store,
        clock: manualClock(NOW),
        secretBox: new SecretBox('guarded-activation-test-secret-long-enough-0123'),
        onBackgroundError: (error) => {
          throw error;
        },
        bookkeepingIntervalMs: 10,
      });
    });
    afterAll(async () => {
      await keyward?.bookkeeping.flush();
      await store?.dispose();
    });

    async function aLicense() {
      const product = await keyward.catalog.createProduct(actor, { name: 'Counted' });
      const policy = await keyward.catalog.createPolicy(actor, {
        productId: product.id,
        name: 'p',
        maxMachines: 5,
      });
      return keyward.licenses.create(actor, policy.id, {});
    }

    /**
     * The statements every connection of this process sends while `work` runs (BEGIN and COMMIT included), and
     * whether each went as a prepared (named) statement.
     */
    async function statementsOf(
      work: () => Promise<unknown>,
    ): Promise<Array<{ text: string; isNamed: boolean }>> {
      const sent: Array<{ text: string; isNamed: boolean }> = [];
      const query = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const [text] = args as [string | { text: string; name?: string }];
        sent.push(
          typeof text === 'string'
            ? { text, isNamed: false }
            : { text: text.text, isNamed: text.name !== undefined },
        );
        return (query as (...rest: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      try {
        await work();
      } finally {
        pg.Client.prototype.query = query;
      }
      return sent;
    }

    it('activates a new machine in two statements, where the locked path takes many', async () => {
      const license = await aLicense();
      // Every connection of the pool connected already, and the first activation goes the locked path.
      const locked = await statementsOf(() =>
        keyward.machines.activate(actor, license.id, { fingerprint: 'first' }),
      );
      expect(locked.length).toBeGreaterThan(4);
      const optimistic = await statementsOf(() =>
        keyward.machines.activate(actor, license.id, { fingerprint: 'second' }),
      );
      expect(optimistic).toHaveLength(2);
      expect(optimistic.some(({ text }) => /^\s*(begin|commit)/i.test(text))).toBe(false);
      // Both are prepared once per connection, not parsed and planned anew each time.
      expect(optimistic.map(({ isNamed }) => isNamed)).toEqual([true, true]);
      expect(await store.machines.listActive(license.id)).toHaveLength(2);
    });

    it('waits for a transaction holding the license, then finds it changed and writes nothing', async () => {
      const license = await aLicense();
      await keyward.machines.activate(actor, license.id, { fingerprint: 'first' });
      const read = await store.licenses.findWithSeatsById(license.id);
      const write = optimisticActivation({
        found: read,
        request: { fingerprint: 'waiting' },
        actor,
        now: NOW,
      });
      if (!write) throw new Error('a new machine on a license with free seats takes the optimistic path');

      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = store.transaction(async (tx) => {
        const held = (await tx.licenses.lockById(license.id)) as License;
        await tx.licenses.update(license.id, {
          notes: 'changed',
          updatedAt: new Date(held.updatedAt.getTime() + 1),
        });
        locked();
        await released;
      });
      await isLocked;
      let settled = false;
      const guarded = store
        .atomicWrite((tx) => tx.machines.activateIfUnchanged(write))
        .finally(() => {
          settled = true;
        });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      release();
      await holder;
      expect(await guarded).toBeNull();
      expect(await store.machines.listActive(license.id)).toHaveLength(1);
    });
  },
);
