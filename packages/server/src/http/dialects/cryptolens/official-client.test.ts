import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  type Json,
  rsaPublicKeyXml,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';

/** The official npm client, cryptolens@1.0.11 (CommonJS, untyped): the API it exposes, as these tests use it. */
interface CryptolensClient {
  Key: {
    Activate(...args: unknown[]): Promise<Json>;
    GetKey(...args: unknown[]): Promise<Json>;
    Deactivate(...args: unknown[]): Promise<string>;
    CreateKey(...args: unknown[]): Promise<Json>;
    CreateTrialKey(...args: unknown[]): Promise<string | null>;
    CreateKeyFromTemplate(...args: unknown[]): Promise<string>;
    ExtendLicense(...args: unknown[]): Promise<Json>;
    AddFeature(...args: unknown[]): Promise<Json>;
    RemoveFeature(...args: unknown[]): Promise<Json>;
    ChangeNotes(...args: unknown[]): Promise<Json>;
  };
  Data: { AddDataObjectToKey(...args: unknown[]): Promise<number> };
  Helpers: {
    HasFeature(license: Json, feature: number | string): boolean;
    HasExpired(license: Json): boolean;
    IsOnRightMachineCustom(
      license: Json,
      machineCode: string,
      isFloating: boolean,
      allowOverdraft: boolean,
    ): boolean;
    SaveAsString(license: Json): string;
    LoadFromString(publicKey: string, text: string, signatureExpirationInterval?: number): Json | null;
  };
}
const { Key, Data, Helpers } = createRequire(import.meta.url)('cryptolens') as CryptolensClient;

const DAY = 86_400;

