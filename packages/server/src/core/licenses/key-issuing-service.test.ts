import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aToken } from '../../test-support/domain-fixtures.js';
import { createTestStore, testDialects } from '../../test-support/test-store.js';
import type { Actor } from '../access/actor.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { createKeyward, type Keyward } from '../keyward.js';
import { SecretBox } from '../signing/secrets.js';

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

describe.each(await testDialects())('KeyIssuingService on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  const clock = manualClock(new Date('2030-01-01T00:00:00Z'));

  beforeAll(async () => {
    store = await createTestStore(dialect, { poolSize: 8 });
    k = createKeyward({
      store,
      clock,
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: (error) => {
        throw error;
      },
    });
  });
  afterAll(() => store.dispose());

  const batch = (productIds: number[]) =>
    k.keyIssuing.issue(actor, {
      kind: 'multi-activation',
      productIds,
      count: 2,
      validity: { count: 7, unit: 'day' },
      maxMachines: 5,
      expiresAt: new Date('2030-06-01T00:00:00Z'),
      alias: 'batch',
      isCleanable: false,
    });

  it('makes one policy per product and kind even when first requests race', async () => {
    const product = await k.catalog.createProduct(actor, { name: 'Raced' });
    const batches = await Promise.all(Array.from({ length: 8 }, () => batch([product.id])));
    const policyIds = new Set(batches.flat().map((license) => license.policyId));
    expect(policyIds.size).toBe(1);
    const policies = await store.policies.list({ productId: product.id, after: null, limit: 100 });
    expect(policies.map((p) => p.name)).toEqual(['Multi-activation keys']);
  });

  it('gives multi-activation keys their per-activation period, seat count and expiry', async () => {
    const product = await k.catalog.createProduct(actor, { name: 'Multi' });
    const extra = await k.catalog.createProduct(actor, { name: 'Extra' });
    const [license] = await batch([product.id, extra.id]);
    expect(license).toMatchObject({
      productIds: [product.id, extra.id],
      activationPeriod: { count: 7, unit: 'day' },
      expiresAt: new Date('2030-06-01T00:00:00Z'),
      overrides: expect.objectContaining({ maxMachines: 5 }),
      alias: 'batch',
    });
    expect(license?.termPeriod).toBeUndefined();
  });

  it('gives single-activation keys one seat and an expiry counted from creation', async () => {
    const product = await k.catalog.createProduct(actor, { name: 'Single' });
    const [license] = await k.keyIssuing.issue(actor, {
      kind: 'single-activation',
      productIds: [product.id],
      count: 1,
      validity: { count: 1, unit: 'month' },
      alias: null,
      isCleanable: true,
    });
    expect(license).toMatchObject({
      termPeriod: { count: 1, unit: 'month' },
      expiresAt: new Date('2030-02-01T00:00:00Z'),
      overrides: expect.objectContaining({ maxMachines: 1 }),
      isCleanable: true,
    });
    expect(license?.activationPeriod).toBeUndefined();
  });

  it('refuses unknown products and past expiries, naming the field, and makes nothing', async () => {
    await expect(batch([987_654])).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'productIds' },
    });
    const product = await k.catalog.createProduct(actor, { name: 'Late' });
    await expect(
      k.keyIssuing.issue(actor, {
        kind: 'multi-activation',
        productIds: [product.id],
        count: 1,
        validity: { count: 1, unit: 'day' },
        maxMachines: 2,
        expiresAt: clock.now(),
        alias: null,
        isCleanable: false,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'expiresAt' } });
    expect(await store.policies.list({ productId: product.id, after: null, limit: 10 })).toEqual([]);
  });

  it("refuses a product out of the caller's reach as a missing one, before making any policy", async () => {
    const own = await k.catalog.createProduct(actor, { name: 'Own' });
    const other = await k.catalog.createProduct(actor, { name: 'Other' });
    const locked: Actor = { ...actor, principal: { kind: 'token', token: aToken({ productIds: [own.id] }) } };
    await expect(
      k.keyIssuing.issue(locked, {
        kind: 'single-activation',
        productIds: [own.id, other.id],
        count: 1,
        validity: { count: 1, unit: 'day' },
        alias: null,
        isCleanable: false,
      }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `product ${other.id} does not exist`,
      details: { field: 'productIds' },
    });
    expect(await store.policies.list({ productId: own.id, after: null, limit: 10 })).toEqual([]);
  });
});
