import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aToken } from '../../test-support/domain-fixtures.js';
import { createTestStore, testDialects } from '../../test-support/test-store.js';
import type { Actor } from '../access/actor.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { createKeyward, type Keyward } from '../keyward.js';
import { SecretBox } from '../signing/secrets.js';

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const DAY = 86_400;

describe.each(await testDialects())('LicenseService.setTrialActivation on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  let policyId: number;
  let productId: number;
  const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
  const inDays = (days: number) => new Date(clock.now().getTime() + days * DAY * 1000);

  beforeAll(async () => {
    store = await createTestStore(dialect, { poolSize: 4 });
    k = createKeyward({
      store,
      clock,
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: (error) => {
        throw error;
      },
    });
    productId = (await k.catalog.createProduct(actor, { name: 'Trials' })).id;
    policyId = (await k.catalog.createPolicy(actor, { productId, name: 'Standard', maxMachines: 1 })).id;
  });
  afterAll(() => store.dispose());

  it('gives a license without a term of its own the Period it shows, and keeps a term it has', async () => {
    const shown = await k.licenses.create(actor, policyId, { expiresAt: inDays(10) });
    expect(await k.licenses.setTrialActivation(actor, shown.id, true)).toMatchObject({
      hasTrialActivation: true,
      termSeconds: 10 * DAY,
      expiresAt: shown.expiresAt,
    });

    const own = await k.licenses.create(actor, policyId, { expiresAt: inDays(10), termSeconds: 3 * DAY });
    expect(await k.licenses.setTrialActivation(actor, own.id, true)).toMatchObject({
      hasTrialActivation: true,
      termSeconds: 3 * DAY,
    });
    const switchedOff = await k.licenses.setTrialActivation(actor, own.id, false);
    expect([switchedOff.hasTrialActivation ?? false, switchedOff.termSeconds]).toEqual([false, 3 * DAY]);
  });

  it('records the change as one license.updated event', async () => {
    const license = await k.licenses.create(actor, policyId, { expiresAt: inDays(4) });
    await k.licenses.setTrialActivation(actor, license.id, true);
    const [event] = await store.events.list(
      { licenseId: license.id, type: 'license.updated' },
      { before: null, limit: 5 },
    );
    expect(event?.data).toMatchObject({ changes: { hasTrialActivation: true, termSeconds: 4 * DAY } });
  });

  it('answers a license the caller may not reach as one that does not exist', async () => {
    const license = await k.licenses.create(actor, policyId, {});
    const elsewhere: Actor = {
      ...actor,
      principal: { kind: 'token', token: aToken({ productIds: [productId + 1000] }) },
    };
    await expect(k.licenses.setTrialActivation(elsewhere, license.id, true)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    expect((await k.licenses.get(license.id)).hasTrialActivation).toBeFalsy();
  });

  // Only PostgreSQL lets two transactions overlap: the second waits for the first's row lock.
  if (dialect === 'postgres') {
    it('decides the term from the license as locked, so a term changed meanwhile is kept', async () => {
      const license = await k.licenses.create(actor, policyId, { expiresAt: inDays(10) });
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let signalLocked = () => {};
      const locked = new Promise<void>((resolve) => {
        signalLocked = resolve;
      });
      const concurrentChange = store.transaction(async (tx) => {
        await tx.licenses.lockById(license.id);
        await tx.licenses.update(license.id, { termSeconds: 30 * DAY, updatedAt: clock.now() });
        signalLocked();
        await held;
      });
      await locked;
      const switching = k.licenses.setTrialActivation(actor, license.id, true);
      // Time for a read outside the transaction to see the term as it was before the change commits: a
      // read-then-write would then write that stale term (10 days) over the 30 days committed meanwhile.
      await sleep(200);
      release();
      await concurrentChange;
      expect(await switching).toMatchObject({ hasTrialActivation: true, termSeconds: 30 * DAY });
    });
  }
});
