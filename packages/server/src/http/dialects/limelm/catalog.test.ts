import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../../core/access/principal.js';
import { call, fails, generateKey, ok } from '../../../test-support/limelm-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

/** prod.* and feature.*: LimeLM products are products, versions are policies, fields are feature fields. */

describe('products and versions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it('create, createVers, getAll, editVers, changeName', async () => {
    const created = await ok(t, 'limelm.prod.create', {
      prod_name: 'Photo Tool',
      vers_name: '1.x',
      where_is_pkey: 'In your receipt e-mail',
      buy_link: 'https://example.com/buy',
      trial_length: 30,
    });
    const { id: productId, ver_id: v1 } = created.product;
    const v2 = (await ok(t, 'limelm.prod.createVers', { prod_id: productId, name: '2.x' })).version.id;
    await ok(t, 'limelm.prod.editVers', { version_id: v2, deact_limit: 3, allow_vm: 'yes', trial_length: 7 });
    await ok(t, 'limelm.prod.changeName', { prod_id: productId, name: 'Photo Tool Pro' });
    const all = await ok(t, 'limelm.prod.getAll');
    expect(all.products.product).toContainEqual({
      id: productId,
      name: 'Photo Tool Pro',
      versions: {
        version: [
          {
            id: v1,
            name: '1.x',
            deact_limit: 'unlimited',
            allow_vm: 'no',
            trial_length: '30',
            where_is_pkey: 'In your receipt e-mail',
            buy_link: 'https://example.com/buy',
          },
          { id: v2, name: '2.x', deact_limit: '3', allow_vm: 'yes', trial_length: '7' },
        ],
      },
    });
    const policy = (await t.call({ method: 'GET', url: `/v1/policies/${v2}` })).json();
    expect(policy).toMatchObject({ maxDeactivations: 3, allowVm: true, maxMachines: 1 });
    const key = await generateKey(t, v2);
    expect(key.key).toMatch(/^([A-Z0-9]{4}-){6}[A-Z0-9]{4}$/);
  });

  it('refuses with 108, 109, 125, 126', async () => {
    await fails(t, 'limelm.prod.create', { vers_name: '1' }, 125);
    await fails(t, 'limelm.prod.create', { prod_name: 'x'.repeat(255), vers_name: '1' }, 125);
    await fails(t, 'limelm.prod.create', { prod_name: 'X', vers_name: '1', trial_length: 'long' }, 190);
    expect(await fails(t, 'limelm.prod.createVers', { name: 'v' }, 108)).toBe('The product id is missing.');
    await fails(t, 'limelm.prod.createVers', { prod_id: 424242, name: 'v' }, 109);
    const { id } = (await ok(t, 'limelm.prod.create', { prod_name: 'Unique', vers_name: '1' })).product;
    await ok(t, 'limelm.prod.create', { prod_name: 'Taken', vers_name: '1' });
    await fails(t, 'limelm.prod.createVers', { prod_id: id }, 125);
    expect(await fails(t, 'limelm.prod.changeName', { prod_id: id, name: 'taken' }, 126)).toBe(
      'Please enter a new product name (ProductName already exists).',
    );
    await fails(t, 'limelm.prod.changeName', { name: 'n' }, 108);
    await fails(t, 'limelm.prod.editVers', { version_id: 424242 }, 109);
    await fails(t, 'limelm.prod.editVers', {}, 108);
  });

  it('keeps product-locked tokens to their products', async () => {
    const { id: mine } = (await ok(t, 'limelm.prod.create', { prod_name: 'Mine', vers_name: '1' })).product;
    const secret = (
      await t.call({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'p', scopes: ['*'], productIds: [Number(mine)] },
      })
    ).json().secret;
    const seen = await ok(t, 'limelm.prod.getAll', {}, { token: secret });
    expect(seen.products.product.map((p: { id: string }) => p.id)).toEqual([mine]);
    await fails(t, 'limelm.prod.create', { prod_name: 'Else', vers_name: '1' }, 100, { token: secret });
  });
});

