import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  callCryptolens,
  cryptolensToken,
  decodeLicense,
  testActor,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

const dialects = await testDialects();

/**
 * A product made through the native API, the dashboard or the command line has no policy; a Cryptolens app
 * must still be able to create keys on it without anyone setting it up (README of the dialect, "Product and
 * policy").
 */
describe.each(dialects)('Cryptolens on a fresh product (%s)', (dialect) => {
  let t: TestApp;
  let token: string;
  const freshProduct = async () => (await t.keyward.catalog.createProduct(testActor, { name: 'Fresh' })).id;
  const policiesOf = (productId: number) =>
    t.keyward.catalog.listPolicies({ productId, after: null, limit: 100 });
  const call = (params: Record<string, string | number | boolean>, method = 'key/CreateKey', as = token) =>
    answerOf(callCryptolens(t, method, { token: as, ...params }));

  beforeAll(async () => {
    t = await createTestApp(dialect);
    token = await cryptolensToken(t);
  });
  afterAll(() => t.dispose());

  it('creates keys with F1…F8 on a product that has no policy, which gets the standard ones once', async () => {
    const productId = await freshProduct();
    const created = await call({ ProductId: productId, F3: true, Period: 30 });
    expect(created).toEqual({ key: expect.any(String), result: 0, message: '' });
    const license = decodeLicense(
      await call({ ProductId: productId, Key: created.key, SignMethod: 1 }, 'key/GetKey'),
    );
    expect(license).toMatchObject({
      ProductId: productId,
      Key: created.key,
      Period: 30,
      F1: false,
      F3: true,
      F8: false,
      MaxNoOfMachines: 0,
    });

    const policies = await policiesOf(productId);
    expect(policies.map((p) => ({ name: p.name, isTrial: p.isTrial, maxMachines: p.maxMachines }))).toEqual([
      { name: 'Standard', isTrial: false, maxMachines: 0 },
      { name: 'Trial', isTrial: true, maxMachines: 1 },
    ]);
    for (const policy of policies)
      expect(policy.featureFields).toEqual(
        Array.from({ length: 8 }, (_, i) => ({
          name: `f${i + 1}`,
          type: 'boolean',
          isRequired: false,
          defaultValue: false,
        })),
      );
    // Made once: further keys use them.
    await call({ ProductId: productId, NoOfKeys: 3 });
    expect(await policiesOf(productId)).toHaveLength(2);
    const events = await t.store.events.list(
      { productId, type: 'policy.created' },
      { before: null, limit: 10 },
    );
    expect(events.map((e) => e.data.managedFor).sort()).toEqual(['standard-regular', 'standard-trial']);
  });

  it('gives a trial key on a fresh product the trial policy', async () => {
    const productId = await freshProduct();
    const trial = await call({ ProductId: productId, MachineCode: 'pc-1' }, 'key/CreateTrialKey');
    expect(trial).toEqual({ key: expect.any(String), result: 0, message: '' });
    const license = await t.keyward.licenses.getByKey(trial.key);
    const trialPolicy = (await policiesOf(productId)).find((p) => p.isTrial);
    expect(license.policyId).toBe(trialPolicy?.id);
  });

  it('makes the standard policies once when many first keys race, across connections', async () => {
    const productId = await freshProduct();
    const answers = await Promise.all(Array.from({ length: 12 }, () => call({ ProductId: productId })));
    for (const answer of answers) expect(answer).toMatchObject({ result: 0, key: expect.any(String) });
    const policies = await policiesOf(productId);
    expect(policies).toHaveLength(2);
    const regular = policies.find((p) => !p.isTrial);
    for (const { key } of answers)
      expect((await t.keyward.licenses.getByKey(key)).policyId).toBe(regular?.id);
  });

  it('leaves a product with policies of its own as it is', async () => {
    const productId = await freshProduct();
    const own = await t.keyward.catalog.createPolicy(testActor, { productId, name: 'Own', maxMachines: 3 });
    const created = await call({ ProductId: productId });
    expect((await t.keyward.licenses.getByKey(created.key)).policyId).toBe(own.id);
    expect(await policiesOf(productId)).toHaveLength(1);
  });

  it('makes nothing for a caller that may not issue keys there, nor for a product that does not exist', async () => {
    const productId = await freshProduct();
    const otherProduct = await freshProduct();
    const productLocked = await cryptolensToken(t, { productIds: [otherProduct] });
    expect(await call({ ProductId: productId }, 'key/CreateKey', productLocked)).toEqual({
      result: 1,
      message: 'Access denied.',
    });
    const readOnly = await cryptolensToken(t, { scopes: ['licenses:read'] });
    expect(await call({ ProductId: productId }, 'key/CreateKey', readOnly)).toEqual({
      result: 1,
      message: 'Access denied.',
    });
    // A token locked to one license (what auth/KeyLock hands out) creates no keys and no policies either.
    const issued = await t.keyward.catalog.createPolicy(testActor, { productId: otherProduct, name: 'x' });
    const license = await t.keyward.licenses.create(testActor, issued.id, {});
    const licenseLocked = await cryptolensToken(t, { licenseId: license.id });
    const sameProductAsLicense = await freshProduct();
    await t.keyward.licenses.update(testActor, license.id, { extraProductIds: [sameProductAsLicense] });
    expect(await call({ ProductId: sameProductAsLicense }, 'key/CreateKey', licenseLocked)).toEqual({
      result: 1,
      message: 'Access denied.',
    });
    expect(await policiesOf(productId)).toEqual([]);
    expect(await policiesOf(sameProductAsLicense)).toEqual([]);
    expect(await call({ ProductId: 999_999 })).toEqual({ result: 1, message: 'Could not find the product.' });
  });
});
