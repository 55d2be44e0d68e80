import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../core/model.js';
import {
  at,
  licenseInput,
  machineInput,
  policyInput,
  T0,
  UNIQUE_VIOLATION,
  unique,
} from '../test-support/store-inputs.js';
import { createTestStore, testDialects } from '../test-support/test-store.js';

/**
 * The repository additions of migration 002 (the Cryptolens dialect's domain needs), run on every database:
 * resellers, license templates, messages, customer secrets, license terms and trial keys, token locks, and the
 * unique live fingerprint per license and seat pool.
 */

const dialects = await testDialects();

describe.each(dialects)('Cryptolens-era repositories on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let policy: Policy;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    const product = await store.products.insert({ name: 'p', code: null, createdAt: T0 });
    policy = await store.policies.insert(policyInput(product.id, { maxMachines: 1 }));
  });
  afterAll(() => store?.dispose());

  it('round-trips license terms, trial fingerprints and resellers, and clears them', async () => {
    const reseller = await store.resellers.insert({
      name: 'Shop',
      url: null,
      email: 'a@b.c',
      phone: null,
      description: 'd',
      createdAt: T0,
    });
    const input = licenseInput(policy, {
      termSeconds: 30 * 86_400 * 1000,
      hasTrialActivation: true,
      trialFingerprint: unique('fp'),
      resellerId: reseller.id,
    });
    const license = await store.licenses.insert(input);
    expect(license).toEqual({ ...input, id: expect.any(Number) });
    expect(await store.licenses.findTrial(policy.productId, input.trialFingerprint as string)).toEqual(
      license,
    );
    const cleared = await store.licenses.update(license.id, {
      termSeconds: null,
      hasTrialActivation: false,
      resellerId: null,
    });
    expect(cleared).not.toHaveProperty('termSeconds');
    expect(cleared).not.toHaveProperty('hasTrialActivation');
    expect(cleared).not.toHaveProperty('resellerId');
    // A plain license reads back without any of the new fields.
    const plain = licenseInput(policy);
    expect(await store.licenses.insert(plain)).toEqual({ ...plain, id: expect.any(Number) });
  });

  it('keeps one trial key per product and fingerprint', async () => {
    const fingerprint = unique('trial');
    await store.licenses.insert(licenseInput(policy, { trialFingerprint: fingerprint }));
    await expect(
      store.licenses.insert(licenseInput(policy, { trialFingerprint: fingerprint })),
    ).rejects.toMatchObject(UNIQUE_VIOLATION);
  });

  it('dissociates the licenses of a deleted reseller', async () => {
    const reseller = await store.resellers.insert({
      name: 'Gone',
      url: null,
      email: null,
      phone: null,
      description: null,
      createdAt: T0,
    });
    const license = await store.licenses.insert(licenseInput(policy, { resellerId: reseller.id }));
    expect(await store.resellers.update(reseller.id, { phone: '1' })).toMatchObject({ phone: '1' });
    expect(await store.resellers.delete(reseller.id)).toBe(true);
    expect((await store.licenses.findById(license.id))?.resellerId).toBeUndefined();
  });

  it('keeps a live fingerprint unique per license and pool', async () => {
    const license = await store.licenses.insert(licenseInput(policy));
    await store.machines.insert(machineInput(license.id, 'pc'));
    await store.machines.insert(machineInput(license.id, 'pc', { leaseExpiresAt: at(60_000) }));
    await expect(store.machines.insert(machineInput(license.id, 'pc'))).rejects.toMatchObject(
      UNIQUE_VIOLATION,
    );
    await expect(
      store.machines.insert(machineInput(license.id, 'pc', { leaseExpiresAt: at(5) })),
    ).rejects.toMatchObject(UNIQUE_VIOLATION);
    // Deactivated rows stay as history and do not count.
    await store.machines.insert(machineInput(license.id, 'pc', { deactivatedAt: at(1) }));
  });

  it('round-trips license templates and deletes them with their policy', async () => {
    const product = await store.products.insert({ name: 'q', code: null, createdAt: T0 });
    const own = await store.policies.insert({ ...policy, productId: product.id, id: undefined } as never);
    const template = await store.licenseTemplates.insert({
      name: 'Pro',
      policyId: own.id,
      durationSeconds: 365 * 86_400 * 100,
      maxMachines: 3,
      features: { f1: true, seats: 4 },
      notes: null,
      allowedMachines: ['a'],
      hasTrialActivation: true,
      createdAt: T0,
    });
    expect(await store.licenseTemplates.findById(template.id)).toEqual(template);
    expect(await store.licenseTemplates.list({ policyId: own.id, after: null, limit: 10 })).toEqual([
      template,
    ]);
    expect(await store.licenseTemplates.update(template.id, { maxMachines: null, notes: 'n' })).toEqual({
      ...template,
      maxMachines: null,
      notes: 'n',
    });
    expect(await store.licenseTemplates.update(template.id, {})).toMatchObject({ notes: 'n' });
    await store.policies.delete(own.id);
    expect(await store.licenseTemplates.findById(template.id)).toBeNull();
  });

  it('lists messages newest first, by channel and strictly after an instant', async () => {
    const channel = unique('channel');
    const old = await store.messages.insert({ channel, content: 'old', createdAt: at(1000) });
    const fresh = await store.messages.insert({ channel, content: 'fresh', createdAt: at(2000) });
    await store.messages.insert({ channel: unique('other'), content: 'x', createdAt: at(3000) });
    expect(await store.messages.list({ channel, after: null, limit: 10 })).toEqual([fresh, old]);
    expect(await store.messages.list({ channel, after: at(1000), limit: 10 })).toEqual([fresh]);
    expect(
      (await store.messages.list({ channel: null, after: at(1500), limit: 10 })).length,
    ).toBeGreaterThanOrEqual(2);
    expect(await store.messages.delete(old.id)).toBe(true);
    expect(await store.messages.findById(old.id)).toBeNull();
  });

  it('pages messages newest first past the last one seen, also among messages of the same instant', async () => {
    const channel = unique('paged');
    const first = await store.messages.insert({ channel, content: '1', createdAt: at(1000) });
    const second = await store.messages.insert({ channel, content: '2', createdAt: at(2000) });
    const third = await store.messages.insert({ channel, content: '3', createdAt: at(2000) });
    const fourth = await store.messages.insert({ channel, content: '4', createdAt: at(3000) });
    const pageOf = (before: { createdAt: Date; id: number } | null) =>
      store.messages.list({ channel, after: null, limit: 2, before });
    const one = await pageOf(null);
    expect(one).toEqual([fourth, third]);
    const two = await pageOf(third);
    expect(two).toEqual([second, first]);
    expect(await pageOf(first)).toEqual([]);
  });

  it('finds customers by secret hash and keeps notes', async () => {
    const customer = await store.customers.insert({
      name: 'C',
      email: null,
      company: null,
      createdAt: T0,
      notes: 'vip',
    });
    expect(customer.notes).toBe('vip');
    const hash = unique('hash');
    expect(await store.customers.setSecretHash(customer.id, hash)).toBe(true);
    expect(await store.customers.findBySecretHash(hash)).toEqual(customer);
    const other = await store.customers.insert({ name: 'D', email: null, company: null, createdAt: T0 });
    await expect(store.customers.setSecretHash(other.id, hash)).rejects.toMatchObject(UNIQUE_VIOLATION);
    expect(await store.customers.setSecretHash(987_654, hash)).toBe(false);
  });

  it('round-trips the Cryptolens locks of a token', async () => {
    const secretHash = unique('hash');
    const input = {
      name: 'app',
      prefix: 'kw_0123abcd',
      secretHash,
      scopes: ['machines:write'],
      productIds: [],
      licenseId: null,
      ipAllowlist: [],
      bindToFirstIp: false,
      boundIp: null,
      source: 'api' as const,
      expiresAt: null,
      revokedAt: null,
      createdAt: T0,
      lastUsedAt: null,
      methodLock: ['key/activate'],
      featureLock: 1024,
      canIssueLicenseTokens: true,
    };
    const token = await store.tokens.insert(input);
    const { secretHash: _hash, ...record } = input;
    expect(token).toEqual({ ...record, id: expect.any(Number) });
    expect(await store.tokens.findByHash(secretHash)).toEqual({ ...token, secretHash });
  });
});