describe('the official cryptolens@1.0.11 client against a listening Keyward', () => {
  let t: TestApp;
  let url: string;
  let publicKey: string;
  let token: string;
  let productId: number;
  let policyId: number;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/cryptolens`;
    publicKey = rsaPublicKeyXml(t);
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 2 }));
  });
  afterAll(() => t.dispose());
  // The client prints answers and hints to the console; the tests read its return values instead.
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });

  const newKey = async () => (await cryptolensLicense(t, policyId)).key;

  it('activates node-locked seats, verifies the signature itself and finds its machine', async () => {
    const key = await newKey();
    const license = await Key.Activate(token, publicKey, productId, key, 'machine-a', 0, false, 0, 0, url);
    expect(license).toMatchObject({ ProductId: productId, Key: key, MaxNoOfMachines: 2, Block: false });
    expect(license.ActivatedMachines).toEqual([
      { Mid: 'machine-a', IP: expect.any(String), Time: expect.any(Number) },
    ]);
    expect(Helpers.IsOnRightMachineCustom(license, 'machine-a', false, false)).toBe(true);
    expect(Helpers.IsOnRightMachineCustom(license, 'machine-b', false, false)).toBe(false);
    expect(Helpers.HasExpired(license)).toBe(false);

    await Key.Activate(token, publicKey, productId, key, 'machine-b', 0, false, 0, 0, url);
    await expect(
      Key.Activate(token, publicKey, productId, key, 'machine-c', 0, false, 0, 0, url),
    ).rejects.toThrow('Cannot activate the new device as the limit has been reached.');
    // A machine already holding a seat activates again on every start.
    const again = await Key.Activate(token, publicKey, productId, key, 'machine-a', 0, false, 0, 0, url);
    expect(again.ActivatedMachines.map((m: Json) => m.Mid)).toEqual(['machine-a', 'machine-b']);
  });

  it('refuses an answer signed by another key', async () => {
    const otherKey =
      '<RSAKeyValue><Modulus>sGbvxwdlDbqFXOMlVUnAF5ew0t0WpPW7rFpI5jHQOFkht/326dvh7t74RYeMpjy357NljouhpTLA3a6idnn4j6c3jmPWBkjZndGsPL4Bqm+fwE48nKpGPjkj4q/yzT4tHXBTyvaBjA8bVoCTnu+LiC4XEaLZRThGzIn5KQXKCigg6tQRy0GXE13XYFVz/x1mjFbT9/7dS8p85n8BuwlY5JvuBIQkKhuCNFfrUxBWyu87CFnXWjIupCD2VO/GbxaCvzrRjLZjAngLCMtZbYBALksqGPgTUN7ZM24XbPWyLtKPaXF2i4XRR9u6eTj5BfnLbKAU5PIVfjIS+vNYYogteQ==</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>';
    await expect(
      Key.Activate(token, otherKey, productId, await newKey(), 'm', 0, false, 0, 0, url),
    ).rejects.toThrow('Signature verification failed.');
  });

  it('reports a bad token and an unknown key in the vendor’s words', async () => {
    await expect(
      Key.Activate('kw_00000000_wrong', publicKey, productId, await newKey(), 'm', 0, false, 0, 0, url),
    ).rejects.toThrow('Unable to authenticate.');
    await expect(
      Key.Activate(token, publicKey, productId, 'AAAAA-BBBBB-CCCCC-DDDDD', 'm', 0, false, 0, 0, url),
    ).rejects.toThrow('Could not find the key.');
    await expect(
      Key.Activate(token, publicKey, 999_999, await newKey(), 'm', 0, false, 0, 0, url),
    ).rejects.toThrow('Could not find the product.');
  });

  it('holds floating seats with the floating: prefix, and overdraft seats with a 19-character prefix', async () => {
    const key = await newKey();
    const floating = (mc: string, overdraft = 0) =>
      Key.Activate(token, publicKey, productId, key, mc, 0, true, 300, overdraft, url);
    const first = await floating('f-1');
    expect(first.ActivatedMachines).toEqual([
      { Mid: 'floating:f-1', IP: expect.any(String), Time: expect.any(Number) },
    ]);
    expect(Helpers.IsOnRightMachineCustom(first, 'f-1', true, false)).toBe(true);
    expect(Helpers.IsOnRightMachineCustom(first, 'f-1', false, false)).toBe(false);
    expect(first.RawResponse.metadata).toMatchObject({ usedFloatingMachines: 1 });
    await floating('f-2');
    await expect(floating('f-3')).rejects.toThrow(
      'Cannot activate the new device as the limit has been reached.',
    );

    const over = await floating('f-3', 1);
    expect(over.ActivatedMachines).toEqual([
      { Mid: 'floating:overdraft:f-3', IP: expect.any(String), Time: expect.any(Number) },
    ]);
    expect('floating:overdraft:'.length).toBe(19);
    expect(Helpers.IsOnRightMachineCustom(over, 'f-3', true, true)).toBe(true);
    expect(Helpers.IsOnRightMachineCustom(over, 'f-3', true, false)).toBe(false);
    await expect(floating('f-4', 1)).rejects.toThrow(
      'Cannot activate the new device as the limit has been reached.',
    );

    // Releasing a lease frees its seat; a lapsed lease frees it by itself.
    expect(await Key.Deactivate(token, productId, key, 'f-1', true, null, url)).toBe('');
    expect(await Key.Deactivate(token, productId, key, 'f-3', true, null, url)).toBe('');
    // Releasing a lease that is not held is no error.
    expect(await Key.Deactivate(token, productId, key, 'never-seen', true, null, url)).toBe('');
    await floating('f-4');
    await expect(floating('f-5')).rejects.toThrow(
      'Cannot activate the new device as the limit has been reached.',
    );
    t.clock.advance(301);
    await floating('f-5');
  });

  it('reads a license with GetKey and frees a node-locked seat with Deactivate', async () => {
    const key = await newKey();
    await Key.Activate(token, publicKey, productId, key, 'reader', 0, false, 0, 0, url);
    const read = await Key.GetKey(token, publicKey, productId, key, 0, true, url);
    expect(read.ActivatedMachines.map((m: Json) => m.Mid)).toEqual(['reader']);
    expect(read.RawResponse.metadata.licenseStatus).toMatchObject({ isValid: true, reasonForInvalidity: 0 });

    expect(await Key.Deactivate(token, productId, key, 'reader', false, null, url)).toBe('');
    expect((await Key.GetKey(token, publicKey, productId, key, 0, false, url)).ActivatedMachines).toEqual([]);
    await expect(Key.Deactivate(token, productId, key, 'reader', false, null, url)).rejects.toThrow(
      'Either the machine code was never activated or key activation feature was never set up.',
    );
  });

  it('creates keys, extends them, switches features and changes notes', async () => {
    const created = await Key.CreateKey(
      token,
      productId,
      30,
      'first notes',
      false,
      null,
      false,
      3,
      null,
      0,
      1,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      url,
    );
    expect(created).toMatchObject({
      key: expect.stringMatching(/^[A-Z2-9]{5}(-[A-Z2-9]{5}){3}$/),
      result: 0,
    });
    const key = created.key;
    const license = await Key.GetKey(token, publicKey, productId, key, 0, false, url);
    expect(license).toMatchObject({
      Period: 30,
      F1: true,
      F2: false,
      F8: true,
      Notes: 'first notes',
      MaxNoOfMachines: 3,
    });
    expect(license.Expires - license.Created).toBe(30 * DAY);
    expect(Helpers.HasFeature(license, 1)).toBe(true);
    expect(Helpers.HasFeature(license, 2)).toBe(false);

    expect(await Key.ExtendLicense(token, productId, key, 10, url)).toMatchObject({ result: 0 });
    await Key.AddFeature(token, productId, key, 2, url);
    await Key.RemoveFeature(token, productId, key, 1, url);
    await Key.ChangeNotes(token, productId, key, 'second notes', url);
    const changed = await Key.GetKey(token, publicKey, productId, key, 0, false, url);
    expect(changed.Expires - license.Expires).toBe(10 * DAY);
    expect(changed).toMatchObject({ F1: false, F2: true, Notes: 'second notes' });
    await expect(Key.ChangeNotes(token, productId, key, 'x'.repeat(501), url)).rejects.toThrow(
      'The notes field cannot be more than 500 characters.',
    );
  });

  it('creates one trial key per machine, and keys from a license template', async () => {
    const trialKey = await Key.CreateTrialKey(token, productId, 'trial-machine', url);
    expect(trialKey).toEqual(expect.any(String));
    expect(await Key.CreateTrialKey(token, productId, 'trial-machine', url)).toBe(trialKey);
    const trial = await Key.Activate(
      token,
      publicKey,
      productId,
      trialKey,
      'trial-machine',
      0,
      false,
      0,
      0,
      url,
    );
    expect(trial.Expires - trial.Created).toBe(15 * DAY);
    expect(Helpers.IsOnRightMachineCustom(trial, 'trial-machine', false, false)).toBe(true);
    await expect(
      Key.Activate(token, publicKey, productId, trialKey, 'another-machine', 0, false, 0, 0, url),
    ).rejects.toThrow('Cannot activate the new device as the limit has been reached.');

    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/license-templates',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: {
        name: 'Pro yearly',
        policyId,
        durationSeconds: 365 * DAY,
        maxMachines: 5,
        features: { f3: true },
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    const templateKey = await Key.CreateKeyFromTemplate(token, response.json().id, url);
    const fromTemplate = await Key.GetKey(token, publicKey, productId, templateKey, 0, false, url);
    expect(fromTemplate).toMatchObject({ Period: 365, MaxNoOfMachines: 5, F3: true });
  });

  it('reads nested features from a data object added with Data.AddDataObjectToKey', async () => {
    const key = await newKey();
    const tree = JSON.stringify(['f1', ['f2', [['voice', ['all']], 'image']]]);
    const id = await Data.AddDataObjectToKey(
      token,
      productId,
      key,
      false,
      'cryptolens_features',
      tree,
      0,
      url,
    );
    expect(id).toEqual(expect.any(Number));
    const license = await Key.Activate(token, publicKey, productId, key, 'features', 0, false, 0, 0, url);
    expect(license.DataObjects).toEqual([
      { Id: id, Name: 'cryptolens_features', StringValue: tree, IntValue: 0 },
    ]);
    expect(Helpers.HasFeature(license, 'f2.voice.all')).toBe(true);
    expect(Helpers.HasFeature(license, 'f2.image')).toBe(true);
    expect(Helpers.HasFeature(license, 'f2.video')).toBe(false);
    expect(Helpers.HasFeature(license, 'f3')).toBe(false);
  });

  it('saves a license as a string and loads it back offline, checking signature and its age', async () => {
    const key = await newKey();
    const license = await Key.Activate(token, publicKey, productId, key, 'offline', 0, false, 0, 0, url);
    const saved = Helpers.SaveAsString(license);
    const loaded = Helpers.LoadFromString(publicKey, saved, 3);
    expect(loaded).toMatchObject({ Key: key, ActivatedMachines: [{ Mid: 'offline' }] });

    const tampered = JSON.parse(saved);
    tampered.licenseKey = Buffer.from(
      Buffer.from(tampered.licenseKey, 'base64').toString('utf8').replace('"Block":false', '"Block":true '),
    ).toString('base64');
    expect(Helpers.LoadFromString(publicKey, JSON.stringify(tampered))).toBeNull();

    // SignDate is the signing time: a license signed ten days ago is too old for a three-day interval.
    const now = t.clock.now();
    t.clock.set(new Date(now.getTime() - 10 * DAY * 1000));
    const old = await Key.Activate(token, publicKey, productId, key, 'offline', 0, false, 0, 0, url);
    t.clock.set(now);
    expect(Helpers.LoadFromString(publicKey, Helpers.SaveAsString(old), 3)).toBeNull();
    expect(Helpers.LoadFromString(publicKey, Helpers.SaveAsString(old), 30)).not.toBeNull();
  });
});
