import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  decodeLicense,
  type Json,
  testActor,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { HIDE } from './fields-to-return.js';

const DAY = 86_400;

describe('Cryptolens activation semantics', () => {
  let t: TestApp;
  let token: string;
  let productId: number;
  let policyId: number;

  beforeAll(async () => {
    t = await createTestApp();
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 1 }));
  });
  afterAll(() => t.dispose());

  const call = (method: string, params: Record<string, string | number | boolean | null>) =>
    callCryptolens(t, method, { token, ProductId: productId, ...params });
  const activate = async (key: string, params: Record<string, string | number | boolean | null>) => {
    const answer = await answerOf(call('key/Activate', { Key: key, Sign: true, SignMethod: 1, ...params }));
    return { answer, license: answer.result === 0 ? decodeLicense(answer) : null };
  };
  const getKey = async (key: string, params: Record<string, string | number | boolean | null> = {}) => {
    const answer = await answerOf(call('key/GetKey', { Key: key, Sign: true, SignMethod: 1, ...params }));
    return { answer, license: decodeLicense(answer) };
  };
  const mids = (license: Json) => license.ActivatedMachines.map((m: Json) => m.Mid);
  const newLicense = (input: Parameters<typeof cryptolensLicense>[2] = {}) =>
    cryptolensLicense(t, policyId, input);

  it('MaxNoOfMachines 0 switches node-locking off: machines are not recorded and any number activate', async () => {
    const { key } = await newLicense({ overrides: { maxMachines: 0 } });
    for (const machine of ['a', 'b', 'c']) {
      const { answer, license } = await activate(key, { MachineCode: machine });
      expect(answer.result, answer.message).toBe(0);
      expect(license.MaxNoOfMachines).toBe(0);
      expect(license.ActivatedMachines).toEqual([]);
    }
    expect(await t.store.machines.listActive((await t.keyward.licenses.getByKey(key)).id)).toEqual([]);
  });

  it('AllowedMachines are activated even when every seat is taken', async () => {
    const { key } = await newLicense({ allowedMachines: ['vip-1'] });
    expect((await activate(key, { MachineCode: 'first' })).answer.result).toBe(0);
    const refused = await activate(key, { MachineCode: 'second' });
    expect(refused.answer).toEqual({
      result: 1,
      message: 'Cannot activate the new device as the limit has been reached.',
    });
    const vip = await activate(key, { MachineCode: 'vip-1' });
    expect(mids(vip.license)).toEqual(['first', 'vip-1']);
    expect(vip.license.AllowedMachines).toBe('vip-1');
  });

  it('counts node-locked seats and floating leases in separate pools', async () => {
    const { key } = await newLicense();
    await activate(key, { MachineCode: 'desk' });
    // The same machine code may hold a node-locked seat and a floating lease at once.
    const floating = await activate(key, { MachineCode: 'desk', FloatingTimeInterval: 60 });
    expect(floating.answer.result).toBe(0);
    expect(mids(floating.license)).toEqual(['floating:desk']);
    const all = await activate(key, { MachineCode: 'desk', FloatingTimeInterval: 60, ModelVersion: 3 });
    expect(mids(all.license)).toEqual(['desk', 'floating:desk']);
    expect((await activate(key, { MachineCode: 'other', FloatingTimeInterval: 60 })).answer.message).toBe(
      'Cannot activate the new device as the limit has been reached.',
    );
    expect((await activate(key, { MachineCode: 'other' })).answer.message).toBe(
      'Cannot activate the new device as the limit has been reached.',
    );
    // Releasing the floating lease leaves the node-locked seat alone.
    await answerOf(call('key/Deactivate', { Key: key, MachineCode: 'desk', Floating: true }));
    expect(mids((await getKey(key, { ModelVersion: 3 })).license)).toEqual(['desk']);
  });

  it('counts node-locked deactivations against the limit and releases of floating leases not', async () => {
    const { key } = await newLicense({ overrides: { maxDeactivations: 1 } });
    const deactivate = (machineCode: string, floating = false) =>
      answerOf(call('key/Deactivate', { Key: key, MachineCode: machineCode, Floating: floating }));
    await activate(key, { MachineCode: 'a' });
    expect((await deactivate('a')).result).toBe(0);
    await activate(key, { MachineCode: 'b' });
    expect(await deactivate('b')).toEqual({
      result: 1,
      message: 'The key may not deactivate more machines.',
    });
    for (const lease of [1, 2]) {
      expect(
        (await activate(key, { MachineCode: 'f', FloatingTimeInterval: 60 })).answer.result,
        `${lease}`,
      ).toBe(0);
      expect((await deactivate('f', true)).result, `${lease}`).toBe(0);
    }
    const license = await t.keyward.licenses.getByKey(key);
    expect(license.deactivationCount).toBe(1);
    // The native route frees seats through the same rule: the limit reached here holds there too.
    const [machine] = await t.store.machines.listActive(license.id);
    await expect(t.keyward.machines.deactivate(testActor, machine?.id as number)).rejects.toMatchObject({
      code: 'DEACTIVATION_LIMIT_REACHED',
    });
  });

  it('renews a floating lease per request interval and frees it when the interval lapses', async () => {
    const { key } = await newLicense();
    const first = await activate(key, { MachineCode: 'f', FloatingTimeInterval: 100, ModelVersion: 3 });
    const [entry] = first.license.ActivatedMachines;
    expect(entry.FloatingExpires - first.license.SignDate).toBe(100);
    t.clock.advance(60);
    const renewed = await activate(key, { MachineCode: 'f', FloatingTimeInterval: 100, ModelVersion: 3 });
    expect(renewed.license.ActivatedMachines[0].FloatingExpires - renewed.license.SignDate).toBe(100);
    const used = await getKey(key, { Metadata: true, FloatingTimeInterval: 100 });
    expect(used.answer.metadata.usedFloatingMachines).toBe(1);
    t.clock.advance(101);
    expect(
      (await getKey(key, { Metadata: true, FloatingTimeInterval: 100 })).answer.metadata.usedFloatingMachines,
    ).toBe(0);
    expect((await activate(key, { MachineCode: 'g', FloatingTimeInterval: 100 })).answer.result).toBe(0);
  });

  it('refuses overdraft beyond MaxOverdraft and logs overdraft activations as state 2015', async () => {
    const { key, id } = await newLicense();
    await activate(key, { MachineCode: 'a', FloatingTimeInterval: 60 });
    expect((await activate(key, { MachineCode: 'b', FloatingTimeInterval: 60 })).answer.result).toBe(1);
    const over = await activate(key, { MachineCode: 'b', FloatingTimeInterval: 60, MaxOverdraft: 1 });
    expect(mids(over.license)).toEqual(['floating:overdraft:b']);
    expect(
      (await activate(key, { MachineCode: 'c', FloatingTimeInterval: 60, MaxOverdraft: 1 })).answer.result,
    ).toBe(1);
    await t.keyward.bookkeeping.flush();
    const log = await answerOf(call('ai/GetWebAPILog', { Key: key, States: '[2015]' }));
    expect(log.logs).toEqual([expect.objectContaining({ state: 2015, machineCode: 'b', key })]);
    expect(id).toBeGreaterThan(0);
  });

  it('restarts the term of a trial-activation key at each new machine', async () => {
    const created = await answerOf(
      call('key/CreateKey', { Period: 7, TrialActivation: true, MaxNoOfMachines: 3 }),
    );
    const key = created.key;
    const first = await activate(key, { MachineCode: 'one' });
    expect(first.license.Expires - first.license.SignDate).toBe(7 * DAY);
    expect(first.license.TrialActivation).toBe(true);
    t.clock.advance(2 * DAY);
    const again = await activate(key, { MachineCode: 'one' });
    expect(again.license.Expires).toBe(first.license.Expires);
    const second = await activate(key, { MachineCode: 'two' });
    expect(second.license.Expires - second.license.SignDate).toBe(7 * DAY);
    expect(second.license.Period).toBe(7);
  });

  it('restarts it only at the first activation when the product says first_activation', async () => {
    const { productId: other, policyId: otherPolicy } = await cryptolensProduct(t, { maxMachines: 3 });
    await t.keyward.dataObjects.create(testActor, {
      ownerType: 'product',
      ownerId: other,
      name: 'cryptolens_trialactivation',
      stringValue: 'first_activation',
      intValue: 0,
    });
    const license = await cryptolensLicense(t, otherPolicy, {
      hasTrialActivation: true,
      termSeconds: 7 * DAY,
      expiresAt: new Date(t.clock.now().getTime() + 7 * DAY * 1000),
    });
    const at = (machine: string) =>
      answerOf(
        callCryptolens(t, 'key/Activate', {
          token,
          ProductId: other,
          Key: license.key,
          MachineCode: machine,
          Sign: true,
          SignMethod: 1,
        }),
      ).then(decodeLicense);
    t.clock.advance(DAY);
    const first = await at('one');
    expect(first.Expires - first.SignDate).toBe(7 * DAY);
    t.clock.advance(DAY);
    expect((await at('two')).Expires).toBe(first.Expires);
  });

  it('still activates an expired key (the app checks expiry) but never a blocked one', async () => {
    const expired = await newLicense({ expiresAt: new Date(t.clock.now().getTime() - 1000) });
    const activated = await activate(expired.key, { MachineCode: 'late', Metadata: true });
    expect(activated.answer.result).toBe(0);
    expect(activated.license.Expires).toBeLessThan(activated.license.SignDate);
    expect(activated.answer.metadata.licenseStatus).toMatchObject({ isValid: false, reasonForInvalidity: 1 });

    const blocked = await newLicense();
    await activate(blocked.key, { MachineCode: 'm' });
    await answerOf(call('key/BlockKey', { Key: blocked.key }));
    const blockedMessage = { result: 1, message: 'The key is blocked and cannot be accessed.' };
    expect((await activate(blocked.key, { MachineCode: 'm' })).answer).toEqual(blockedMessage);
    expect(await answerOf(call('key/Deactivate', { Key: blocked.key, MachineCode: 'm' }))).toEqual(
      blockedMessage,
    );
    const read = await getKey(blocked.key, { Metadata: true });
    expect(read.license.Block).toBe(true);
    expect(read.answer.metadata.licenseStatus).toMatchObject({ isValid: false, reasonForInvalidity: 2 });
    await answerOf(call('key/UnblockKey', { Key: blocked.key }));
    expect((await activate(blocked.key, { MachineCode: 'm' })).answer.result).toBe(0);
  });

  it('keeps user-based activations: FriendlyName from model version 2 on', async () => {
    const { key } = await newLicense();
    const machineCode = Buffer.from(JSON.stringify(['salt', 'pbkdf2-hash'])).toString('base64');
    await activate(key, { MachineCode: machineCode, FriendlyName: 'alice' });
    expect((await getKey(key)).license.ActivatedMachines[0]).toEqual({
      Mid: machineCode,
      IP: expect.any(String),
      Time: expect.any(Number),
    });
    expect((await getKey(key, { ModelVersion: 2 })).license.ActivatedMachines[0]).toMatchObject({
      Mid: machineCode,
      FriendlyName: 'alice',
    });
    const v3 = (await getKey(key, { ModelVersion: 3 })).license;
    expect(Object.keys(v3.ActivatedMachines[0])).toEqual([
      'Mid',
      'FriendlyName',
      'IP',
      'Time',
      'FloatingExpires',
    ]);
    expect(v3).toHaveProperty('Reseller', null);
    expect((await getKey(key)).license).not.toHaveProperty('Reseller');
  });

  it('hides the fields FieldsToReturn names, keeping them present; a feature lock takes precedence', async () => {
    const { key } = await newLicense({ notes: 'private', allowedMachines: ['x'] });
    await activate(key, { MachineCode: 'seen' });
    const mask = HIDE.notes | HIDE.activatedMachines | HIDE.key | HIDE.allowedMachines;
    const hidden = await activate(key, { MachineCode: 'seen', FieldsToReturn: mask, MaxOverdraft: 0 });
    expect(hidden.license).toMatchObject({ Notes: null, Key: null, AllowedMachines: null, F1: false });
    expect(mids(hidden.license)).toEqual(['seen']);
    expect((await getKey(key, { FieldsToReturn: mask })).license.ActivatedMachines).toEqual([]);

    const locked = await cryptolensToken(t, { featureLock: HIDE.notes });
    const viaLock = await answerOf(
      callCryptolens(t, 'key/GetKey', {
        token: locked,
        ProductId: productId,
        Key: key,
        SignMethod: 1,
        FieldsToReturn: 0,
      }),
    );
    expect(decodeLicense(viaLock)).toMatchObject({ Notes: null, Key: key });
    expect((await getKey(key, { Metadata: true, FieldsToReturn: HIDE.metadata })).answer.metadata).toBeNull();
  });
});
