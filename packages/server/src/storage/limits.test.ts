import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import type { PolicyInput } from '../core/catalog/catalog-service.js';
import { manualClock } from '../core/clock.js';
import { isDomainError } from '../core/domain-error.js';
import { createKeyward, type Keyward } from '../core/keyward.js';
import { SecretBox } from '../core/signing/secrets.js';
import { createTestStore, type TestDialect, testDialects } from '../test-support/test-store.js';

/**
 * Principle 4: limits are exact in the database. Many requests race through the real services at once; on
 * PostgreSQL the store has a pool of 16 connections, so up to 16 transactions are open together and only the
 * license row lock keeps the counts right.
 */

const POOL_SIZE = 16;
const PARALLEL = 100;
const actor: Actor = { tokenId: null, ip: '192.0.2.10', via: 'test', principal: operatorPrincipal };

type Settled<T> = PromiseSettledResult<T>;

/** Counts fulfilled results and rejections by domain error code; anything that is not a domain error fails. */
function tally<T>(results: Settled<T>[]): { fulfilled: T[]; codes: Record<string, number> } {
  const fulfilled: T[] = [];
  const codes: Record<string, number> = {};
  for (const result of results) {
    if (result.status === 'fulfilled') fulfilled.push(result.value);
    else if (isDomainError(result.reason)) codes[result.reason.code] = (codes[result.reason.code] ?? 0) + 1;
    else throw result.reason;
  }
  return { fulfilled, codes };
}

const times = <T>(count: number, work: (i: number) => Promise<T>) =>
  Promise.allSettled(Array.from({ length: count }, (_, i) => work(i)));

const dialects: TestDialect[] = await testDialects();

