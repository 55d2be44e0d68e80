import { verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  type Json,
  publicKeyOfXml,
  rsaPublicKeyXml,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { type LinqLicenseJson, linqSignBytes } from './linq-sign.js';

/**
 * LinqSign (SignMethod=0) signs the license's fields joined with commas, and the client rebuilds that text
 * from the JSON it received. A value holding a separator would let an attacker re-cut the signed text into
 * other fields: these tests stage the attack of a caller who may only activate.
 */
describe('LinqSign field injection', () => {
  let t: TestApp;
  let token: string;
  let policyId: number;
  let productId: number;

  beforeAll(async () => {
    t = await createTestApp();
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 1 }));
  });
  afterAll(() => t.dispose());

  const activate = (key: string, machineCode: string) =>
    answerOf(
      callCryptolens(t, 'key/Activate', {
        token,
        ProductId: productId,
        Key: key,
        MachineCode: machineCode,
        Sign: true,
        ModelVersion: 3,
      }),
    );

  /**
   * The forgery: the machine code carries a whole second license (F1–F8 on, expiry 2099, an extra
   * machine), and the forged JSON moves the real fields into its `key`, so it rebuilds the signed text.
   */
  it('a machine code cannot carry fields that re-cut the signed text', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    const fakeFields = [
      '2024-01-01T00:00:00', // created
      '2099-01-01T00:00:00', // expires
      '36500', // period
      ...Array(8).fill('True'), // F1…F8
      '', // notes
      'False', // block
      '1', // globalId
      '', // customer (null)
      '[pwn,1.1.1.1,2024-01-01T00:00:00', // an extra machine, then the real entry's mid
    ];
    const machineCode = `x,${fakeFields.join(',')},my-pc`;
    const answer = await activate(key, machineCode);
    const pub = publicKeyOfXml(rsaPublicKeyXml(t));
    if (answer.result === 0) {
      const real = answer.licenseKey as LinqLicenseJson;
      const signature = Buffer.from(real.signature as string, 'base64');
      expect(verify('sha256', linqSignBytes(real), pub, signature)).toBe(true);
      const machine = real.activatedMachines?.[0] as Json;
      // Everything from the key up to the machine list, and the machine code up to its first comma.
      const realText = linqSignBytes(real).toString('utf16le');
      const prefix = realText.slice(realText.indexOf(',', realText.indexOf(',') + 1) + 1);
      const forgedKey = prefix.slice(0, prefix.indexOf(machineCode)) + 'x';
      const forged: LinqLicenseJson = {
        ...real,
        key: forgedKey,
        created: '2024-01-01T00:00:00',
        expires: '2099-01-01T00:00:00',
        period: 36500,
        f1: true,
        f2: true,
        f3: true,
        f4: true,
        f5: true,
        f6: true,
        f7: true,
        f8: true,
        notes: null,
        block: false,
        globalId: 1,
        customer: null,
        activatedMachines: [
          { mid: 'pwn', ip: '1.1.1.1', time: '2024-01-01T00:00:00' },
          { mid: 'my-pc', ip: machine.ip, time: machine.time },
        ],
      };
      // Before the fix this verified: a genuine signature over a license nobody issued.
      expect(verify('sha256', linqSignBytes(forged), pub, signature)).toBe(false);
    }
    // The machine code is refused at activation, in the dialect's envelope, and nothing was activated.
    expect(answer).toMatchObject({ result: 1 });
    expect(answer.message).toMatch(/machine code/i);
    const license = await t.keyward.licenses.getByKey(key);
    expect(await t.store.machines.listActive(license.id)).toEqual([]);
  });

  const getKey = (key: string, params: Record<string, string | number | boolean> = {}) =>
    answerOf(
      callCryptolens(t, 'key/GetKey', {
        token,
        ProductId: productId,
        Key: key,
        Sign: true,
        ModelVersion: 3,
        ...params,
      }),
    );
  const SEPARATOR = /[,[\]]/;

  it('display text an app may write (notes) loses its separators in a signed answer, which still verifies', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    const notes = 'Acme, Inc. [EU],True,True,[pwn,1.1.1.1,2024-01-01T00:00:00,]';
    const changed = await answerOf(
      callCryptolens(t, 'key/ChangeNotes', { token, ProductId: productId, Key: key, Notes: notes }),
    );
    expect(changed.result, changed.message).toBe(0);
    const answer = await getKey(key);
    expect(answer.result, answer.message).toBe(0);
    const signed = answer.licenseKey as LinqLicenseJson;
    expect(signed.notes).toBe(
      'Acme\u201A Inc. \uFF3BEU\uFF3D\u201ATrue\u201ATrue\u201A\uFF3Bpwn\u201A1.1.1.1\u201A2024-01-01T00:00:00\u201A\uFF3D',
    );
    const pub = publicKeyOfXml(rsaPublicKeyXml(t));
    expect(
      verify('sha256', linqSignBytes(signed), pub, Buffer.from(signed.signature as string, 'base64')),
    ).toBe(true);
    // Unsigned answers have nothing to protect: the notes as stored.
    expect((await getKey(key, { Sign: false })).licenseKey.notes).toBe(notes);
    // JSON (SignMethod=1) cannot be re-cut: the notes as stored, signed.
    const json = await getKey(key, { SignMethod: 1 });
    expect(JSON.parse(Buffer.from(json.licenseKey, 'base64').toString('utf8')).Notes).toBe(notes);
  });

  it('the signer refuses a text whose identity values hold a separator, whatever the callers checked', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    const license = await t.keyward.licenses.getByKey(key);
    // A machine recorded before the fingerprint rule existed (or by a path that skipped it).
    const at = t.keyward.clock.now();
    await t.store.machines.insert({
      licenseId: license.id,
      fingerprint: 'old,machine',
      name: null,
      ip: null,
      platform: null,
      isVm: false,
      username: null,
      createdAt: at,
      lastSeenAt: at,
      leaseExpiresAt: null,
      isOverdraft: false,
      expiresAt: null,
      deactivatedAt: null,
    });
    const refused = await getKey(key);
    expect(refused).toMatchObject({ result: 1 });
    expect(refused.message).toMatch(/SignMethod=1.*machine code/);
    // Unsigned, or as JSON, the license is still served.
    expect((await getKey(key, { Sign: false })).result).toBe(0);
    const json = await getKey(key, { SignMethod: 1 });
    expect(json.result).toBe(0);
    expect(JSON.parse(Buffer.from(json.licenseKey, 'base64').toString('utf8')).ActivatedMachines[0].Mid).toBe(
      'old,machine',
    );
    expect(SEPARATOR.test('old,machine')).toBe(true);
  });

  it('every activation surface refuses such fingerprints, and allowed machines too', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    for (const fingerprint of ['a,b', 'a[b', 'a]b', 'a\nb', 'a\u0000b', 'a\u200Bb', 'a\u2028b']) {
      const native = await t.app.inject({
        method: 'POST',
        url: '/v1/machines',
        headers: { authorization: `Bearer ${token}` },
        payload: { key, fingerprint },
      });
      expect(native.statusCode, fingerprint).toBe(400);
      expect(native.json().error).toMatchObject({ code: 'INVALID_INPUT' });
      expect(native.json().error.details.field).toMatch(/fingerprint$/);
    }
    const trial = await answerOf(
      callCryptolens(t, 'key/CreateTrialKey', { token, ProductId: productId, MachineCode: 'x,y' }),
    );
    expect(trial).toMatchObject({ result: 1 });
    const allowed = await t.app.inject({
      method: 'POST',
      url: '/v1/licenses',
      headers: { authorization: `Bearer ${token}` },
      payload: { policyId, allowedMachines: ['ok', 'not,ok'] },
    });
    expect(allowed.statusCode).toBe(400);
    expect(allowed.json().error.details).toMatchObject({ field: 'allowedMachines' });
    // Ordinary machine codes (hex digests, MAC addresses, names with spaces, `floating:` ids) pass.
    for (const fingerprint of ['3f9a0c', '00:1A:2B:3C:4D:5E', 'DESKTOP 42', 'Büro-PC']) {
      const { key: fresh } = await cryptolensLicense(t, policyId);
      const answer = await activate(fresh, fingerprint);
      expect(answer.result, answer.message).toBe(0);
    }
  });
});
