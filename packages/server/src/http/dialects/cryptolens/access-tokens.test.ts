import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../../core/access/principal.js';
import type { TokenInput } from '../../../core/access/token-grant.js';
import {
  answerOf,
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  decodeLicense,
  testActor,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';
import { HIDE } from './fields-to-return.js';

const DENIED = { result: 1, message: 'Access denied.' };

describe('Cryptolens access tokens: Keyward tokens with method, product, key and feature locks', () => {
  let t: TestApp;
  let productId: number;
  let policyId: number;
  let otherProductId: number;
  let key: string;
  let licenseId: number;
  let otherKey: string;

  beforeAll(async () => {
    t = await createTestApp();
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 5 }));
    ({ productId: otherProductId } = await cryptolensProduct(t));
    ({ key, id: licenseId } = await cryptolensLicense(t, policyId));
    ({ key: otherKey } = await cryptolensLicense(t, policyId));
  });
  afterAll(() => t.dispose());

  const as = (token: string, method: string, params: Record<string, string | number | boolean> = {}) =>
    answerOf(callCryptolens(t, method, { token, ProductId: productId, Key: key, ...params }));

  it('answers HTTP 401 "Unable to authenticate." for a missing, unknown or revoked token', async () => {
    for (const token of [undefined, 'kw_00000000_unknown', 'WyI0IiwiM0l0SiJd']) {
      const response = await callCryptolens(t, 'key/GetKey', {
        ...(token ? { token } : {}),
        ProductId: productId,
        Key: key,
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ result: 1, message: 'Unable to authenticate.' });
    }
    const { secret, token } = await t.keyward.tokens.create(
      testActor,
      {
        kind: 'token',
        token: await t.keyward.tokenAuthentication.authenticate(TEST_ADMIN_TOKEN, '127.0.0.1'),
      },
      { name: 'revoked', scopes: ['*'] },
    );
    await t.keyward.tokens.revoke(testActor, token.id);
    expect(
      (await callCryptolens(t, 'key/GetKey', { token: secret, ProductId: productId, Key: key })).statusCode,
    ).toBe(401);
  });

  it('reads the token from the query string or the form, under any casing of its name', async () => {
    const token = await cryptolensToken(t);
    const viaQuery = await t.app.inject({
      method: 'POST',
      url: `/cryptolens/api/key/GetKey?TOKEN=${encodeURIComponent(token)}`,
      payload: `ProductId=${productId}&Key=${key}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(viaQuery.json()).toMatchObject({ result: 0 });
    expect(await as(token, 'key/GetKey')).toMatchObject({ result: 0 });
  });

  it('the method lock allows only the methods it names, in any casing', async () => {
    const token = await cryptolensToken(t, { methodLock: ['key/GetKey', 'DATA/listdataobjectstokey'] });
    expect(await as(token, 'key/GetKey')).toMatchObject({ result: 0 });
    expect(await as(token, 'data/ListDataObjectsToKey')).toMatchObject({ result: 0 });
    expect(await as(token, 'key/Activate', { MachineCode: 'm' })).toEqual(DENIED);
    expect(await as(token, 'key/BlockKey')).toEqual(DENIED);
  });

  it('Keyward scopes still apply: each method needs its scope', async () => {
    const validateOnly = await cryptolensToken(t, { scopes: ['licenses:validate'] });
    expect(await as(validateOnly, 'key/GetKey')).toMatchObject({ result: 0 });
    expect(await as(validateOnly, 'key/Activate', { MachineCode: 'm' })).toEqual(DENIED);
    expect(await as(validateOnly, 'key/CreateKey', { Period: 1 })).toEqual(DENIED);
    const machinesOnly = await cryptolensToken(t, { scopes: ['machines:write'] });
    expect(await as(machinesOnly, 'key/Activate', { MachineCode: 'scoped' })).toMatchObject({ result: 0 });
  });

  it('a method needs only its own scope, also when it first finds what it names', async () => {
    const machinesOnly = await cryptolensToken(t, { scopes: ['machines:write'] });
    expect(await as(machinesOnly, 'key/Activate', { MachineCode: 'own-scope' })).toMatchObject({ result: 0 });
    const dataObjectsOnly = await cryptolensToken(t, { scopes: ['data-objects:read', 'data-objects:write'] });
    expect(
      await as(dataObjectsOnly, 'data/AddDataObjectToMachineCode', { MachineCode: 'own-scope', Name: 'os' }),
    ).toMatchObject({ result: 0 });
    expect(
      await as(dataObjectsOnly, 'data/ListDataObjectsToMachineCode', { MachineCode: 'own-scope' }),
    ).toMatchObject({ result: 0, dataObjects: [{ name: 'os' }] });
    const customer = await t.keyward.customers.create(testActor, { name: 'Own scope' });
    const licensesOnly = await cryptolensToken(t, { scopes: ['licenses:write'] });
    expect(await as(licensesOnly, 'key/ChangeCustomer', { CustomerId: customer.id })).toEqual({
      result: 0,
      message: '',
    });
    const customersOnly = await cryptolensToken(t, { scopes: ['customers:write'] });
    const onCustomer = (method: string, params: Record<string, string | number>) =>
      answerOf(callCryptolens(t, method, { token: customersOnly, CustomerId: customer.id, ...params }));
    expect(await onCustomer('customer/EditCustomer', { Notes: 'changed' })).toEqual({
      result: 0,
      message: null,
    });
    expect(await onCustomer('customer/RemoveCustomer', {})).toEqual({ result: 0, message: null });
    expect(await onCustomer('customer/RemoveCustomer', {})).toEqual({
      result: 1,
      message: 'Customer could not be found.',
    });
  });

  it('the product lock denies other products before revealing whether they exist', async () => {
    const token = await cryptolensToken(t, { productIds: [otherProductId] });
    expect(await as(token, 'key/GetKey')).toEqual(DENIED);
    expect(await as(token, 'key/GetKey', { ProductId: 987_654 })).toEqual(DENIED);
    expect(await as(token, 'product/GetKeys')).toEqual(DENIED);
  });

  it('the Web API log, templates and customers answer product and key locks as core decides them', async () => {
    const bare = (token: string, method: string, params: Record<string, string | number> = {}) =>
      answerOf(callCryptolens(t, method, { token, ...params }));
    const template = await t.keyward.licenseTemplates.create(testActor, { name: 'locks', policyId });
    const otherProduct = await cryptolensToken(t, { productIds: [otherProductId] });
    expect(await bare(otherProduct, 'ai/GetWebAPILog')).toEqual(DENIED);
    expect(await bare(otherProduct, 'ai/GetWebAPILog', { ProductId: otherProductId })).toEqual({
      logs: [],
      result: 0,
      message: '',
    });
    expect(await bare(otherProduct, 'key/CreateKeyFromTemplate', { LicenseTemplateId: template.id })).toEqual(
      DENIED,
    );
    expect(await bare(otherProduct, 'customer/GetCustomers', { CustomerId: 1 })).toEqual(DENIED);

    const keyLocked = await cryptolensToken(t, { licenseId });
    expect(await bare(keyLocked, 'ai/GetWebAPILog', { ProductId: productId })).toEqual(DENIED);
    expect(await as(keyLocked, 'ai/GetWebAPILog')).toMatchObject({ result: 0 });
    expect(await bare(keyLocked, 'key/CreateKeyFromTemplate', { LicenseTemplateId: template.id })).toEqual(
      DENIED,
    );
    // Naming a reseller on its own key needs no wider reach than changing the key.
    const reseller = await t.keyward.resellers.create(testActor, { name: 'Shop' });
    expect(await as(keyLocked, 'key/ChangeReseller', { ResellerId: reseller.id })).toEqual({
      result: 0,
      message: '',
    });
  });

  it('the key lock denies other keys; data-object methods say "permission and/or key"', async () => {
    const token = await cryptolensToken(t, { licenseId });
    expect(await as(token, 'key/GetKey')).toMatchObject({ result: 0 });
    // Another key is, to a key-locked token, a key that does not exist.
    expect(await as(token, 'key/GetKey', { Key: otherKey })).toEqual(
      await as(token, 'key/GetKey', { Key: 'NOPE0-NOPE0-NOPE0-NOPE0' }),
    );
    expect(await as(token, 'data/ListDataObjectsToKey', { Key: otherKey })).toEqual({
      result: 1,
      message: 'Not enough permission and/or key not found.',
    });
    expect(await as(token, 'data/ListDataObjectsToKey', { Key: 'NOPE' })).toEqual({
      result: 1,
      message: 'Not enough permission and/or key not found.',
    });
  });

  it('key lock -1 exchanges a token for one locked to a key with auth/KeyLock, the same one each time', async () => {
    const parent = await cryptolensToken(t, {
      scopes: ['data-objects:read', 'data-objects:write', 'licenses:validate'],
      canIssueLicenseTokens: true,
    });
    const first = await as(parent, 'auth/KeyLock');
    expect(first).toEqual({
      keyId: licenseId,
      token: expect.stringMatching(/^kw_[0-9a-f]{8}_/),
      result: 0,
      message: null,
    });
    expect((await as(parent, 'auth/KeyLock')).token).toBe(first.token);
    expect((await as(parent, 'auth/KeyLock', { Key: otherKey })).token).not.toBe(first.token);

    const locked = first.token as string;
    expect(await as(locked, 'data/AddDataObjectToKey', { Name: 'usage', IntValue: 1 })).toMatchObject({
      result: 0,
    });
    expect(await as(locked, 'data/AddDataObjectToKey', { Key: otherKey, Name: 'usage' })).toEqual({
      result: 1,
      message: 'Not enough permission and/or key not found.',
    });
    // The locked token cannot lock again, and a token without key lock -1 cannot lock at all.
    expect(await as(locked, 'auth/KeyLock')).toEqual(DENIED);
    expect(await as(await cryptolensToken(t), 'auth/KeyLock')).toEqual(DENIED);
    // Revoking the issued token is final: asking again does not revive it.
    const issued = (await t.keyward.tokens.list(operatorPrincipal, false)).find(
      (tk) => tk.licenseId === licenseId && tk.name.includes('issued'),
    );
    await t.keyward.tokens.revoke(testActor, issued?.id as number);
    expect(await as(parent, 'auth/KeyLock')).toEqual(DENIED);
  });

  it('revokes the tokens a token issued when that token is revoked', async () => {
    const parent = await cryptolensToken(t, { scopes: ['licenses:validate'], canIssueLicenseTokens: true });
    const issued = (await as(parent, 'auth/KeyLock')).token as string;
    expect(await as(issued, 'key/GetKey')).toMatchObject({ result: 0 });
    const parentRecord = (await t.keyward.tokens.list(operatorPrincipal, false))
      .filter((tk) => tk.canIssueLicenseTokens)
      .at(-1);
    await t.keyward.tokens.revoke(testActor, parentRecord?.id as number);
    const refused = await callCryptolens(t, 'key/GetKey', { token: issued, ProductId: productId, Key: key });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ result: 1, message: 'Unable to authenticate.' });
  });

  it('gives the feature lock its per-method meaning', async () => {
    // Activate/GetKey: the FieldsToReturn to use, whatever the request says.
    const masked = await cryptolensToken(t, { featureLock: HIDE.key });
    expect(
      decodeLicense(await as(masked, 'key/GetKey', { SignMethod: 1, FieldsToReturn: 0 })).Key,
    ).toBeNull();
    // CreateTrialKey: the trial's length in days.
    const tenDays = await cryptolensToken(t, { featureLock: 10 });
    const trial = await as(tenDays, 'key/CreateTrialKey', { MachineCode: 'trial-10' });
    const trialLicense = await t.keyward.licenses.getByKey(trial.key);
    expect(((trialLicense.expiresAt?.getTime() ?? 0) - trialLicense.createdAt.getTime()) / 86_400_000).toBe(
      10,
    );
    // Increment/DecrementIntValue: the largest step.
    const capped = await cryptolensToken(t, { featureLock: 5 });
    await as(capped, 'data/AddDataObjectToKey', { Name: 'counter' });
    expect(await as(capped, 'data/IncrementIntValueToKey', { Name: 'counter', IntValue: 5 })).toMatchObject({
      result: 0,
    });
    expect(await as(capped, 'data/IncrementIntValueToKey', { Name: 'counter', IntValue: 6 })).toEqual(DENIED);
    // CreateKeyFromTemplate: the one template allowed.
    const template = await t.keyward.licenseTemplates.create(testActor, { name: 'tpl', policyId });
    const other = await t.keyward.licenseTemplates.create(testActor, { name: 'other', policyId });
    const templateLocked = await cryptolensToken(t, { featureLock: template.id });
    expect(
      await as(templateLocked, 'key/CreateKeyFromTemplate', { LicenseTemplateId: template.id }),
    ).toMatchObject({
      result: 0,
      key: expect.any(String),
    });
    expect(await as(templateLocked, 'key/CreateKeyFromTemplate', { LicenseTemplateId: other.id })).toEqual({
      result: 1,
      message:
        'The specified template id is not allowed because feature lock. Please use an access token with feature lock set to 0 or set it to the id of the license template.',
    });
  });

  it('sets the locks through the native POST /v1/tokens, never wider than the creator’s', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/v1/tokens',
      payload: {
        name: 'app',
        scopes: ['licenses:validate', 'machines:write', 'tokens:write'],
        methodLock: ['key/Activate', 'key/GetKey'],
        featureLock: 4,
        canIssueLicenseTokens: true,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      methodLock: ['key/activate', 'key/getkey'],
      featureLock: 4,
      canIssueLicenseTokens: true,
    });
    const secret = created.json().secret as string;
    expect(await as(secret, 'key/BlockKey')).toEqual(DENIED);
    // Managing tokens is no operation its method lock names: refused natively, as in every dialect.
    const natively = await t.call({
      method: 'POST',
      url: '/v1/tokens',
      token: secret,
      payload: { name: 'narrower', scopes: ['licenses:validate'], methodLock: ['key/GetKey'] },
    });
    expect(natively.statusCode).toBe(403);
    // Core still never lets a locked creator hand out wider locks (auth/KeyLock issues through it).
    const creator = {
      kind: 'token' as const,
      token: await t.keyward.tokenAuthentication.authenticate(secret, '127.0.0.1'),
    };
    const create = (input: Omit<TokenInput, 'name'>) =>
      t.keyward.tokens.create(testActor, creator, { name: 'child', ...input });
    await expect(
      create({ scopes: ['licenses:validate'], methodLock: ['key/BlockKey'] }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(
      create({ scopes: ['licenses:validate'], methodLock: ['key/GetKey'], featureLock: 4 }),
    ).resolves.toMatchObject({ token: { methodLock: ['key/getkey'], featureLock: 4 } });
    await expect(create({ scopes: ['licenses:validate'], featureLock: 9 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});