describe.each(dialects)('limits under concurrency on %s', (dialect) => {
  let keyward: Keyward;
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    store = await createTestStore(dialect, { poolSize: POOL_SIZE });
    keyward = createKeyward({
      store,
      clock: manualClock(new Date('2026-05-01T12:00:00.000Z')),
      secretBox: new SecretBox('limits-test-secret-that-is-long-enough-0123'),
      onBackgroundError: (error) => {
        throw error;
      },
      bookkeepingIntervalMs: 10,
    });
    dispose = async () => {
      await keyward.bookkeeping.flush();
      await store.dispose();
    };
  });
  afterAll(() => dispose?.());

  async function licenseUnder(policy: PolicyInput) {
    const product = await keyward.catalog.createProduct(actor, { name: 'Limited' });
    const created = await keyward.catalog.createPolicy(actor, {
      productId: product.id,
      name: 'p',
      ...policy,
    });
    return keyward.licenses.create(actor, created.id, {});
  }

  async function eventsOf(type: string, licenseId: number) {
    await keyward.bookkeeping.flush();
    return store.events.list({ type, licenseId }, { before: null, limit: 1000 });
  }

  it(`lets exactly 5 of ${PARALLEL} parallel activations take the 5 seats`, async () => {
    const license = await licenseUnder({ maxMachines: 5 });
    const results = await times(PARALLEL, (i) =>
      keyward.machines.activate(actor, license.id, { fingerprint: `machine-${i}` }),
    );
    const { fulfilled, codes } = tally(results);
    expect(fulfilled).toHaveLength(5);
    expect(fulfilled.every((r) => r.isNew)).toBe(true);
    expect(codes).toEqual({ MACHINE_LIMIT_REACHED: PARALLEL - 5 });

    const active = await store.machines.listActive(license.id);
    expect(active.map((m) => m.fingerprint).sort()).toEqual(
      fulfilled.map((r) => r.machine.fingerprint).sort(),
    );
    expect(new Set(active.map((m) => m.fingerprint)).size).toBe(5);
    expect((await keyward.licenses.get(license.id)).activationCount).toBe(5);
    expect(await eventsOf('machine.activated', license.id)).toHaveLength(5);
    expect(await eventsOf('machine.activation_refused', license.id)).toHaveLength(PARALLEL - 5);
  });

  it.each([
    { maxOverdraft: 0, seats: 5, overdraft: 'no overdraft' },
    { maxOverdraft: 2, seats: 7, overdraft: 'an overdraft of 2' },
  ])(
    'hands out exactly $seats floating leases for 5 seats with $overdraft',
    async ({ maxOverdraft, seats }) => {
      const license = await licenseUnder({
        maxMachines: 5,
        isFloating: true,
        leaseSeconds: 600,
        maxOverdraft,
      });
      const results = await times(PARALLEL, (i) =>
        keyward.machines.activate(actor, license.id, { fingerprint: `floating-${i}` }),
      );
      const { fulfilled, codes } = tally(results);
      expect(fulfilled).toHaveLength(seats);
      expect(codes).toEqual({ MACHINE_LIMIT_REACHED: PARALLEL - seats });
      expect(fulfilled.filter((r) => r.machine.isOverdraft)).toHaveLength(maxOverdraft);
      expect(fulfilled.every((r) => r.machine.leaseExpiresAt !== null)).toBe(true);

      const active = await store.machines.listActive(license.id);
      expect(active).toHaveLength(seats);
      expect(active.filter((m) => m.isOverdraft)).toHaveLength(maxOverdraft);
      expect((await keyward.licenses.get(license.id)).activationCount).toBe(seats);
    },
  );

  it(`uses one seat for ${PARALLEL} parallel re-activations of one fingerprint`, async () => {
    const license = await licenseUnder({ maxMachines: 5 });
    const results = await times(PARALLEL, () =>
      keyward.machines.activate(actor, license.id, { fingerprint: 'the-same-machine' }),
    );
    const { fulfilled, codes } = tally(results);
    expect(codes).toEqual({});
    expect(fulfilled).toHaveLength(PARALLEL);
    expect(fulfilled.filter((r) => r.isNew)).toHaveLength(1);
    expect(new Set(fulfilled.map((r) => r.machine.id)).size).toBe(1);

    const machines = await store.machines.list({
      licenseId: license.id,
      includeDeactivated: true,
      after: null,
      limit: 100,
    });
    expect(machines).toHaveLength(1);
    expect(machines[0]?.deactivatedAt).toBeNull();
    expect((await keyward.licenses.get(license.id)).activationCount).toBe(1);
  });

  it('lets exactly 3 of 20 parallel deactivations pass a deactivation limit of 3', async () => {
    const license = await licenseUnder({ maxMachines: 0, maxDeactivations: 3 });
    const activations = tally(
      await times(20, (i) => keyward.machines.activate(actor, license.id, { fingerprint: `node-${i}` })),
    );
    expect(activations.codes).toEqual({});
    expect(activations.fulfilled).toHaveLength(20);

    const results = await times(20, (i) =>
      keyward.machines.deactivate(actor, activations.fulfilled[i]!.machine.id),
    );
    const { fulfilled, codes } = tally(results);
    expect(fulfilled).toHaveLength(3);
    expect(codes).toEqual({ DEACTIVATION_LIMIT_REACHED: 17 });

    expect(await store.machines.listActive(license.id)).toHaveLength(17);
    const after = await keyward.licenses.get(license.id);
    expect(after.deactivationCount).toBe(3);
    expect(after.activationCount).toBe(20);
    expect(await eventsOf('machine.deactivated', license.id)).toHaveLength(3);
  });

  it('keeps bounded data object counters within their bounds under parallel changes', async () => {
    const license = await licenseUnder({ maxMachines: 1 });
    const counter = await keyward.dataObjects.create(actor, {
      ownerType: 'license',
      ownerId: license.id,
      name: 'api-calls',
      intValue: 0,
      stringValue: '',
    });

    const up = tally(
      await times(PARALLEL, () => keyward.dataObjects.add(actor, counter.id, 1, { min: null, max: 10 })),
    );
    expect(up.fulfilled).toHaveLength(10);
    expect(up.codes).toEqual({ CONFLICT: PARALLEL - 10 });
    expect(up.fulfilled.map((o) => o.intValue).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect((await keyward.dataObjects.get(counter.id)).object.intValue).toBe(10);

    const down = tally(
      await times(50, () => keyward.dataObjects.add(actor, counter.id, -3, { min: 0, max: null })),
    );
    expect(down.fulfilled).toHaveLength(3);
    expect(down.codes).toEqual({ CONFLICT: 47 });
    expect((await keyward.dataObjects.get(counter.id)).object.intValue).toBe(1);
  });
});
