import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../core/clock.js';
import { createKeyward } from '../../../core/keyward.js';
import { SecretBox } from '../../../core/signing/secrets.js';
import { createStore } from '../../../storage/create-store.js';
import { call, fails, generateKey, ok, productWithVersion } from '../../../test-support/limelm-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';
import { buildApp } from '../../build-app.js';

/**
 * pkey.setDetails exactly as the seed (000_11bea0a614fc3dd6) describes it: every parameter, and every error
 * code it lists reached for real — 1, 100, 101, 164, 110, 111, 116, 117, 118, 120, 153, 142.
 */

const SET = 'limelm.pkey.setDetails';

async function nativeToken(t: TestApp, body: Record<string, unknown>): Promise<string> {
  const response = await t.call({
    method: 'POST',
    url: '/v1/tokens',
    payload: { name: `t-${Math.random()}`, scopes: ['*'], ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().secret;
}

async function details(t: TestApp, id: string) {
  return (await ok(t, 'limelm.pkey.getDetails', { pkey_id: id })).pkey;
}

const activate = async (t: TestApp, licenseId: string, fingerprint: string) => {
  const response = await t.call({
    method: 'POST',
    url: '/v1/machines',
    payload: { licenseId: Number(licenseId), fingerprint },
  });
  expect(response.statusCode, response.body).toBe(201);
};

for (const dialect of await testDialects()) {
  describe(`pkey.setDetails (${dialect})`, () => {
    let t: TestApp;
    let versionId: string;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ versionId } = await productWithVersion(t));
      await ok(t, 'limelm.feature.add', {
        version_id: versionId,
        name: 'seats',
        type: 'int',
        required: 'false',
      });
      await ok(t, 'limelm.feature.add', {
        version_id: versionId,
        name: 'updates until',
        type: 'date_time',
        required: 'false',
      });
      await ok(t, 'limelm.feature.add', {
        version_id: versionId,
        name: 'edition',
        type: 'string',
        required: 'true',
      });
    });
    afterAll(() => t.dispose());

    const newKey = () => generateKey(t, versionId, { feature_name: ['edition'], feature_value: ['pro'] });

    it('sets num_acts, email and deact_limit (-2 inherits, -1 unlimited, up to 2^63-1)', async () => {
      const { id } = await newKey();
      await ok(t, SET, { pkey_id: id, num_acts: 5, email: 'Buyer@Example.com', deact_limit: 3 });
      expect(await details(t, id)).toMatchObject({ acts: '5', email: 'buyer@example.com', deac_limit: '3' });
      await ok(t, SET, { pkey_id: id, deact_limit: -1 });
      expect((await details(t, id)).deac_limit).toBe('unlimited');
      await ok(t, 'limelm.prod.editVers', { version_id: versionId, deact_limit: 7 });
      await ok(t, SET, { pkey_id: id, deact_limit: -2 });
      expect((await details(t, id)).deac_limit).toBe('7');
      await ok(t, SET, { pkey_id: id, deact_limit: '9223372036854775807' });
      expect((await details(t, id)).deac_limit).toBe('2147483647');
      await ok(t, 'limelm.prod.editVers', { version_id: versionId, deact_limit: -1 });
    });

    it('refuses a limit or count it cannot use with 190 instead of ignoring it, on every method that takes one', async () => {
      const { id } = await newKey();
      const before = await details(t, id);
      const bad = ['-3', '-1.5', '1.5', 'abc', '1e3', '99999999999999999999'];
      const cases: Array<[string, Record<string, string>, string, string[]]> = [
        [SET, { pkey_id: id }, 'deact_limit', bad],
        ['limelm.pkey.generate', { version_id: versionId }, 'deact_limit', bad],
        ['limelm.prod.editVers', { version_id: versionId }, 'deact_limit', [...bad, '-2']],
        [SET, { pkey_id: id }, 'num_acts', ['-1', '-5', '1.5', 'abc']],
        ['limelm.pkey.generate', { version_id: versionId }, 'num_acts', ['-1', 'abc']],
        ['limelm.pkey.generate', { version_id: versionId }, 'num_keys', ['-3', 'abc', '2.5']],
        [
          'limelm.trialExtension.generate',
          { version_id: versionId, length: '5', expires: '2999-01-01' },
          'max_uses',
          ['-3', 'abc'],
        ],
      ];
      for (const [method, base, name, values] of cases) {
        for (const value of values) {
          const message = await fails(
            t,
            method,
            { ...base, feature_name: ['edition'], feature_value: ['pro'], [name]: value },
            190,
          );
          expect(message, `${method} ${name}=${value}`).toMatch(new RegExp(`^Invalid parameter: ${name} `));
        }
      }
      expect(await details(t, id)).toEqual(before);
    });

    it('leaves everything not named as it was', async () => {
      const { id } = await newKey();
      await ok(t, SET, {
        pkey_id: id,
        num_acts: 4,
        email: 'keep@example.com',
        feature_name: ['seats'],
        feature_value: ['3'],
      });
      const before = await details(t, id);
      await ok(t, SET, { pkey_id: id, feature_name: ['seats'], feature_value: ['9'] });
      const after = await details(t, id);
      expect(after).toMatchObject({ acts: '4', email: 'keep@example.com' });
      expect(after.features.feature).toEqual(
        before.features.feature.map((f: { name: string }) =>
          f.name === 'seats' ? { name: 'seats', value: '9' } : f,
        ),
      );
    });

    it('molds feature values to the field type', async () => {
      const { id } = await newKey();
      await ok(t, SET, {
        pkey_id: id,
        feature_name: ['seats', 'updates until', 'edition'],
        feature_value: ['12abc', '2027-03-04', 42],
      });
      expect((await details(t, id)).features.feature).toEqual([
        { name: 'seats', value: '12' },
        { name: 'updates until', value: '2027-03-04 00:00:00' },
        { name: 'edition', value: '42' },
      ]);
      await ok(t, SET, { pkey_id: id, feature_name: ['seats'], feature_value: ['none'] });
      expect((await details(t, id)).features.feature[0]).toEqual({ name: 'seats', value: '0' });
    });

    it('keeps usernames when omitted, replaces them when given, removes them with one empty name', async () => {
      const { id } = await newKey();
      await ok(t, SET, {
        pkey_id: id,
        uname_limit_name: ['alice', 'bob'],
        uname_limit_platform: [1, 3],
      });
      const unames = async () => (await details(t, id)).uname_limits?.uname;
      expect(await unames()).toEqual([
        { name: 'alice', platform: '1' },
        { name: 'bob', platform: '3' },
      ]);
      await ok(t, SET, { pkey_id: id, num_acts: 2 });
      expect(await unames()).toHaveLength(2);
      await ok(t, SET, { pkey_id: id, uname_limit_name: ['carol'] });
      expect(await unames()).toEqual([{ name: 'carol', platform: '0' }]);
      await ok(t, SET, { pkey_id: id, uname_limit_name: [''] });
      expect(await unames()).toBeUndefined();
      const message = await fails(
        t,
        SET,
        { pkey_id: id, uname_limit_name: ['x'], uname_limit_platform: [5] },
        190,
      );
      expect(message).toMatch(/0 to 4/);
    });

    it('sets for_tfs and allow_vm (yes, no, inherit)', async () => {
      const { id } = await newKey();
      await ok(t, SET, { pkey_id: id, for_tfs: 'true', allow_vm: 'yes' });
      expect(await details(t, id)).toMatchObject({ for_tfs: 'true', allow_vm: 'yes' });
      await ok(t, SET, { pkey_id: id, allow_vm: 'inherit' });
      expect((await details(t, id)).allow_vm).toBe('no');
      await ok(t, 'limelm.prod.editVers', { version_id: versionId, allow_vm: 'yes' });
      expect((await details(t, id)).allow_vm).toBe('yes');
      await ok(t, 'limelm.prod.editVers', { version_id: versionId, allow_vm: 'no' });
    });

    it('1: the key does not exist', async () => {
      expect(await fails(t, SET, { pkey_id: 999999 }, 1)).toMatch(/not found/);
      await fails(t, SET, { pkey_id: 'not-an-id' }, 1);
      await fails(t, SET, {}, 1);
    });

    it('100: the API key is missing, unknown or revoked', async () => {
      const { id } = await newKey();
      await fails(t, SET, { pkey_id: id }, 100, { token: null });
      await fails(t, SET, { pkey_id: id }, 100, { token: 'kw_00000000_unknown' });
      const revoked = await nativeToken(t, {});
      const tokenId = (await t.call({ method: 'GET', url: '/v1/tokens' })).json().data.at(-1).id;
      await t.call({ method: 'DELETE', url: `/v1/tokens/${tokenId}` });
      await fails(t, SET, { pkey_id: id }, 100, { token: revoked });
    });

    it('101: the method does not exist', async () => {
      expect(await fails(t, 'limelm.pkey.setDetail', {}, 101)).toBe(
        'Method "limelm.pkey.setDetail" not found',
      );
    });

    it('164: the API key is used from more client addresses than its limit, until they are reset', async () => {
      const { id } = await newKey();
      const secret = await nativeToken(t, { maxClientAddresses: 1 });
      await ok(t, SET, { pkey_id: id, num_acts: 2 }, { token: secret, remoteAddress: '198.51.100.1' });
      expect(
        await fails(t, SET, { pkey_id: id }, 164, { token: secret, remoteAddress: '198.51.100.2' }),
      ).toBe('An API key must be used by a single device.');
      await ok(t, SET, { pkey_id: id }, { token: secret, remoteAddress: '198.51.100.1' });
      const tokenId = (await t.call({ method: 'GET', url: '/v1/tokens' })).json().data.at(-1).id;
      const reset = await t.call({ method: 'POST', url: `/v1/tokens/${tokenId}/actions/reset-addresses` });
      expect(reset.json()).toEqual({ cleared: 1 });
      await ok(t, SET, { pkey_id: id }, { token: secret, remoteAddress: '198.51.100.2' });
      // The native address locks read the same way.
      const bound = await nativeToken(t, { bindToFirstIp: true });
      await ok(t, SET, { pkey_id: id }, { token: bound, remoteAddress: '198.51.100.3' });
      expect(
        await fails(t, SET, { pkey_id: id }, 164, { token: bound, remoteAddress: '198.51.100.4' }),
      ).toMatch(/may not be used from this address/);
      const listed = await nativeToken(t, { ipAllowlist: ['203.0.113.0/24'] });
      await fails(t, SET, { pkey_id: id }, 164, { token: listed, remoteAddress: '198.51.100.5' });
    });

    it('110 and 111: raising num_acts beyond the API key’s activation allowance', async () => {
      const reseller = await nativeToken(t, { activationAllowance: 5 });
      const keySettings = { num_acts: 3, feature_name: ['edition'], feature_value: ['x'] };
      // A key the vendor made, and one the reseller made out of its allowance (3 of 5 seats).
      const { id } = await generateKey(t, versionId, keySettings);
      const own = (
        await ok(t, 'limelm.pkey.generate', { version_id: versionId, ...keySettings }, { token: reseller })
      ).pkeys.pkey[0].id;
      expect(await fails(t, SET, { pkey_id: own, num_acts: 6 }, 110, { token: reseller })).toBe(
        'You only have 2 activations left in your plan.',
      );
      await ok(t, SET, { pkey_id: own, num_acts: 5 }, { token: reseller });
      expect(await fails(t, SET, { pkey_id: id, num_acts: 4 }, 111, { token: reseller })).toBe(
        'You have no more activations left in your plan.',
      );
      // Lowering needs no allowance; the seats stay granted.
      await ok(t, SET, { pkey_id: own, num_acts: 1 }, { token: reseller });
      expect((await details(t, own)).acts).toBe('1');
    });

    it('116: feature names and values do not pair up', async () => {
      const { id } = await newKey();
      expect(
        await fails(t, SET, { pkey_id: id, feature_name: ['seats', 'edition'], feature_value: ['1'] }, 116),
      ).toBe('There must be equal amount of features as feature values.');
      await fails(t, SET, { pkey_id: id, feature_value: ['1'] }, 116);
    });

    it('117: a required feature is left without value', async () => {
      const { id } = await newKey();
      expect(await fails(t, SET, { pkey_id: id, feature_name: ['edition'], feature_value: [''] }, 117)).toBe(
        'You must enter a value for the feature "edition". It\'s a required feature.',
      );
      expect((await details(t, id)).features.feature).toContainEqual({ name: 'edition', value: 'pro' });
    });

    it('118: the API key is dormant (it still reads)', async () => {
      const { id } = await newKey();
      const dormant = await nativeToken(t, { isDormant: true });
      expect(await fails(t, SET, { pkey_id: id, num_acts: 3 }, 118, { token: dormant })).toBe(
        'Your account is in dormant mode. Re-enable your account.',
      );
      await ok(t, 'limelm.pkey.getDetails', { pkey_id: id }, { token: dormant });
      const tokenId = (await t.call({ method: 'GET', url: '/v1/tokens' })).json().data.at(-1).id;
      await t.call({ method: 'PATCH', url: `/v1/tokens/${tokenId}`, payload: { isDormant: false } });
      await ok(t, SET, { pkey_id: id, num_acts: 3 }, { token: dormant });
    });

    it('120: num_acts below the activations in use', async () => {
      const { id } = await newKey();
      await ok(t, SET, { pkey_id: id, num_acts: 3 });
      await activate(t, id, 'machine-a');
      await activate(t, id, 'machine-b');
      await fails(t, SET, { pkey_id: id, num_acts: 1 }, 120);
      await ok(t, SET, { pkey_id: id, num_acts: 2 });
      expect(await details(t, id)).toMatchObject({ acts: '2', acts_used: '2' });
    });

    it('153: switching between TurboActivate and TurboFloat with activations', async () => {
      const { id } = await newKey();
      await activate(t, id, 'machine-c');
      expect(await fails(t, SET, { pkey_id: id, for_tfs: 'true' }, 153)).toMatch(/can't change/);
      await ok(t, SET, { pkey_id: id, for_tfs: 'false' });
    });

    it('142: the server is in maintenance mode', async () => {
      const { id } = await newKey();
      t.keyward.maintenance.set(true);
      try {
        expect(await fails(t, SET, { pkey_id: id }, 142)).toMatch(/^Service currently unavailable/);
      } finally {
        t.keyward.maintenance.set(false);
      }
      await ok(t, SET, { pkey_id: id });
    });
  });
}

describe('pkey.setDetails when the database is unreachable', () => {
  it('142: answers in the envelope, not with a 500', async () => {
    const store = createStore({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/nowhere' });
    const keyward = createKeyward({
      store,
      clock: manualClock(),
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: () => {},
    });
    const app = await buildApp({
      keyward,
      logger: false,
      rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null },
      trustProxy: false,
    });
    try {
      const t = { app } as TestApp;
      const body = await call(t, SET, { pkey_id: 1 }, { token: 'kw_00000000_whatever' });
      expect(body).toMatchObject({ stat: 'fail', code: 142 });
    } finally {
      await app.close();
      await store.close();
    }
  });
});
