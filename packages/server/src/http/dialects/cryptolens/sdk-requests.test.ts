import { verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  decodeLicense,
  type Json,
  publicKeyOfXml,
  rsaPublicKeyXml,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { type LinqLicenseJson, linqSignBytes } from './linq-sign.js';

/**
 * Requests shaped exactly as the .NET and Python SDKs send them (spec §1.2): lower-case paths with doubled
 * and trailing slashes, every property of the .NET model (nulls as empty text, enums by name), Python's
 * `None` and `True`. They must get the answers the Node-shaped requests get.
 */
describe('requests shaped like the .NET, Python and Node SDKs', () => {
  let t: TestApp;
  let token: string;
  let productId: number;
  let policyId: number;

  beforeAll(async () => {
    t = await createTestApp();
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 3 }));
  });
  afterAll(() => t.dispose());

  const post = (url: string, form: Record<string, string>) =>
    answerOf(
      t.app.inject({
        method: 'POST',
        url,
        payload: new URLSearchParams(form).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'Cryptolens.Licensing/4.0.42',
        },
      }),
    );
  const publicKey = () => publicKeyOfXml(rsaPublicKeyXml(t));
  const verifiesStringSign = (answer: Json) =>
    verify(
      'sha256',
      Buffer.from(answer.licenseKey, 'base64'),
      publicKey(),
      Buffer.from(answer.signature, 'base64'),
    );
  /** Without SignDate, which is the signing instant of each answer. */
  const comparable = (license: Json) => ({ ...license, SignDate: 0 });

  it('.NET Key.Activate(token, ActivateModel): /api//key/activate/, LinqSign by name, modelversion 3', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    const answer = await post('/cryptolens/api//key/activate/', {
      token,
      ProductId: String(productId),
      Key: key,
      Sign: 'True',
      MachineCode: 'dotnet-pc',
      FriendlyName: '',
      FieldsToReturn: '0',
      SignMethod: 'LinqSign',
      Metadata: 'False',
      FloatingTimeInterval: '0',
      MaxOverdraft: '0',
      OSInfo: JSON.stringify({ OSName: 'Windows', OSVersion: '10.0', Is64Bit: true }),
      modelversion: '3',
      v: '1',
    });
    expect(answer).toMatchObject({ result: 0, message: '' });
    const license = answer.licenseKey as LinqLicenseJson;
    expect(license).toMatchObject({ productId, key, maxNoOfMachines: 3, reseller: null });
    expect(license.activatedMachines).toEqual([
      {
        mid: 'dotnet-pc',
        ip: expect.any(String),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
        friendlyName: null,
        floatingExpires: null,
      },
    ]);
    // What .NET's HasValidSignature does: rebuild the field string from the object and verify it.
    expect(
      verify(
        'sha256',
        linqSignBytes(license),
        publicKey(),
        Buffer.from(license.signature as string, 'base64'),
      ),
    ).toBe(true);
    const machine = (await t.store.machines.listActive((await t.keyward.licenses.getByKey(key)).id))[0];
    expect(machine).toMatchObject({ fingerprint: 'dotnet-pc', name: null, platform: 'Windows' });
  });

  it('.NET Activate(token, productId, key, machineCode) overload: StringSign by name', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    const answer = await post('/cryptolens/api//key/activate/', {
      token,
      ProductId: String(productId),
      Key: key,
      MachineCode: 'dotnet-2',
      Sign: 'True',
      SignMethod: 'StringSign',
      modelversion: '3',
      v: '1',
    });
    expect(verifiesStringSign(answer)).toBe(true);
    expect(decodeLicense(answer).ActivatedMachines[0]).toHaveProperty('FloatingExpires', null);
  });

  it('Python key.activate: /api//key/activate, None and True, metadata signed with SHA-512', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    const answer = await post('/cryptolens/api//key/activate', {
      token,
      ProductId: String(productId),
      key,
      MachineCode: 'py-pc',
      FieldsToReturn: '0',
      metadata: 'True',
      FloatingTimeInterval: '0',
      MaxOverdraft: '0',
      FriendlyName: 'None',
      ModelVersion: '3',
      Sign: 'True',
      SignMethod: '1',
    });
    expect(verifiesStringSign(answer)).toBe(true);
    const license = decodeLicense(answer);
    // Python builds ActivatedMachine(**item) and Reseller(**obj): only these keys may appear.
    expect(Object.keys(license.ActivatedMachines[0]).sort()).toEqual([
      'FloatingExpires',
      'FriendlyName',
      'IP',
      'Mid',
      'Time',
    ]);
    expect(license.ActivatedMachines[0].FriendlyName).toBeNull();
    const envelope = JSON.parse(Buffer.from(answer.metadata.signature, 'base64').toString('utf8'));
    expect(
      verify(
        'sha512',
        Buffer.from(envelope.Data, 'base64'),
        publicKey(),
        Buffer.from(envelope.Signature, 'base64'),
      ),
    ).toBe(true);
  });

  it('the same GetKey answer for the Node, Python and .NET shapes, and for GET with a query string', async () => {
    const { key } = await cryptolensLicense(t, policyId, { notes: 'same' });
    const node = await post('/cryptolens/api/key/GetKey', {
      token,
      ProductId: String(productId),
      Key: key,
      FieldsToReturn: '0',
      Metadata: 'false',
      Sign: 'true',
      SignMethod: '1',
    });
    const python = await post('/cryptolens/api//key/getkey', {
      token,
      ProductId: String(productId),
      key,
      FieldsToReturn: '0',
      metadata: 'False',
      FloatingTimeInterval: '0',
      Sign: 'True',
      SignMethod: '1',
    });
    const dotnet = await post('/cryptolens/api//key/getkey/', {
      token,
      ProductId: String(productId),
      Key: key,
      Sign: 'True',
      FieldsToReturn: '',
      SignMethod: 'StringSign',
      Metadata: 'False',
      FloatingTimeInterval: '',
      v: '1',
    });
    const query = new URLSearchParams({
      token,
      ProductId: String(productId),
      Key: key,
      Sign: 'true',
      SignMethod: '1',
    });
    const browser = await answerOf(
      t.app.inject({ method: 'GET', url: `/cryptolens/api/key/GetKey?${query}` }),
    );
    for (const answer of [node, python, dotnet, browser]) {
      expect(verifiesStringSign(answer)).toBe(true);
      expect(comparable(decodeLicense(answer))).toEqual(comparable(decodeLicense(node)));
    }
    // ModelVersion 3 (Python's) only adds fields.
    const python3 = decodeLicense(
      await post('/cryptolens/api//key/getkey', {
        token,
        ProductId: String(productId),
        key,
        ModelVersion: '3',
        SignMethod: '1',
      }),
    );
    expect(comparable(python3)).toMatchObject(comparable(decodeLicense(node)));
  });

  it('Node 1.0.11 sends JS null as the text "null": such values fall back to their defaults', async () => {
    const created = await post('/cryptolens/api/key/CreateKey', {
      token,
      ProductId: String(productId),
      Period: '3',
      Notes: '',
      Block: 'false',
      CustomerId: 'null',
      TrialActivation: 'false',
      MaxNoOfMachines: '0',
      AllowedMachines: 'null',
      ResellerId: '0',
      NoOfKeys: '1',
      F1: 'false',
      NewCustomer: 'false',
      AddOrUseExistingCustomer: 'false',
    });
    expect(created).toEqual({ key: expect.any(String), result: 0, message: '' });
    const license = await t.keyward.licenses.getByKey(created.key);
    expect(license).toMatchObject({ customerId: null, allowedMachines: [], notes: null });
  });

  it('Python message.get_messages and product.get_keys paths with trailing slashes', async () => {
    expect(await post('/cryptolens/api//message/getmessages/', { token, Channel: '', Time: '0' })).toEqual({
      messages: [],
      result: 0,
      message: '',
    });
    const keys = await post('/cryptolens/api//product/getkeys/', {
      token,
      ProductId: String(productId),
      Page: '1',
      OrderBy: 'ID ascending',
      SearchQuery: '',
    });
    expect(keys).toMatchObject({ result: 0, total: expect.any(Number) });
  });

  it('accepts JSON bodies and upper-case paths', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    const answer = await answerOf(
      t.app.inject({
        method: 'POST',
        url: '/cryptolens/API/KEY/GETKEY',
        payload: { token, productId, key, signMethod: 'StringSign', sign: true },
      }),
    );
    expect(verifiesStringSign(answer)).toBe(true);
  });
});
