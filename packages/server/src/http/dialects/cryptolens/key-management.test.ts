import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  decodeLicense,
  testActor,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

const dialects = await testDialects();

describe.each(dialects)('Cryptolens key/ management methods (%s)', (dialect) => {
  let t: TestApp;
  let token: string;
  let productId: number;
  let policyId: number;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 2 }));
  });
  afterAll(() => t.dispose());

  const call = (method: string, params: Record<string, string | number | boolean | null> = {}) =>
    answerOf(callCryptolens(t, method, { token, ProductId: productId, ...params }));
  const read = async (key: string, params: Record<string, string | number> = {}) =>
    decodeLicense(await call('key/GetKey', { Key: key, SignMethod: 1, ...params }));

  it('CreateKey makes several keys, blocked ones, with allowed machines and a perpetual Period 0', async () => {
    const many = await call('key/CreateKey', {
      Period: 0,
      NoOfKeys: 3,
      Block: 'True',
      AllowedMachines: 'a\r\nb\n',
    });
    expect(many).toEqual({
      key: many.keys[0],
      keys: [expect.any(String), expect.any(String), expect.any(String)],
      result: 0,
      message: '',
    });
    const license = await read(many.key);
    expect(license).toMatchObject({ Block: true, AllowedMachines: 'a\nb', Period: 0, MaxNoOfMachines: 2 });
    expect(license.Expires).toBe(Date.UTC(9999, 0, 1) / 1000);
    expect(await call('key/CreateKey', { NoOfKeys: 1001 })).toEqual({
      result: 1,
      message: 'The input parameters were incorrect.',
    });
    expect(await call('key/CreateKey', { CustomerId: 424_242 })).toEqual({
      result: 1,
      message: 'Could not find the customer.',
    });
    expect(await call('key/CreateKey', { Notes: 'n'.repeat(501) })).toEqual({
      result: 1,
      message: 'The notes field cannot be more than 500 characters.',
    });
  });

  it('CreateKey with NewCustomer creates the customer in the same write; AddOrUseExistingCustomer reuses by email', async () => {
    const created = await call('key/CreateKey', { NewCustomer: true, Name: 'Ada', Email: 'Ada@Example.com' });
    expect(created.customerId).toEqual(expect.any(Number));
    const license = await read(created.key);
    expect(license.Customer).toMatchObject({ Id: created.customerId, Name: 'Ada', Email: 'ada@example.com' });
    const reused = await call('key/CreateKey', {
      AddOrUseExistingCustomer: true,
      Name: 'Ada L.',
      Email: 'ada@example.com',
    });
    expect(reused.customerId).toBe(created.customerId);

    const withoutAddCustomer = await cryptolensToken(t, { methodLock: ['key/createkey'] });
    expect(
      await answerOf(
        callCryptolens(t, 'key/CreateKey', {
          token: withoutAddCustomer,
          ProductId: productId,
          NewCustomer: true,
          Name: 'x',
        }),
      ),
    ).toEqual({ result: 1, message: "Access denied. Please add 'AddCustomer' permission." });
    // A refused creation leaves no license behind: the batch is one transaction.
    const before = (await t.keyward.licenses.list({ productId }, { after: null, limit: 1000 })).length;
    expect(await call('key/CreateKey', { NewCustomer: true, Name: 'n'.repeat(101) })).toMatchObject({
      result: 1,
    });
    expect((await t.keyward.licenses.list({ productId }, { after: null, limit: 1000 })).length).toBe(before);
  });

  it('changes a key: machine limit, customer, reseller, trial activation, block and unblock', async () => {
    const { key } = await cryptolensLicense(t, policyId, {
      expiresAt: new Date(t.clock.now().getTime() + 3 * 86_400_000),
    });
    await call('key/MachineLockLimit', { Key: key, NumberOfMachines: 7 });
    expect((await read(key)).MaxNoOfMachines).toBe(7);
    expect(await call('key/MachineLockLimit', { Key: key })).toMatchObject({ result: 1 });

    const customer = await t.keyward.customers.create(testActor, { name: 'Bob', company: 'SKM' });
    expect(await call('key/ChangeCustomer', { Key: key, CustomerId: customer.id })).toEqual({
      result: 0,
      message: '',
    });
    expect((await read(key)).Customer).toMatchObject({ Id: customer.id, Name: 'Bob', CompanyName: 'SKM' });
    expect(await call('key/ChangeCustomer', { Key: key, CustomerId: 0 })).toEqual({
      result: 0,
      message: 'Customer not found, so current key no longer references any customer.',
    });
    expect((await read(key)).Customer).toBeNull();

    const reseller = await t.keyward.resellers.create(testActor, {
      name: 'Shop',
      url: 'https://shop.example',
    });
    await call('key/ChangeReseller', { Key: key, ResellerId: reseller.id });
    expect((await read(key, { ModelVersion: 3 })).Reseller).toEqual({
      Id: reseller.id,
      InviteId: 0,
      ResellerUserId: 0,
      Created: Math.floor(reseller.createdAt.getTime() / 1000),
      Name: 'Shop',
      Url: 'https://shop.example',
      Email: '',
      Phone: '',
      Description: '',
    });
    expect((await call('key/ChangeReseller', { Key: key, ResellerId: 0 })).message).toMatch(
      /no longer references/,
    );

    await call('key/TrialActivation', { Key: key, Enabled: 'True' });
    const trial = await read(key);
    expect(trial).toMatchObject({ TrialActivation: true, Period: 3 });
    await call('key/TrialActivation', { Key: key });
    expect((await read(key)).TrialActivation).toBe(false);

    await call('key/BlockKey', { Key: key });
    expect((await read(key)).Block).toBe(true);
    await call('key/UnblockKey', { Key: key });
    expect((await read(key)).Block).toBe(false);
  });

  it('ExtendLicense adds days to a running license, counts from now for an expired one, and accepts negatives', async () => {
    const now = t.clock.now().getTime();
    const running = await cryptolensLicense(t, policyId, { expiresAt: new Date(now + 86_400_000) });
    await call('key/ExtendLicense', { Key: running.key, NoOfDays: 2 });
    expect((await read(running.key)).Expires).toBe(Math.floor((now + 3 * 86_400_000) / 1000));
    await call('key/ExtendLicense', { Key: running.key, NoOfDays: -1 });
    expect((await read(running.key)).Expires).toBe(Math.floor((now + 2 * 86_400_000) / 1000));
    const expired = await cryptolensLicense(t, policyId, { expiresAt: new Date(now - 5 * 86_400_000) });
    await call('key/ExtendLicense', { Key: expired.key, NoOfDays: 4 });
    expect((await read(expired.key)).Expires).toBe(Math.floor((now + 4 * 86_400_000) / 1000));
  });

  it('AddFeature and RemoveFeature take 1 to 8 and need the policy to define the flag', async () => {
    const { key } = await cryptolensLicense(t, policyId);
    await call('key/AddFeature', { Key: key, Feature: 8 });
    expect((await read(key)).F8).toBe(true);
    expect(await call('key/AddFeature', { Key: key, Feature: 9 })).toMatchObject({ result: 1 });
    const { policyId: bare } = await cryptolensProduct(t, { featureFields: [] });
    const plain = await cryptolensLicense(t, bare);
    const other = await t.keyward.licenses.get(plain.id);
    expect(
      await answerOf(
        callCryptolens(t, 'key/AddFeature', {
          token,
          ProductId: other.productIds[0] as number,
          Key: plain.key,
          Feature: 1,
        }),
      ),
    ).toEqual({ result: 1, message: 'The input parameters were incorrect.' });
  });

  it('CreateTrialKey needs a machine code of at most 128 characters and refuses a second trial once blocked', async () => {
    expect(await call('key/CreateTrialKey', {})).toEqual({
      result: 1,
      message: 'The machine code cannot be null.',
    });
    expect(await call('key/CreateTrialKey', { MachineCode: 'None' })).toEqual({
      result: 1,
      message: 'The machine code cannot be null.',
    });
    expect(await call('key/CreateTrialKey', { MachineCode: 'm'.repeat(129) })).toEqual({
      result: 1,
      message: 'The machine code cannot exceed 128 chars in length.',
    });
    const first = await call('key/CreateTrialKey', { MachineCode: 'trial-pc' });
    await call('key/BlockKey', { Key: first.key });
    expect(await call('key/CreateTrialKey', { MachineCode: 'trial-pc' })).toEqual({
      result: 1,
      message: 'This machine code has already activated the trial.',
    });
  });

  it('CreateTrialKey gives a machine one trial even when requests race', async () => {
    const keys = await Promise.all(
      Array.from({ length: 6 }, () => call('key/CreateTrialKey', { MachineCode: 'racing-pc' })),
    );
    expect(new Set(keys.map((k) => k.key)).size).toBe(1);
  });
});
