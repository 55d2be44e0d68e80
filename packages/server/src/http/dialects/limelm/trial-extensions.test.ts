import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_EXTENSION_CONTEXT } from '../../../core/trials/verified-trial-service.js';
import { fails, ok, productWithVersion } from '../../../test-support/limelm-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

/** trialExtension.* and the 143 permission error of trial methods. */

describe('trial extensions', () => {
  let t: TestApp;
  let versionId: string;
  beforeAll(async () => {
    t = await createTestApp();
    t.clock.set(new Date('2030-06-15T12:00:00Z'));
    ({ versionId } = await productWithVersion(t, { trial_length: 14 }));
  });
  afterAll(() => t.dispose());

  it('generates online codes, shows, finds and deletes them', async () => {
    const generated = await ok(t, 'limelm.trialExtension.generate', {
      version_id: versionId,
      is_online: 'true',
      length: 10,
      expires: '2030-07-01',
      customer_id: 'cust-7',
      max_uses: 4,
    });
    const { id, extension } = generated.trialext;
    expect(extension).toMatch(/^([A-Z0-9]{4}-){6}[A-Z0-9]{4}$/);
    expect((await ok(t, 'limelm.trialExtension.getDetails', { ext_id: id })).trialext).toEqual({
      extension,
      length: '10',
      expires: '2030-07-01',
      cust_id: 'cust-7',
      uses: '0',
      max_uses: '4',
    });
    expect(
      (await ok(t, 'limelm.trialExtension.getID', { version_id: versionId, ext: extension })).trialext,
    ).toEqual({
      id,
    });
    const found = await ok(t, 'limelm.trialExtension.search', {
      version_id: versionId,
      customer_id: 'cust-7',
    });
    expect(found.extensions.ext).toEqual([
      { id, extension, expires: '2030-07-01', uses: '0', max_uses: '4' },
    ]);
    await fails(t, 'limelm.trialExtension.search', { version_id: versionId, customer_id: 'nobody' }, 136);
    await ok(t, 'limelm.trialExtension.delete', { ext_id: id });
    await fails(t, 'limelm.trialExtension.getDetails', { ext_id: id }, 135);
    await fails(t, 'limelm.trialExtension.delete', { ext_id: id }, 135);
  });

  it('offline codes carry their terms signed with the ed25519 key', async () => {
    const generated = await ok(t, 'limelm.trialExtension.generate', {
      version_id: versionId,
      is_online: 'false',
      length: 5,
      expires: '2030-12-31',
    });
    const [prefix, payload, signature] = generated.trialext.extension.split('.');
    expect(prefix).toBe('KWTX1');
    const keys = (await t.call({ method: 'GET', url: '/v1/signing-keys', token: null })).json().data;
    const publicKey = createPublicKey(
      keys.find((k: { algorithm: string }) => k.algorithm === 'ed25519').publicKeyPem,
    );
    expect(
      verify(
        null,
        Buffer.from(`${OFFLINE_EXTENSION_CONTEXT}${payload}`),
        publicKey,
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(true);
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      policyId: Number(versionId),
      lengthSeconds: 5 * 86_400,
      redeemableUntil: '2031-01-01T00:00:00.000Z',
    });
    expect(
      (await ok(t, 'limelm.trialExtension.getDetails', { ext_id: generated.trialext.id })).trialext.max_uses,
    ).toBe('0');
  });

  it('refuses with 108, 109, 121, 122, 135, 144', async () => {
    const base = { version_id: versionId, length: 3, expires: '2030-07-01' };
    expect(await fails(t, 'limelm.trialExtension.generate', { ...base, length: undefined }, 121)).toBe(
      'You must specify the length of the trial using the "length" parameter.',
    );
    await fails(t, 'limelm.trialExtension.generate', { ...base, length: 0 }, 121);
    for (const expires of [undefined, '2030-06-15', '2020-01-01', 'soon']) {
      await fails(t, 'limelm.trialExtension.generate', { ...base, expires }, 122);
    }
    await fails(t, 'limelm.trialExtension.generate', { ...base, version_id: undefined }, 108);
    await fails(t, 'limelm.trialExtension.generate', { ...base, version_id: 999999 }, 109);
    await fails(t, 'limelm.trialExtension.getDetails', {}, 108);
    await fails(t, 'limelm.trialExtension.getDetails', { ext_id: 'abc' }, 135);
    expect(await fails(t, 'limelm.trialExtension.getID', { version_id: versionId }, 144)).toBe(
      'The trial extension is missing.',
    );
    await fails(t, 'limelm.trialExtension.getID', { version_id: versionId, ext: 'NOPE' }, 135);
  });

  it('answers 143 to a token without the trial methods’ scope', async () => {
    const secret = (
      await t.call({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'keys only', scopes: ['licenses:read'] },
      })
    ).json().secret;
    for (const method of [
      'limelm.trialExtension.generate',
      'limelm.trialExtension.search',
      'limelm.trial.advancedSearch',
    ]) {
      expect(await fails(t, method, { version_id: versionId }, 143, { token: secret })).toMatch(
        /^You do not have permission/,
      );
    }
  });
});