describe('license fields', () => {
  let t: TestApp;
  let versionId: string;
  beforeAll(async () => {
    t = await createTestApp();
    versionId = (await ok(t, 'limelm.prod.create', { prod_name: 'App', vers_name: '1' })).product.ver_id;
  });
  afterAll(() => t.dispose());

  const fields = async () => (await ok(t, 'limelm.feature.getAll', { version_id: versionId })).fields.field;

  it('add: types, required defaulting to true, 108, 109, 125, 126', async () => {
    const id = (await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'color', type: 'weird' }))
      .feature.id;
    await ok(t, 'limelm.feature.add', {
      version_id: versionId,
      name: 'seats',
      type: 'int',
      required: 'false',
    });
    await ok(t, 'limelm.feature.add', {
      version_id: versionId,
      name: 'support',
      type: 'checkbox',
      required: 'false',
    });
    expect(await fields()).toEqual([
      { id, name: 'color', type: 'string', ta_readable: 'true', required: 'true', description: '' },
      expect.objectContaining({ name: 'seats', type: 'int', required: 'false' }),
      expect.objectContaining({ name: 'support', type: 'checkbox' }),
    ]);
    expect(await fails(t, 'limelm.feature.add', { version_id: versionId, name: 'color' }, 126)).toBe(
      'Please enter a new feature name (FeatureName already exists).',
    );
    await fails(t, 'limelm.feature.add', { version_id: versionId }, 125);
    await fails(t, 'limelm.feature.add', { name: 'x' }, 108);
    await fails(t, 'limelm.feature.add', { version_id: 999999, name: 'x' }, 109);
    // A required field without default: new keys must give it (117).
    await fails(t, 'limelm.pkey.generate', { version_id: versionId }, 117);
    await ok(t, 'limelm.feature.edit', { feature_id: id, required: 'false' });
  });

  it('names follow the one rule of the native API: 125 for what it refuses, on add and on rename', async () => {
    const productId = (
      await t.call({ method: 'POST', url: '/v1/products', payload: { name: 'Names' } })
    ).json().id as number;
    const id = (
      await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'renamed', required: 'false' })
    ).feature.id;
    for (const name of [
      '<img src=x onerror=alert(1)>',
      'a"b',
      'x'.repeat(101),
      'two  spaces',
      'rtl\u202eoverride',
      'updates expire',
      'édition',
      'v1.2-beta',
    ]) {
      const native = await t.call({
        method: 'POST',
        url: '/v1/policies',
        payload: { productId, name: `p ${name.length}`, featureFields: [{ name, type: 'string' }] },
      });
      const renamed = await call(t, 'limelm.feature.edit', { feature_id: id, name, required: 'false' });
      if (renamed.stat === 'ok')
        await ok(t, 'limelm.feature.edit', { feature_id: id, name: 'renamed', required: 'false' });
      const added = await call(t, 'limelm.feature.add', { version_id: versionId, name, required: 'false' });
      const where = JSON.stringify(name);
      if (native.statusCode === 201) {
        expect(renamed, where).toMatchObject({ stat: 'ok' });
        expect(added, where).toMatchObject({ stat: 'ok' });
        await ok(t, 'limelm.feature.delete', { feature_id: added.feature.id });
      } else {
        expect(native.statusCode, where).toBe(400);
        for (const refused of [added, renamed])
          expect(refused, where).toEqual(
            expect.objectContaining({
              stat: 'fail',
              code: 125,
              message:
                'The "name" parameter must exist and follow the rule: a feature name has 1 to 100 characters: letters, digits, "_", "." and "-", in words separated by single spaces.',
            }),
          );
      }
    }
    expect((await fields()).map((f: { name: string }) => f.name)).not.toContain(
      '<img src=x onerror=alert(1)>',
    );
  });

  it('edit renames a field, carrying every key’s value along; required and ta_readable default to true', async () => {
    const id = (await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'tier', required: 'false' }))
      .feature.id;
    const key = await generateKey(t, versionId, { feature_name: ['tier'], feature_value: ['gold'] });
    await ok(t, 'limelm.feature.edit', {
      feature_id: id,
      name: 'level',
      required: 'false',
      ta_readable: 'false',
      description: 'Support level',
    });
    const detail = await ok(t, 'limelm.pkey.getDetails', { pkey_id: key.id });
    expect(detail.pkey.features.feature).toContainEqual({ name: 'level', value: 'gold' });
    expect((await fields()).find((f: { id: string }) => f.id === id)).toMatchObject({
      name: 'level',
      ta_readable: 'false',
      required: 'false',
      description: 'Support level',
    });
    await ok(t, 'limelm.feature.edit', { feature_id: id });
    expect((await fields()).find((f: { id: string }) => f.id === id)).toMatchObject({
      required: 'true',
      ta_readable: 'true',
    });
    await ok(t, 'limelm.feature.edit', { feature_id: id, required: 'false' });
    await fails(t, 'limelm.feature.edit', { feature_id: id, name: 'color' }, 126);
    await fails(t, 'limelm.feature.edit', { feature_id: 999999 }, 127);
    await fails(t, 'limelm.feature.edit', {}, 108);
  });

  it('a date default relative to each key’s creation (default_dt_relative=pkey_created)', async () => {
    const id = (
      await ok(t, 'limelm.feature.add', {
        version_id: versionId,
        name: 'updates',
        type: 'date_time',
        required: 'false',
      })
    ).feature.id;
    await ok(t, 'limelm.feature.edit', {
      feature_id: id,
      required: 'false',
      default_val: '+ 1 year',
      default_dt_relative: 'pkey_created',
    });
    t.clock.set(new Date('2028-02-29T10:00:00Z'));
    const key = await generateKey(t, versionId);
    const detail = await ok(t, 'limelm.pkey.getDetails', { pkey_id: key.id });
    expect(detail.pkey.features.feature).toContainEqual({ name: 'updates', value: '2029-02-28 10:00:00' });
    expect((await fields()).find((f: { id: string }) => f.id === id).default_val).toBe('+ 1 year');
    await fails(
      t,
      'limelm.feature.edit',
      { feature_id: id, default_val: '1 year', default_dt_relative: 'pkey_created' },
      190,
    );
  });

  it('delete removes the field and its value from every key', async () => {
    const id = (await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'temp', required: 'false' }))
      .feature.id;
    const key = await generateKey(t, versionId, { feature_name: ['temp'], feature_value: ['x'] });
    await ok(t, 'limelm.feature.delete', { feature_id: id });
    const license = (await t.call({ method: 'GET', url: `/v1/licenses/${key.id}` })).json();
    expect(license.features).not.toHaveProperty('temp');
    await fails(t, 'limelm.feature.delete', { feature_id: id }, 127);
  });

  it('fields added through the native policy API get an id the first time they are listed', async () => {
    const policy = (await t.call({ method: 'GET', url: `/v1/policies/${versionId}` })).json();
    await t.call({
      method: 'PATCH',
      url: `/v1/policies/${versionId}`,
      payload: {
        featureFields: [
          ...policy.featureFields.map((f: Record<string, unknown>) => ({
            name: f.name,
            type: f.type,
            isRequired: f.isRequired,
          })),
          { name: 'native_field', type: 'boolean' },
        ],
      },
    });
    const listed = (await fields()).find((f: { name: string }) => f.name === 'native_field');
    expect(listed).toMatchObject({ type: 'checkbox', id: expect.stringMatching(/^\d+$/) });
    await ok(t, 'limelm.feature.edit', { feature_id: listed.id, name: 'renamed_field', required: 'false' });
  });
});

for (const dialect of await testDialects()) {
  describe(`deleting a LimeLM version natively (${dialect})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t.dispose());

    it('a version with a profile, fields, trials and extensions can still be deleted natively', async () => {
      const { ver_id: versionId } = (
        await ok(t, 'limelm.prod.create', { prod_name: 'Short-lived', vers_name: '1', trial_length: 3 })
      ).product;
      await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'f', required: 'false' });
      await ok(t, 'limelm.feature.getAll', { version_id: versionId });
      await ok(t, 'limelm.trialExtension.generate', {
        version_id: versionId,
        length: 1,
        expires: '2999-01-01',
      });
      await t.keyward.verifiedTrials.start(
        { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal },
        Number(versionId),
        {
          fingerprint: 'trial-pc',
        },
      );
      expect((await t.call({ method: 'DELETE', url: `/v1/policies/${versionId}` })).statusCode).toBe(204);
      await fails(t, 'limelm.feature.getAll', { version_id: versionId }, 109);
    });
  });
}
