import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fails, generateKey, ok, productWithVersion } from '../../../test-support/limelm-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

/** The pkey.* methods besides setDetails (set-details.test.ts) and the offline ones (offline.test.ts). */

describe('pkey methods', () => {
  let t: TestApp;
  let versionId: string;
  let otherVersionId: string;
  beforeAll(async () => {
    t = await createTestApp();
    ({ versionId } = await productWithVersion(t));
    ({ versionId: otherVersionId } = await productWithVersion(t));
    await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'plan', required: 'false' });
    await ok(t, 'limelm.feature.add', {
      version_id: versionId,
      name: 'expires',
      type: 'date_time',
      required: 'false',
    });
  });
  afterAll(() => t.dispose());

  const details = async (id: string) => (await ok(t, 'limelm.pkey.getDetails', { pkey_id: id })).pkey;
  const activate = (licenseId: string, fingerprint: string, extra: object = {}) =>
    t.call({
      method: 'POST',
      url: '/v1/machines',
      payload: { licenseId: Number(licenseId), fingerprint, ...extra },
    });

  it('generate: several keys with the same settings; 108, 109, 116 and 190 refusals', async () => {
    const created = await ok(t, 'limelm.pkey.generate', {
      version_id: versionId,
      num_keys: 3,
      num_acts: 2,
      email: 'many@example.com',
      tag: ['bulk'],
      for_tfs: 'true',
      deact_limit: 4,
      feature_name: ['plan'],
      feature_value: ['gold'],
    });
    expect(created.pkeys.total).toBe(3);
    const keys = created.pkeys.pkey.map((k: { key: string }) => k.key);
    expect(new Set(keys).size).toBe(3);
    for (const { id } of created.pkeys.pkey) {
      expect(await details(id)).toMatchObject({
        acts: '2',
        for_tfs: 'true',
        deac_limit: '4',
        email: 'many@example.com',
        tags: { tag: [{ name: 'bulk' }] },
        features: { feature: [{ name: 'plan', value: 'gold' }] },
      });
    }
    expect(
      (await ok(t, 'limelm.pkey.generate', { version_id: versionId, num_keys: 0, num_acts: 0 })).pkeys.total,
    ).toBe(1);
    await fails(t, 'limelm.pkey.generate', { version_id: versionId, num_acts: -5 }, 190);
    expect(await fails(t, 'limelm.pkey.generate', {}, 108)).toBe('The version id is missing.');
    await fails(t, 'limelm.pkey.generate', { version_id: 999999 }, 109);
    await fails(t, 'limelm.pkey.generate', { version_id: versionId, feature_name: ['plan'] }, 116);
    await fails(
      t,
      'limelm.pkey.generate',
      { version_id: versionId, feature_name: ['nope'], feature_value: ['1'] },
      127,
    );
    await fails(t, 'limelm.pkey.generate', { version_id: versionId, num_keys: 1001 }, 190);
  });

  it('generate and setDetails take the allowance of a reseller token exactly (110/111)', async () => {
    const secret = (
      await t.call({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'reseller', scopes: ['licenses:write', 'licenses:read'], activationAllowance: 4 },
      })
    ).json().secret;
    await ok(
      t,
      'limelm.pkey.generate',
      { version_id: versionId, num_keys: 2, num_acts: 1 },
      { token: secret },
    );
    expect(
      await fails(t, 'limelm.pkey.generate', { version_id: versionId, num_keys: 3, num_acts: 1 }, 110, {
        token: secret,
      }),
    ).toBe('You only have 2 activations left in your plan.');
    await ok(t, 'limelm.pkey.generate', { version_id: versionId, num_acts: 2 }, { token: secret });
    await fails(t, 'limelm.pkey.generate', { version_id: versionId }, 111, { token: secret });
    const tokens = (await t.call({ method: 'GET', url: '/v1/tokens' })).json().data;
    expect(tokens.find((x: { name: string }) => x.name === 'reseller')).toMatchObject({
      activationAllowance: 4,
      activationsGranted: 4,
    });
  });

  it('getDetails lists live activations and marks revoked keys; getID finds by key', async () => {
    const { id, key } = await generateKey(t, versionId, { num_acts: 2 });
    await activate(id, 'pc-a', { platform: 'Windows', name: 'Reception' });
    expect((await details(id)).activations.act).toEqual([
      expect.objectContaining({ type: 'windows', extra_data: 'Reception', ip: '127.0.0.1' }),
    ]);
    await ok(t, 'limelm.pkey.revoke', { pkey_id: id, revoke: 'maybe' });
    expect((await details(id)).revoked).toBe('true');
    await ok(t, 'limelm.pkey.revoke', { pkey_id: id, revoke: 'false' });
    expect((await details(id)).revoked).toBeUndefined();
    expect((await ok(t, 'limelm.pkey.getID', { pkey: key })).pkey.id).toBe(id);
    expect((await ok(t, 'limelm.pkey.getID', { pkey: key, version_id: versionId })).pkey.id).toBe(id);
    await fails(t, 'limelm.pkey.getID', { pkey: key, version_id: otherVersionId }, 1);
    expect(await fails(t, 'limelm.pkey.getID', { version_id: versionId }, 119)).toBe(
      'The product key is missing.',
    );
    expect(await fails(t, 'limelm.pkey.getDetails', { pkey_id: 99999 }, 1)).toBe(
      'Invalid pkey_id - product key not found.',
    );
  });

  it('revoke=false cannot undo a revocation made final through the native API (105)', async () => {
    const { id } = await generateKey(t, versionId);
    await t.call({ method: 'POST', url: `/v1/licenses/${id}/actions/revoke` });
    await fails(t, 'limelm.pkey.revoke', { pkey_id: id, revoke: 'false' }, 105);
    expect((await details(id)).revoked).toBe('true');
  });

  it('shows a revocation dated ahead (an imported one) as revoked from its instant, as the native status does', async () => {
    const { id, key } = await generateKey(t, versionId);
    const before = t.clock.now();
    const at = new Date(before.getTime() + 3_600_000);
    await t.store.licenses.update(Number(id), { revokedAt: at });
    const status = async () =>
      (await t.call({ method: 'GET', url: `/v1/licenses/${id}` })).json().status as string;
    const listed = async () =>
      (await ok(t, 'limelm.pkey.find', { version_id: versionId, email: key })).pkeys.pkey[0].revoked;
    expect([(await details(id)).revoked, await listed(), await status()]).toEqual([
      undefined,
      undefined,
      'active',
    ]);
    t.clock.set(at);
    expect([(await details(id)).revoked, await listed(), await status()]).toEqual([
      'true',
      'true',
      'revoked',
    ]);
    t.clock.set(before);
  });

  it('find: by e-mail (case-insensitive), by key without @; 1, 108, 109, 112', async () => {
    const a = await generateKey(t, versionId, { email: 'Find@Example.com' });
    const b = await generateKey(t, versionId, { email: 'find@example.com', num_acts: 3 });
    await generateKey(t, otherVersionId, { email: 'find@example.com' });
    const found = await ok(t, 'limelm.pkey.find', { version_id: versionId, email: 'FIND@example.com' });
    expect(found.pkeys.total).toBe(2);
    expect(found.pkeys.pkey.map((k: { id: string }) => k.id)).toEqual([a.id, b.id]);
    const byKey = await ok(t, 'limelm.pkey.find', { version_id: versionId, email: b.key });
    expect(byKey.pkeys.pkey).toEqual([{ id: b.id, key: b.key, acts: '3', acts_used: '0' }]);
    await fails(t, 'limelm.pkey.find', { version_id: versionId, email: 'nobody@example.com' }, 1);
    await fails(t, 'limelm.pkey.find', { version_id: otherVersionId, email: b.key }, 1);
    await fails(t, 'limelm.pkey.find', { email: 'x@y.z' }, 108);
    await fails(t, 'limelm.pkey.find', { version_id: 'abc', email: 'x@y.z' }, 109);
    expect(await fails(t, 'limelm.pkey.find', { version_id: versionId }, 112)).toBe(
      'The email address is missing.',
    );
  });

  it('advancedSearch: e-mail and tag wildcards, creation range, feature filters, extra blocks', async () => {
    const { versionId: v } = await productWithVersion(t);
    await ok(t, 'limelm.feature.add', { version_id: v, name: 'tier', required: 'false' });
    t.clock.set(new Date('2030-01-10T12:00:00Z'));
    const early = await generateKey(t, v, {
      email: 'alpha@corp.example',
      tag: ['Gold-2030'],
      feature_name: ['tier'],
      feature_value: ['enterprise'],
    });
    t.clock.set(new Date('2030-02-10T12:00:00Z'));
    const late = await generateKey(t, v, {
      email: 'beta@corp.example',
      tag: ['silver'],
      feature_name: ['tier'],
      feature_value: ['team'],
    });
    await activate(late.id, 'search-pc');
    const ids = async (params: Record<string, string | string[]>) =>
      (await ok(t, 'limelm.pkey.advancedSearch', { version_id: v, ...params })).pkeys.pkey.map(
        (k: { id: string }) => k.id,
      );
    expect(await ids({})).toEqual([early.id, late.id]);
    expect(await ids({ email: '*@CORP.example' })).toEqual([early.id, late.id]);
    expect(await ids({ email: 'alpha*' })).toEqual([early.id]);
    expect(await ids({ tag: ['gold*'] })).toEqual([early.id]);
    expect(await ids({ tag: ['nothing', 'silver'] })).toEqual([late.id]);
    expect(await ids({ start: '2030-02-01' })).toEqual([late.id]);
    expect(await ids({ end: '2030-01-10' })).toEqual([early.id]);
    expect(await ids({ end: '2030-01-10 11:59:59' })).toEqual([]);
    expect(await ids({ feature_name: ['tier'], feature_value: ['team'] })).toEqual([late.id]);
    expect(
      await ids({ feature_name: ['tier'], feature_value: ['ENT*'], feature_match: ['wildcard'] }),
    ).toEqual([early.id]);
    const full = await ok(t, 'limelm.pkey.advancedSearch', {
      version_id: v,
      get_features: 'true',
      get_acts: 'true',
      num: 1,
      page: 2,
    });
    expect(full.pkeys).toMatchObject({ pages: 2, total: '2' });
    expect(full.pkeys.pkey[0]).toMatchObject({
      id: late.id,
      version_id: v,
      acts_used: '1',
      features: { feature: [{ name: 'tier', value: 'team' }] },
      activations: { act: [expect.objectContaining({ ip: '127.0.0.1' })] },
    });
    await fails(t, 'limelm.pkey.advancedSearch', { start: 'last week' }, 190);
    await fails(t, 'limelm.pkey.advancedSearch', { version_id: 999999 }, 109);
    await fails(t, 'limelm.pkey.advancedSearch', { product_id: 999999 }, 109);
    expect((await ok(t, 'limelm.pkey.advancedSearch', { version_id: v, email: 'nobody*' })).pkeys).toEqual({
      pages: 0,
      total: '0',
      pkey: [],
    });
  });

  it('activity: created, activations, deactivations and revocations between start and end', async () => {
    const { versionId: v } = await productWithVersion(t);
    t.clock.set(new Date('2031-05-01T08:00:00Z'));
    const key = await generateKey(t, v, { num_acts: 2 });
    t.clock.set(new Date('2031-05-02T09:30:00Z'));
    const machineId = (await activate(key.id, 'activity-pc', { platform: 'Linux' })).json().id;
    t.clock.set(new Date('2031-05-03T10:00:00Z'));
    await ok(t, 'limelm.pkey.deactivate', { act_id: machineId });
    await ok(t, 'limelm.pkey.revoke', { pkey_id: key.id });
    const all = await ok(t, 'limelm.pkey.activity', {
      version_id: v,
      start: '2031-05-01',
      created: 'true',
      activation: 'true',
      deactivation: 'true',
      revoked: 'true',
    });
    expect(all.pkeys.pkey).toEqual([
      expect.objectContaining({
        id: key.id,
        created: '2031-05-01 08:00:00',
        revoked: 'true',
        revoked_date: '2031-05-03 10:00:00',
        activations: {
          act: [
            expect.objectContaining({ id: String(machineId), date: '2031-05-02 09:30:00', type: 'linux' }),
          ],
        },
        deactivations: {
          deact: [expect.objectContaining({ id: String(machineId), date: '2031-05-03 10:00:00' })],
        },
      }),
    ]);
    const onlyActivations = await ok(t, 'limelm.pkey.activity', {
      version_id: v,
      start: '2031-05-02 00:00:00',
      end: '2031-05-02',
      activation: 'true',
    });
    expect(onlyActivations.pkeys.pkey[0].deactivations).toBeUndefined();
    await fails(t, 'limelm.pkey.activity', { version_id: v, start: '2031-05-01' }, 109);
    await fails(t, 'limelm.pkey.activity', { version_id: v, created: 'true' }, 190);
  });

  it('deactivate: frees the seat; 108 without act_id, 128 for unknown or freed activations', async () => {
    const { id } = await generateKey(t, versionId);
    const machineId = (await activate(id, 'to-free')).json().id;
    await ok(t, 'limelm.pkey.deactivate', { act_id: machineId });
    expect((await details(id)).acts_used).toBe('0');
    expect(await fails(t, 'limelm.pkey.deactivate', {}, 108)).toBe('The act_id is missing.');
    await fails(t, 'limelm.pkey.deactivate', { act_id: machineId }, 128);
    await fails(t, 'limelm.pkey.deactivate', { act_id: 'x1' }, 128);
  });

  it('delete: the key is gone (1 afterwards)', async () => {
    const { id } = await generateKey(t, versionId);
    await activate(id, 'doomed');
    await ok(t, 'limelm.pkey.delete', { pkey_id: id });
    await fails(t, 'limelm.pkey.getDetails', { pkey_id: id }, 1);
    await fails(t, 'limelm.pkey.delete', { pkey_id: id }, 1);
  });

  it('setTags replaces, removeTag removes one, tag.delete removes a tag from every key', async () => {
    const a = await generateKey(t, versionId, { tag: ['old', 'keep'] });
    const b = await generateKey(t, versionId, { tag: ['shared'] });
    await ok(t, 'limelm.pkey.setTags', { pkey_id: a.id, tag: ['shared', 'keep', 'x'] });
    expect((await details(a.id)).tags.tag).toEqual([{ name: 'shared' }, { name: 'keep' }, { name: 'x' }]);
    await ok(t, 'limelm.pkey.removeTag', { pkey_id: a.id, tag: 'x' });
    await ok(t, 'limelm.pkey.removeTag', { pkey_id: a.id, tag: 'not-there' });
    await ok(t, 'limelm.tag.delete', { tag: 'shared' });
    expect((await details(a.id)).tags.tag).toEqual([{ name: 'keep' }]);
    expect((await details(b.id)).tags).toBeUndefined();
    await ok(t, 'limelm.pkey.setTags', { pkey_id: a.id });
    expect((await details(a.id)).tags).toBeUndefined();
    await fails(t, 'limelm.pkey.removeTag', { pkey_id: a.id }, 190);
    await fails(t, 'limelm.tag.delete', {}, 190);
    await fails(t, 'limelm.pkey.setTags', { pkey_id: 99999, tag: ['a'] }, 1);
  });

  it('a token locked to another product sees nothing of this one (1, 109), and no scope is 100', async () => {
    const { productId: otherProduct } = await productWithVersion(t);
    const locked = (
      await t.call({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'locked', scopes: ['*'], productIds: [Number(otherProduct)] },
      })
    ).json().secret;
    const { id } = await generateKey(t, versionId, { tag: ['out-of-reach'] });
    await fails(t, 'limelm.pkey.getDetails', { pkey_id: id }, 1, { token: locked });
    await fails(t, 'limelm.pkey.generate', { version_id: versionId }, 109, { token: locked });
    await ok(t, 'limelm.tag.delete', { tag: 'out-of-reach' }, { token: locked });
    expect((await details(id)).tags.tag).toEqual([{ name: 'out-of-reach' }]);
    const readOnly = (
      await t.call({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'reader', scopes: ['licenses:read'] },
      })
    ).json().secret;
    await ok(t, 'limelm.pkey.getDetails', { pkey_id: id }, { token: readOnly });
    expect(await fails(t, 'limelm.pkey.setDetails', { pkey_id: id }, 100, { token: readOnly })).toMatch(
      /^Invalid API Key: this token lacks the scope licenses:write/,
    );
  });
});
