import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTokenRecord } from '../core/access/token-ports.js';
import type { NewPolicy } from '../core/catalog/catalog-ports.js';
import type { DomainEvent } from '../core/model.js';
import type { Repositories } from '../core/ports.js';
import {
  at,
  licenseInput,
  machineInput,
  NO_OVERRIDES,
  nextNumber,
  policyInput,
  T0,
  UNIQUE_VIOLATION,
  unique,
} from '../test-support/store-inputs.js';
import { createTestStore, type TestDialect, testDialects } from '../test-support/test-store.js';

/**
 * The repository contract of core/ports.ts, run unchanged on every database Keyward supports. Each test
 * builds its own rows (fresh products, unique keys), so the tests share one store per dialect; the few that
 * read whole tables (events, signing keys) take a store of their own.
 */

type TestStore = Awaited<ReturnType<typeof createTestStore>>;

function eventInput(changes: Partial<Omit<DomainEvent, 'id'>> = {}): Omit<DomainEvent, 'id'> {
  return {
    type: 'test.event',
    licenseId: null,
    productId: null,
    machineId: null,
    tokenId: null,
    code: null,
    ip: null,
    data: {},
    createdAt: T0,
    ...changes,
  };
}

function tokenInput(
  changes: Partial<Omit<ApiTokenRecord, 'id'> & { secretHash: string }> = {},
): Omit<ApiTokenRecord, 'id'> & { secretHash: string } {
  return {
    name: 'integration',
    prefix: 'kw_0123abcd',
    secretHash: unique('hash'),
    scopes: ['licenses:read'],
    productIds: [],
    licenseId: null,
    ipAllowlist: [],
    bindToFirstIp: false,
    boundIp: null,
    source: 'api',
    expiresAt: null,
    revokedAt: null,
    createdAt: T0,
    lastUsedAt: null,
    ...changes,
  };
}

async function catalog(repos: Repositories, policy: Partial<NewPolicy> = {}) {
  const product = await repos.products.insert({ name: unique('product'), code: null, createdAt: T0 });
  return { product, policy: await repos.policies.insert(policyInput(product.id, policy)) };
}

/** SQLite and PostgreSQL word it differently; both name the unique constraint. */
const FOREIGN_KEY_VIOLATION = /foreign key/i;

const ids = (items: { id: number }[]) => items.map((item) => item.id);
const dialects: TestDialect[] = await testDialects();

describe.each(dialects)('store contract on %s', (dialect) => {
  let store: TestStore;
  const extraStores: TestStore[] = [];
  const freshStore = async () => {
    const extra = await createTestStore(dialect);
    extraStores.push(extra);
    return extra;
  };

  beforeAll(async () => {
    store = await createTestStore(dialect);
  });
  afterAll(async () => {
    for (const extra of extraStores) await extra.dispose();
    await store?.dispose();
  });

  it('reports its dialect and answers ping', async () => {
    expect(store.dialect).toBe(dialect);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe('products', () => {
    it('inserts, finds, updates and deletes', async () => {
      const code = unique('code');
      const created = await store.products.insert({ name: 'Desktop ✓ "App"', code, createdAt: T0 });
      expect(created).toEqual({ id: expect.any(Number), name: 'Desktop ✓ "App"', code, createdAt: T0 });
      expect(await store.products.findById(created.id)).toEqual(created);
      expect(await store.products.findById(created.id + 1_000_000)).toBeNull();

      const renamed = await store.products.update(created.id, { name: 'Renamed', code: null });
      expect(renamed).toEqual({ ...created, name: 'Renamed', code: null });
      expect(await store.products.update(created.id, {})).toEqual(renamed);
      expect(await store.products.update(created.id, { name: undefined })).toEqual(renamed);
      expect(await store.products.findById(created.id)).toEqual(renamed);
      expect(await store.products.update(created.id + 1_000_000, { name: 'x' })).toBeNull();

      expect(await store.products.delete(created.id)).toBe(true);
      expect(await store.products.delete(created.id)).toBe(false);
      expect(await store.products.findById(created.id)).toBeNull();
    });

    it('keeps product codes unique', async () => {
      const code = unique('code');
      await store.products.insert({ name: 'one', code, createdAt: T0 });
      await expect(store.products.insert({ name: 'two', code, createdAt: T0 })).rejects.toMatchObject(
        UNIQUE_VIOLATION,
      );
      // Codes are optional: any number of products may have none.
      await store.products.insert({ name: 'three', code: null, createdAt: T0 });
      await store.products.insert({ name: 'four', code: null, createdAt: T0 });
    });

    it('pages by id with an after cursor', async () => {
      const start = (await store.products.list({ after: null, limit: 10_000 })).at(-1)?.id ?? 0;
      const created = [];
      for (let i = 0; i < 5; i++)
        created.push(await store.products.insert({ name: `p${i}`, code: null, createdAt: T0 }));
      const first = await store.products.list({ after: start, limit: 2 });
      expect(first).toEqual(created.slice(0, 2));
      expect(ids(await store.products.list({ after: created[1]!.id, limit: 2 }))).toEqual(
        ids(created.slice(2, 4)),
      );
      expect(ids(await store.products.list({ after: created[3]!.id, limit: 2 }))).toEqual([created[4]!.id]);
      expect(await store.products.list({ after: created[4]!.id, limit: 2 })).toEqual([]);
    });
  });

  describe('policies', () => {
    it('round-trips every field, including flags both ways and feature fields as JSON', async () => {
      const { product } = await catalog(store);
      const input = policyInput(product.id, {
        name: 'Floating ✓',
        maxMachines: 25,
        maxDeactivations: 4,
        isFloating: true,
        leaseSeconds: 1800,
        maxOverdraft: 3,
        allowVm: false,
        durationSeconds: 10 * 365 * 86_400,
        expirationBasis: 'FIRST_ACTIVATION',
        activationValiditySeconds: 7 * 86_400,
        isTrial: true,
        allowLicenseAuth: true,
        keyFormat: 'KW-XXXX-XXXX-XXXX-XXXX',
        featureFields: [
          { name: 'seats', type: 'integer', isRequired: true, defaultValue: 5 },
          { name: 'edition', type: 'string', isRequired: false, defaultValue: 'Pro "Ünïcode" ✓' },
          { name: 'beta', type: 'boolean', isRequired: false, defaultValue: false },
          { name: 'supportUntil', type: 'date', isRequired: false, defaultValue: '2027-01-01T00:00:00.000Z' },
          { name: 'note', type: 'string', isRequired: false, defaultValue: null },
        ],
        createdAt: at(1),
      });
      const created = await store.policies.insert(input);
      expect(created).toEqual({ ...input, id: expect.any(Number) });
      expect(await store.policies.findById(created.id)).toEqual(created);

      const inverse = policyInput(product.id, { isFloating: false, allowVm: true, isTrial: false });
      const plain = await store.policies.insert(inverse);
      expect(await store.policies.findById(plain.id)).toEqual({ ...inverse, id: plain.id });
      expect(await store.policies.findById(plain.id + 1_000_000)).toBeNull();
    });

    it('updates only the given fields', async () => {
      const { policy } = await catalog(store, { maxMachines: 2, featureFields: [] });
      const updated = await store.policies.update(policy.id, {
        maxMachines: 0,
        isFloating: true,
        durationSeconds: 3600,
        featureFields: [{ name: 'tier', type: 'string', isRequired: false, defaultValue: 'gold' }],
      });
      const expected = {
        ...policy,
        maxMachines: 0,
        isFloating: true,
        durationSeconds: 3600,
        featureFields: [{ name: 'tier', type: 'string', isRequired: false, defaultValue: 'gold' }],
      };
      expect(updated).toEqual(expected);
      expect(await store.policies.findById(policy.id)).toEqual(expected);
      expect(await store.policies.update(policy.id, { durationSeconds: null })).toEqual({
        ...expected,
        durationSeconds: null,
      });
      expect(await store.policies.update(policy.id, {})).toEqual({ ...expected, durationSeconds: null });
      expect(await store.policies.update(policy.id, { name: undefined })).toEqual({
        ...expected,
        durationSeconds: null,
      });
      expect(await store.policies.update(policy.id + 1_000_000, { name: 'x' })).toBeNull();
    });

    it('lists by product with paging, counts licenses and refuses to delete a policy in use', async () => {
      const { product, policy: first } = await catalog(store);
      const second = await store.policies.insert(policyInput(product.id, { name: 'two' }));
      const third = await store.policies.insert(policyInput(product.id, { name: 'three' }));
      await catalog(store); // another product's policy stays out of the list

      expect(ids(await store.policies.list({ productId: product.id, after: null, limit: 10 }))).toEqual([
        first.id,
        second.id,
        third.id,
      ]);
      expect(ids(await store.policies.list({ productId: product.id, after: first.id, limit: 1 }))).toEqual([
        second.id,
      ]);
      expect(await store.policies.list({ productId: product.id, after: third.id, limit: 10 })).toEqual([]);
      const all = await store.policies.list({ productId: null, after: first.id - 1, limit: 10_000 });
      expect(ids(all).slice(0, 3)).toEqual([first.id, second.id, third.id]);
      expect(all.length).toBeGreaterThan(3);

      await store.licenses.insert(licenseInput(first));
      await store.licenses.insert(licenseInput(first));
      expect(await store.policies.countLicenses(first.id)).toBe(2);
      expect(await store.policies.countLicenses(second.id)).toBe(0);
      await expect(store.policies.delete(first.id)).rejects.toThrow(FOREIGN_KEY_VIOLATION);
      expect(await store.policies.findById(first.id)).not.toBeNull();

      expect(await store.policies.delete(second.id)).toBe(true);
      expect(await store.policies.delete(second.id)).toBe(false);
      expect(await store.policies.findById(second.id)).toBeNull();
    });
  });

  describe('licenses', () => {
    it('round-trips every field: instants to the millisecond, flags, overrides and JSON columns', async () => {
      const { product, policy } = await catalog(store);
      const extra = await store.products.insert({ name: 'Add-on', code: null, createdAt: T0 });
      const customer = await store.customers.insert({
        name: 'Ada',
        email: 'ada@example.com',
        company: 'Analytical Engines',
        createdAt: T0,
      });
      const input = licenseInput(policy, {
        key: unique('FULL'),
        productIds: [product.id, extra.id],
        customerId: customer.id,
        email: 'ada@example.com',
        notes: 'line one\nline "two" ✓',
        alias: 'ada-laptop',
        expiresAt: new Date('9999-12-31T23:59:59.999Z'),
        firstActivatedAt: new Date('1970-01-01T00:00:00.001Z'),
        isSuspended: true,
        revokedAt: at(3_600_007),
        overrides: {
          maxMachines: 7,
          maxDeactivations: 0,
          isFloating: false,
          leaseSeconds: 120,
          maxOverdraft: 2,
          allowVm: false,
        },
        isCleanable: true,
        activationCount: 4,
        deactivationCount: 2,
        resetCount: 1,
        features: {
          seats: 5,
          ratio: 0.25,
          edition: 'Pro ✓ "quoted" \\ back',
          beta: false,
          enabled: true,
          supportUntil: '2027-01-01T00:00:00.000Z',
          empty: '',
        },
        tags: ['vip', 'früh', 'a,b', 'with space'],
        allowedMachines: ['fp-1', 'fp "2" ✓'],
        namedUsers: [
          { username: 'ada', platform: 'linux' },
          { username: 'Bob', platform: 'any' },
        ],
        createdAt: at(1),
        updatedAt: at(2),
        lastValidatedAt: at(3),
      });
      const created = await store.licenses.insert(input);
      expect(created).toEqual({ ...input, id: expect.any(Number) });
      expect(created.expiresAt?.getTime()).toBe(253_402_300_799_999);
      expect(created.firstActivatedAt?.getTime()).toBe(1);
      expect(await store.licenses.findById(created.id)).toEqual(created);
      expect(await store.licenses.findByKey(input.key)).toEqual(created);
      expect(await store.transaction((tx) => tx.licenses.lockById(created.id))).toEqual(created);

      // Unset overrides stay null rather than turning into false or 0.
      const inheriting = licenseInput(policy);
      const plain = await store.licenses.insert(inheriting);
      expect(await store.licenses.findById(plain.id)).toEqual({ ...inheriting, id: plain.id });
      const enabling = licenseInput(policy, {
        overrides: { ...NO_OVERRIDES, isFloating: true, allowVm: true, maxMachines: 0 },
      });
      const enabled = await store.licenses.insert(enabling);
      expect((await store.licenses.findById(enabled.id))?.overrides).toEqual(enabling.overrides);

      expect(await store.licenses.findById(created.id + 1_000_000)).toBeNull();
      expect(await store.licenses.findByKey(unique('missing'))).toBeNull();
      expect(await store.transaction((tx) => tx.licenses.lockById(created.id + 1_000_000))).toBeNull();
    });

    it('keeps license keys unique', async () => {
      const { policy } = await catalog(store);
      const key = unique('DUP');
      const first = await store.licenses.insert(licenseInput(policy, { key }));
      await expect(store.licenses.insert(licenseInput(policy, { key }))).rejects.toMatchObject(
        UNIQUE_VIOLATION,
      );
      await expect(store.licenses.update(first.id, { key })).resolves.toMatchObject({ key });
      const other = await store.licenses.insert(licenseInput(policy));
      await expect(store.licenses.update(other.id, { key })).rejects.toMatchObject(UNIQUE_VIOLATION);
      expect((await store.licenses.findById(other.id))?.key).toBe(other.key);
    });

    it('filters by product, policy, customer, email, tag, key and status, newest first', async () => {
      const { product: productA, policy: p1 } = await catalog(store);
      const p2 = await store.policies.insert(policyInput(productA.id, { name: 'second' }));
      const productB = await store.products.insert({ name: unique('B'), code: null, createdAt: T0 });
      const c1 = await store.customers.insert({ name: 'C1', email: null, company: null, createdAt: T0 });
      const c2 = await store.customers.insert({ name: 'C2', email: null, company: null, createdAt: T0 });
      const prefix = `Q${nextNumber()}X`;
      const email = `${unique('user')}@example.com`;
      const now = at(100_000);
      const l1 = await store.licenses.insert(
        licenseInput(p1, { key: `${prefix}-ALPHA-1`, customerId: c1.id, email, tags: ['blue'] }),
      );
      const l2 = await store.licenses.insert(
        licenseInput(p2, {
          key: `${prefix}-BETA-1`,
          productIds: [productA.id, productB.id],
          customerId: c2.id,
          tags: ['blue', 'red'],
        }),
      );
      const l3 = await store.licenses.insert(licenseInput(p1, { key: `${prefix}-C-3`, isSuspended: true }));
      const l4 = await store.licenses.insert(
        licenseInput(p1, { key: `${prefix}-C-4`, revokedAt: at(50_000) }),
      );
      const l5 = await store.licenses.insert(
        licenseInput(p1, { key: `${prefix}-C-5`, expiresAt: at(99_999) }),
      );
      const l6 = await store.licenses.insert(
        licenseInput(p1, { key: `${prefix.toLowerCase()}-alpha-6`, expiresAt: at(100_001) }),
      );
      // Expiring exactly now counts as expired.
      const l7 = await store.licenses.insert(licenseInput(p1, { key: `${prefix}-C-7`, expiresAt: now }));

      const list = async (
        filter: Parameters<Repositories['licenses']['list']>[0],
        after: number | null = null,
      ) => ids(await store.licenses.list(filter, { after, limit: 100, now }));

      expect(await list({ productId: productA.id })).toEqual(ids([l7, l6, l5, l4, l3, l2, l1]));
      expect(await list({ productId: productB.id })).toEqual([l2.id]);
      expect(await list({ policyId: p2.id })).toEqual([l2.id]);
      expect(await list({ policyId: p1.id })).toEqual(ids([l7, l6, l5, l4, l3, l1]));
      expect(await list({ customerId: c1.id })).toEqual([l1.id]);
      expect(await list({ customerId: c2.id })).toEqual([l2.id]);
      expect(await list({ email })).toEqual([l1.id]);
      expect(await list({ email: email.toUpperCase() })).toEqual([]);
      expect(await list({ productId: productA.id, tag: 'blue' })).toEqual([l2.id, l1.id]);
      expect(await list({ productId: productA.id, tag: 'red' })).toEqual([l2.id]);
      expect(await list({ productId: productA.id, tag: 'Blue' })).toEqual([]);
      // Key search ignores case and dashes (license-key-search.test.ts has the rest).
      expect(await list({ key: `${prefix}-ALPHA` })).toEqual([l6.id, l1.id]);
      expect(await list({ key: `${prefix.toLowerCase()}-alpha` })).toEqual([l6.id, l1.id]);
      expect(await list({ key: `${prefix}-` })).toEqual(ids([l7, l6, l5, l4, l3, l2, l1]));
      expect(await list({ key: `${prefix}-C-` })).toEqual(ids([l7, l5, l4, l3]));
      expect(await list({ productId: productA.id, key: '' })).toHaveLength(7);
      expect(await list({ productId: productA.id, status: 'active' })).toEqual(ids([l6, l2, l1]));
      expect(await list({ productId: productA.id, status: 'suspended' })).toEqual([l3.id]);
      expect(await list({ productId: productA.id, status: 'revoked' })).toEqual([l4.id]);
      expect(await list({ productId: productA.id, status: 'expired' })).toEqual([l7.id, l5.id]);
      expect(await list({ productId: productA.id, status: 'active', tag: 'blue', policyId: p1.id })).toEqual([
        l1.id,
      ]);

      // Pages run newest first; the cursor is the last id seen.
      const page = (after: number | null) =>
        store.licenses.list({ productId: productA.id }, { after, limit: 3, now });
      const first = await page(null);
      expect(ids(first)).toEqual(ids([l7, l6, l5]));
      expect(first[0]).toEqual(l7);
      expect(ids(await page(l5.id))).toEqual(ids([l4, l3, l2]));
      expect(ids(await page(l2.id))).toEqual([l1.id]);
      expect(await page(l1.id)).toEqual([]);
      const oldestFirst = (after: number | null) =>
        store.licenses.list({ productId: productA.id }, { after, limit: 3, now, order: 'asc' }).then(ids);
      expect(await oldestFirst(null)).toEqual(ids([l1, l2, l3]));
      expect(await oldestFirst(l3.id)).toEqual(ids([l4, l5, l6]));
    });

    it('updates fields and keeps the product and tag indexes in step', async () => {
      const { product, policy } = await catalog(store);
      const other = await store.products.insert({ name: 'other', code: null, createdAt: T0 });
      const oldTag = unique('old');
      const newTag = unique('new');
      const license = await store.licenses.insert(licenseInput(policy, { tags: [oldTag] }));
      const page = { after: null, limit: 100, now: T0 };

      const updated = await store.licenses.update(license.id, {
        tags: [newTag, 'second'],
        productIds: [product.id, other.id],
        notes: 'changed',
        expiresAt: at(5),
        overrides: { ...NO_OVERRIDES, maxMachines: 9, allowVm: false },
        features: { seats: 10 },
        namedUsers: [{ username: 'carol', platform: 'macos' }],
        allowedMachines: ['fp-a'],
        activationCount: 3,
        updatedAt: at(6),
      });
      const expected = {
        ...license,
        tags: [newTag, 'second'],
        productIds: [product.id, other.id],
        notes: 'changed',
        expiresAt: at(5),
        overrides: { ...NO_OVERRIDES, maxMachines: 9, allowVm: false },
        features: { seats: 10 },
        namedUsers: [{ username: 'carol', platform: 'macos' }],
        allowedMachines: ['fp-a'],
        activationCount: 3,
        updatedAt: at(6),
      };
      expect(updated).toEqual(expected);
      expect(await store.licenses.findById(license.id)).toEqual(expected);
      expect(ids(await store.licenses.list({ tag: oldTag }, page))).toEqual([]);
      expect(ids(await store.licenses.list({ tag: newTag }, page))).toEqual([license.id]);
      expect(ids(await store.licenses.list({ productId: other.id }, page))).toEqual([license.id]);

      // Clearing: nulls and empty lists, and the policy's product first again.
      const cleared = await store.licenses.update(license.id, {
        tags: [],
        productIds: [product.id],
        notes: null,
        expiresAt: null,
        overrides: NO_OVERRIDES,
      });
      expect(cleared).toEqual({
        ...expected,
        tags: [],
        productIds: [product.id],
        notes: null,
        expiresAt: null,
        overrides: NO_OVERRIDES,
      });
      expect(ids(await store.licenses.list({ tag: newTag }, page))).toEqual([]);
      expect(ids(await store.licenses.list({ productId: other.id }, page))).toEqual([]);
      expect(ids(await store.licenses.list({ productId: product.id }, page))).toEqual([license.id]);
    });

    it('touches lastValidatedAt of the given licenses only, where it is older than asked', async () => {
      const { policy } = await catalog(store);
      const a = await store.licenses.insert(licenseInput(policy));
      const b = await store.licenses.insert(licenseInput(policy, { lastValidatedAt: at(100) }));
      const c = await store.licenses.insert(licenseInput(policy, { lastValidatedAt: at(1) }));
      const recent = await store.licenses.insert(licenseInput(policy, { lastValidatedAt: at(7_000) }));
      await store.licenses.touchValidated([], at(9), at(9));
      await store.licenses.touchValidated([a.id, b.id, recent.id], at(7_777), at(5_000));
      expect((await store.licenses.findById(a.id))?.lastValidatedAt).toEqual(at(7_777));
      expect((await store.licenses.findById(b.id))?.lastValidatedAt).toEqual(at(7_777));
      expect(await store.licenses.findById(c.id)).toEqual(c);
      expect(await store.licenses.findById(recent.id)).toEqual(recent);
    });

    it('deletes a license with its machines and index rows; a deleted customer only detaches', async () => {
      const { product, policy } = await catalog(store);
      const customer = await store.customers.insert({
        name: 'Gone',
        email: null,
        company: null,
        createdAt: T0,
      });
      const tag = unique('tag');
      const license = await store.licenses.insert(
        licenseInput(policy, { tags: [tag], customerId: customer.id }),
      );
      const machine = await store.machines.insert(machineInput(license.id, 'fp'));

      expect(await store.customers.delete(customer.id)).toBe(true);
      expect(await store.licenses.findById(license.id)).toEqual({ ...license, customerId: null });

      expect(await store.licenses.delete(license.id)).toBe(true);
      expect(await store.licenses.delete(license.id)).toBe(false);
      expect(await store.licenses.findById(license.id)).toBeNull();
      expect(await store.machines.findById(machine.id)).toBeNull();
      const page = { after: null, limit: 10, now: T0 };
      expect(await store.licenses.list({ tag }, page)).toEqual([]);
      expect(await store.licenses.list({ productId: product.id }, page)).toEqual([]);
    });
  });

  describe('machines', () => {
    it('round-trips every field and replaces a row in place', async () => {
      const { policy } = await catalog(store);
      const license = await store.licenses.insert(licenseInput(policy));
      const input = machineInput(license.id, 'fp "ünïcode" ✓', {
        name: 'Workstation',
        ip: '2001:db8::1',
        platform: 'linux',
        isVm: true,
        username: 'ada',
        createdAt: at(1),
        lastSeenAt: at(2),
        leaseExpiresAt: at(3),
        isOverdraft: true,
        expiresAt: at(4),
        deactivatedAt: null,
      });
      const created = await store.machines.insert(input);
      expect(created).toEqual({ ...input, id: expect.any(Number) });
      expect(await store.machines.findById(created.id)).toEqual(created);
      expect(await store.machines.findById(created.id + 1_000_000)).toBeNull();

      const replacement = machineInput(license.id, 'fp "ünïcode" ✓', {
        createdAt: at(1),
        lastSeenAt: at(10),
      });
      const replaced = await store.machines.replace(created.id, replacement);
      expect(replaced).toEqual({ ...replacement, id: created.id });
      expect(await store.machines.findById(created.id)).toEqual(replaced);
    });

    it('touches last-seen, lease and IP; leaves out what is not given', async () => {
      const { policy } = await catalog(store);
      const license = await store.licenses.insert(licenseInput(policy));
      const machine = await store.machines.insert(
        machineInput(license.id, 'fp', { ip: '10.0.0.1', leaseExpiresAt: at(100) }),
      );
      expect(await store.machines.touch(machine.id, { lastSeenAt: at(5) })).toEqual({
        ...machine,
        lastSeenAt: at(5),
      });
      expect(
        await store.machines.touch(machine.id, {
          lastSeenAt: at(6),
          leaseExpiresAt: at(200),
          ip: '10.0.0.2',
        }),
      ).toEqual({ ...machine, lastSeenAt: at(6), leaseExpiresAt: at(200), ip: '10.0.0.2' });
      const cleared = await store.machines.touch(machine.id, {
        lastSeenAt: at(7),
        leaseExpiresAt: null,
        ip: null,
      });
      expect(cleared).toEqual({ ...machine, lastSeenAt: at(7), leaseExpiresAt: null, ip: null });
      expect(await store.machines.findById(machine.id)).toEqual(cleared);
    });

    it('lists active machines, all machines with paging, and deactivates one or all', async () => {
      const { policy } = await catalog(store);
      const license = await store.licenses.insert(licenseInput(policy));
      const other = await store.licenses.insert(licenseInput(policy));
      const m = [];
      for (let i = 0; i < 4; i++) m.push(await store.machines.insert(machineInput(license.id, `fp-${i}`)));
      const foreign = await store.machines.insert(machineInput(other.id, 'fp-0'));

      await store.machines.deactivate(m[1]!.id, at(9));
      expect(await store.machines.findById(m[1]!.id)).toEqual({ ...m[1], deactivatedAt: at(9) });
      expect(ids(await store.machines.listActive(license.id))).toEqual(ids([m[0]!, m[2]!, m[3]!]));

      const list = (input: { licenseId: number | null; includeDeactivated: boolean; after: number | null }) =>
        store.machines.list({ ...input, limit: 2 }).then(ids);
      expect(await list({ licenseId: license.id, includeDeactivated: false, after: null })).toEqual(
        ids([m[0]!, m[2]!]),
      );
      expect(await list({ licenseId: license.id, includeDeactivated: false, after: m[2]!.id })).toEqual([
        m[3]!.id,
      ]);
      expect(await list({ licenseId: license.id, includeDeactivated: true, after: null })).toEqual(
        ids([m[0]!, m[1]!]),
      );
      expect(await list({ licenseId: license.id, includeDeactivated: true, after: m[1]!.id })).toEqual(
        ids([m[2]!, m[3]!]),
      );
      expect(await list({ licenseId: null, includeDeactivated: true, after: m[3]!.id })).toEqual([
        foreign.id,
      ]);

      expect(await store.machines.deactivateAll(license.id, at(20))).toBe(3);
      expect(await store.machines.listActive(license.id)).toEqual([]);
      // The earlier deactivation keeps its own instant.
      expect((await store.machines.findById(m[1]!.id))?.deactivatedAt).toEqual(at(9));
      expect((await store.machines.findById(m[3]!.id))?.deactivatedAt).toEqual(at(20));
      expect(await store.machines.deactivateAll(license.id, at(30))).toBe(0);
      expect(ids(await store.machines.listActive(other.id))).toEqual([foreign.id]);
    });

    it('reads a license with its seats (policy, active machines) by key, by id and locked by id, as the single reads give them', async () => {
      const { policy } = await catalog(store);
      const license = await store.licenses.insert(licenseInput(policy));
      expect(await store.licenses.findWithSeats(license.key)).toEqual({ license, policy, machines: [] });
      const m = [];
      for (let i = 0; i < 3; i++) m.push(await store.machines.insert(machineInput(license.id, `fp-${i}`)));
      await store.machines.deactivate(m[1]!.id, at(9));
      const found = await store.licenses.findWithSeats(license.key);
      expect(found).toEqual({
        license: await store.licenses.findById(license.id),
        policy: await store.policies.findById(policy.id),
        machines: await store.machines.listActive(license.id),
      });
      expect(ids(found?.machines ?? [])).toEqual(ids([m[0]!, m[2]!]));
      expect(await store.transaction((tx) => tx.licenses.lockWithSeats(license.id))).toEqual(found);
      expect(await store.licenses.findWithSeatsById(license.id)).toEqual(found);
      expect(await store.licenses.findWithSeats(unique('missing'))).toBeNull();
      expect(await store.transaction((tx) => tx.licenses.lockWithSeats(-1))).toBeNull();
      expect(await store.licenses.findWithSeatsById(-1)).toBeNull();
    });

    it('allows one live machine per fingerprint and license; a deactivated fingerprint may return', async () => {
      const { policy } = await catalog(store);
      const license = await store.licenses.insert(licenseInput(policy));
      const other = await store.licenses.insert(licenseInput(policy));
      const first = await store.machines.insert(machineInput(license.id, 'same'));
      await expect(store.machines.insert(machineInput(license.id, 'same'))).rejects.toMatchObject(
        UNIQUE_VIOLATION,
      );
      // Fingerprints compare exactly.
      await store.machines.insert(machineInput(license.id, 'SAME'));
      await store.machines.insert(machineInput(other.id, 'same'));

      await store.machines.deactivate(first.id, at(1));
      const second = await store.machines.insert(machineInput(license.id, 'same'));
      await expect(store.machines.insert(machineInput(license.id, 'same'))).rejects.toMatchObject(
        UNIQUE_VIOLATION,
      );
      await store.machines.deactivate(second.id, at(2));
      const third = await store.machines.insert(machineInput(license.id, 'same'));
      expect(new Set([first.id, second.id, third.id]).size).toBe(3);
      expect(
        (await store.machines.listActive(license.id))
          .filter((m) => m.fingerprint === 'same')
          .map((m) => m.id),
      ).toEqual([third.id]);
      // Reviving the deactivated row beside a live one would make two live rows: refused.
      await expect(store.machines.replace(first.id, machineInput(license.id, 'same'))).rejects.toMatchObject(
        UNIQUE_VIOLATION,
      );
    });

    it('refuses a machine of a license that does not exist', async () => {
      await expect(store.machines.insert(machineInput(987_654_321, 'fp'))).rejects.toThrow(
        FOREIGN_KEY_VIOLATION,
      );
    });
  });

  describe('customers', () => {
    it('inserts, finds, lists by email with paging, updates and deletes', async () => {
      const email = `${unique('c')}@example.com`;
      const a = await store.customers.insert({ name: 'A ✓', email, company: 'ACME', createdAt: at(1) });
      const b = await store.customers.insert({ name: 'B', email, company: null, createdAt: at(2) });
      const c = await store.customers.insert({ name: 'C', email: null, company: null, createdAt: at(3) });
      expect(a).toEqual({ id: expect.any(Number), name: 'A ✓', email, company: 'ACME', createdAt: at(1) });
      expect(await store.customers.findById(b.id)).toEqual(b);
      expect(await store.customers.findById(c.id + 1_000_000)).toBeNull();

      expect(await store.customers.list({ email, after: null, limit: 10 })).toEqual([a, b]);
      expect(ids(await store.customers.list({ email, after: a.id, limit: 10 }))).toEqual([b.id]);
      expect(ids(await store.customers.list({ email: null, after: a.id - 1, limit: 2 }))).toEqual([
        a.id,
        b.id,
      ]);
      expect(ids(await store.customers.list({ email: null, after: b.id, limit: 2 }))).toEqual([c.id]);

      expect(await store.customers.update(a.id, { company: null, name: 'A2' })).toEqual({
        ...a,
        company: null,
        name: 'A2',
      });
      expect(await store.customers.update(a.id, {})).toEqual({ ...a, company: null, name: 'A2' });
      expect(await store.customers.update(a.id, { name: undefined })).toEqual({
        ...a,
        company: null,
        name: 'A2',
      });
      expect(await store.customers.update(c.id + 1_000_000, { name: 'x' })).toBeNull();
      expect(await store.customers.delete(a.id)).toBe(true);
      expect(await store.customers.delete(a.id)).toBe(false);
      expect(await store.customers.findById(a.id)).toBeNull();
    });
  });

  describe('data objects', () => {
    it('inserts, finds, lists by owner, updates and deletes', async () => {
      const ownerId = 700_000 + nextNumber();
      const a = await store.dataObjects.insert({
        ownerType: 'license',
        ownerId,
        name: 'usage',
        intValue: -5,
        stringValue: 'ü "x"',
      });
      const b = await store.dataObjects.insert({
        ownerType: 'license',
        ownerId,
        name: 'big',
        intValue: Number.MAX_SAFE_INTEGER,
        stringValue: '',
      });
      const sameIdOtherType = await store.dataObjects.insert({
        ownerType: 'product',
        ownerId,
        name: 'usage',
        intValue: 0,
        stringValue: '',
      });
      expect(a).toEqual({
        id: expect.any(Number),
        ownerType: 'license',
        ownerId,
        name: 'usage',
        intValue: -5,
        stringValue: 'ü "x"',
      });
      expect(await store.dataObjects.findById(b.id)).toEqual(b);
      expect(b.intValue).toBe(Number.MAX_SAFE_INTEGER);
      expect(await store.dataObjects.list({ ownerType: 'license', ownerId })).toEqual([a, b]);
      expect(await store.dataObjects.list({ ownerType: 'product', ownerId })).toEqual([sameIdOtherType]);
      expect(await store.dataObjects.list({ ownerType: 'machine', ownerId })).toEqual([]);

      await expect(
        store.dataObjects.insert({
          ownerType: 'license',
          ownerId,
          name: 'usage',
          intValue: 0,
          stringValue: '',
        }),
      ).rejects.toMatchObject(UNIQUE_VIOLATION);

      expect(await store.dataObjects.update(a.id, { stringValue: 'new' })).toEqual({
        ...a,
        stringValue: 'new',
      });
      expect(await store.dataObjects.update(a.id, { name: 'renamed', intValue: 42 })).toEqual({
        ...a,
        name: 'renamed',
        intValue: 42,
        stringValue: 'new',
      });
      // An empty change (PATCH {}) is no change, not an error.
      const current = { ...a, name: 'renamed', intValue: 42, stringValue: 'new' };
      expect(await store.dataObjects.update(a.id, {})).toEqual(current);
      expect(await store.dataObjects.update(a.id, { name: undefined })).toEqual(current);
      expect(await store.dataObjects.delete(a.id)).toBe(true);
      expect(await store.dataObjects.delete(a.id)).toBe(false);
      expect(await store.dataObjects.findById(a.id)).toBeNull();
    });

    it('adds to the integer only within the bounds, inclusive', async () => {
      const object = await store.dataObjects.insert({
        ownerType: 'product',
        ownerId: 800_000 + nextNumber(),
        name: 'counter',
        intValue: 5,
        stringValue: 'kept',
      });
      const add = (delta: number, min: number | null, max: number | null) =>
        store.dataObjects.addToInt(object.id, delta, { min, max });
      const value = async () => (await store.dataObjects.findById(object.id))?.intValue;

      expect(await add(5, null, 10)).toEqual({ ...object, intValue: 10 });
      expect(await add(1, null, 10)).toBeNull();
      expect(await value()).toBe(10);
      expect(await add(-20, -10, null)).toEqual({ ...object, intValue: -10 });
      expect(await add(-1, -10, null)).toBeNull();
      expect(await add(-1, -10, 100)).toBeNull();
      expect(await value()).toBe(-10);
      expect(await add(110, -10, 100)).toEqual({ ...object, intValue: 100 });
      expect(await add(1, -10, 100)).toBeNull();
      expect(await add(2 ** 40, null, null)).toEqual({ ...object, intValue: 100 + 2 ** 40 });
      expect(await add(-(2 ** 40) - 100, 0, null)).toEqual({ ...object, intValue: 0 });
      expect(await store.dataObjects.addToInt(object.id + 1_000_000, 1, { min: null, max: null })).toBeNull();
    });

    it('keeps a bound under parallel increments', async () => {
      const object = await store.dataObjects.insert({
        ownerType: 'product',
        ownerId: 800_000 + nextNumber(),
        name: 'parallel',
        intValue: 0,
        stringValue: '',
      });
      const results = await Promise.all(
        Array.from({ length: 40 }, () => store.dataObjects.addToInt(object.id, 1, { min: null, max: 15 })),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(15);
      expect(
        results
          .filter((r) => r !== null)
          .map((r) => r?.intValue)
          .sort((x, y) => (x ?? 0) - (y ?? 0)),
      ).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect((await store.dataObjects.findById(object.id))?.intValue).toBe(15);
    });

    it('deletes the objects of a license and of its machines, nothing else', async () => {
      const { policy } = await catalog(store);
      const license = await store.licenses.insert(licenseInput(policy));
      const other = await store.licenses.insert(licenseInput(policy));
      const machine = await store.machines.insert(machineInput(license.id, 'fp'));
      const otherMachine = await store.machines.insert(machineInput(other.id, 'fp'));
      const put = (ownerType: 'license' | 'machine' | 'product', ownerId: number) =>
        store.dataObjects.insert({ ownerType, ownerId, name: unique('o'), intValue: 0, stringValue: '' });
      const gone = [await put('license', license.id), await put('machine', machine.id)];
      const kept = [
        await put('license', other.id),
        await put('machine', otherMachine.id),
        // Same numbers, other owner types.
        await put('product', license.id),
        await put('product', machine.id),
      ];
      await store.dataObjects.deleteOfLicense(license.id);
      for (const object of gone) expect(await store.dataObjects.findById(object.id)).toBeNull();
      for (const object of kept) expect(await store.dataObjects.findById(object.id)).toEqual(object);
    });
  });

  describe('events', () => {
    it('appends and lists newest first with filters and a before cursor', async () => {
      const own = await freshStore();
      const data = { via: 'test', nested: { list: [1, 'two', null], flag: true }, text: 'ü "q" \\' };
      await own.events.append(
        eventInput({
          type: 'license.created',
          licenseId: 1,
          productId: 10,
          tokenId: 5,
          ip: '192.0.2.1',
          data,
          createdAt: at(1),
        }),
      );
      await own.events.appendMany([]);
      await own.events.appendMany([
        eventInput({
          type: 'machine.activated',
          licenseId: 1,
          productId: 10,
          machineId: 100,
          createdAt: at(2),
        }),
        eventInput({
          type: 'machine.activation_refused',
          licenseId: 1,
          code: 'MACHINE_LIMIT_REACHED',
          createdAt: at(3),
        }),
        eventInput({
          type: 'machine.activated',
          licenseId: 2,
          productId: 20,
          machineId: 200,
          createdAt: at(4),
        }),
        eventInput({ type: 'product.created', productId: 20, createdAt: at(5) }),
      ]);

      const all = await own.events.list({}, { before: null, limit: 100 });
      expect(all.map((e) => e.type)).toEqual([
        'product.created',
        'machine.activated',
        'machine.activation_refused',
        'machine.activated',
        'license.created',
      ]);
      const [e5, e4, e3, e2, e1] = all as [DomainEvent, DomainEvent, DomainEvent, DomainEvent, DomainEvent];
      expect(e1).toEqual({
        id: expect.any(Number),
        type: 'license.created',
        licenseId: 1,
        productId: 10,
        machineId: null,
        tokenId: 5,
        code: null,
        ip: '192.0.2.1',
        data,
        createdAt: at(1),
      });
      expect(e3.code).toBe('MACHINE_LIMIT_REACHED');
      expect(typeof e1.id).toBe('number');
      expect(ids(all)).toEqual([...ids(all)].sort((x, y) => y - x));

      const list = (filter: Parameters<Repositories['events']['list']>[0], before: number | null = null) =>
        own.events.list(filter, { before, limit: 100 }).then(ids);
      expect(await list({ type: 'machine.activated' })).toEqual(ids([e4, e2]));
      expect(await list({ licenseId: 1 })).toEqual(ids([e3, e2, e1]));
      expect(await list({ productId: 20 })).toEqual(ids([e5, e4]));
      expect(await list({ machineId: 100 })).toEqual([e2.id]);
      expect(await list({ since: at(3) })).toEqual(ids([e5, e4, e3]));
      expect(await list({ until: at(3) })).toEqual(ids([e2, e1]));
      expect(await list({ since: at(2), until: at(4) })).toEqual(ids([e3, e2]));
      expect(await list({ type: 'machine.activated', licenseId: 1 })).toEqual([e2.id]);
      expect(await list({ type: 'nothing' })).toEqual([]);

      expect(ids(await own.events.list({}, { before: null, limit: 2 }))).toEqual(ids([e5, e4]));
      expect(ids(await own.events.list({}, { before: e4.id, limit: 2 }))).toEqual(ids([e3, e2]));
      expect(ids(await own.events.list({}, { before: e2.id, limit: 2 }))).toEqual([e1.id]);
      expect(await own.events.list({}, { before: e1.id, limit: 2 })).toEqual([]);
      expect(await list({ licenseId: 1 }, e3.id)).toEqual(ids([e2, e1]));
    });

    it('queues a delivery for each enabled endpoint that wants each appended event, in event order', async () => {
      const own = await freshStore();
      const endpoint = (eventTypes: string[], productIds: number[], isEnabled = true) =>
        own.webhooks.insertEndpoint({
          url: 'https://hooks.example.com/x',
          description: null,
          eventTypes,
          productIds,
          isEnabled,
          createdAt: at(0),
          updatedAt: at(0),
          sealedSecret: 'sealed',
        });
      const everything = await endpoint(['*'], []);
      const product20 = await endpoint(['machine.*'], [20]);
      await endpoint(['*'], [], false);
      await own.events.appendMany([
        eventInput({ type: 'machine.activated', productId: 10, createdAt: at(1) }),
        eventInput({ type: 'machine.activated', productId: 20, createdAt: at(2) }),
        eventInput({ type: 'license.created', productId: 20, createdAt: at(3) }),
      ]);
      const [third, second, first] = await own.events.list({}, { before: null, limit: 10 });
      const deliveries = await own.webhooks.listDeliveries({
        endpointId: null,
        status: null,
        before: null,
        limit: 10,
      });
      const sent = deliveries.map((d) => [d.endpointId, d.eventId, d.eventType]).reverse();
      expect(sent).toEqual([
        [everything.id, first?.id, 'machine.activated'],
        [everything.id, second?.id, 'machine.activated'],
        [product20.id, second?.id, 'machine.activated'],
        [everything.id, third?.id, 'license.created'],
      ]);
    });

    it('appends batches of any size whole and in order, with a delivery per event when an endpoint wants them', async () => {
      const own = await freshStore();
      const batch = (size: number, from: number) =>
        Array.from({ length: size }, (_, i) =>
          eventInput({ type: 'license.validated', code: `n${from + i}`, createdAt: at(from + i) }),
        );
      let total = 0;
      // Sizes on both sides of the statements' 50, 10 and 1 rows.
      for (const size of [1, 9, 10, 11, 49, 50, 61, 123]) {
        await own.events.appendMany(batch(size, total));
        total += size;
      }
      const codes = (await own.events.list({}, { before: null, limit: 1000 })).map((e) => e.code).reverse();
      expect(codes).toEqual(Array.from({ length: total }, (_, i) => `n${i}`));
      await own.webhooks.insertEndpoint({
        url: 'https://hooks.example.com/x',
        description: null,
        eventTypes: ['*'],
        productIds: [],
        isEnabled: true,
        createdAt: at(0),
        updatedAt: at(0),
        sealedSecret: 'sealed',
      });
      await own.events.appendMany(batch(73, total));
      const deliveries = await own.webhooks.listDeliveries({
        endpointId: null,
        status: null,
        before: null,
        limit: 100,
      });
      const events = await own.events.list({}, { before: null, limit: 73 });
      expect(deliveries.map((d) => d.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    });

    it('claims due deliveries with endpoints taking turns, none past its cap, skipped ones left', async () => {
      const own = await freshStore();
      const endpoint = () =>
        own.webhooks.insertEndpoint({
          url: 'https://hooks.example.com/x',
          description: null,
          eventTypes: ['*'],
          productIds: [],
          isEnabled: true,
          createdAt: at(0),
          updatedAt: at(0),
          sealedSecret: 'sealed',
        });
      const [busy, quiet, paused] = [await endpoint(), await endpoint(), await endpoint()];
      await own.events.appendMany(
        Array.from({ length: 5 }, (_, i) => eventInput({ type: 'license.created', createdAt: at(i + 1) })),
      );
      const claim = (input: Partial<Parameters<Repositories['webhooks']['claimDue']>[0]>) =>
        own.webhooks
          .claimDue({ now: at(100), owner: 'me', leaseUntil: at(200), limit: 10, ...input })
          .then((claimed) => claimed.map((c) => c.endpoint.id));
      // `busy` has one in flight already: it may take one more; `paused` is skipped; `quiet` takes two.
      const first = await claim({
        limit: 4,
        perEndpoint: { max: 2, held: new Map([[busy.id, 1]]) },
        skipEndpointIds: [paused.id],
      });
      expect(first.sort()).toEqual([busy.id, quiet.id, quiet.id].sort());
      // Endpoints go in turn: with room for two, each endpoint gets one before any gets a second.
      expect((await claim({ limit: 2, perEndpoint: { max: 5, held: new Map() } })).sort()).toEqual(
        [busy.id, paused.id].sort(),
      );
      // An endpoint at its cap gets nothing; without a cap a claim takes the oldest.
      expect(
        await claim({
          perEndpoint: {
            max: 1,
            held: new Map([
              [busy.id, 1],
              [paused.id, 1],
            ]),
          },
        }),
      ).toEqual([quiet.id]);
      expect(await claim({})).toHaveLength(15 - 3 - 2 - 1);
    });
  });

  describe('api tokens', () => {
    it('round-trips a token; only findByHash returns the secret hash', async () => {
      const input = tokenInput({
        name: 'CI ✓',
        scopes: ['licenses:read', 'machines:write'],
        productIds: [3, 4],
        licenseId: 9,
        ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
        bindToFirstIp: true,
        boundIp: null,
        source: 'env',
        expiresAt: at(86_400_000),
        revokedAt: null,
        createdAt: at(1),
        lastUsedAt: at(2),
      });
      const created = await store.tokens.insert(input);
      const { secretHash, ...record } = input;
      expect(created).toEqual({ ...record, id: expect.any(Number) });
      expect(created).not.toHaveProperty('secretHash');
      expect(await store.tokens.findById(created.id)).toEqual(created);
      expect(await store.tokens.findById(created.id)).not.toHaveProperty('secretHash');
      expect(await store.tokens.findByHash(secretHash)).toEqual({ ...created, secretHash });
      expect(await store.tokens.findByHash(unique('nope'))).toBeNull();
      expect(await store.tokens.findById(created.id + 1_000_000)).toBeNull();
      await expect(store.tokens.insert(tokenInput({ secretHash }))).rejects.toMatchObject(UNIQUE_VIOLATION);
    });

    it('revokes once, and lists and counts only live tokens unless asked', async () => {
      const activeBefore = await store.tokens.countActive();
      const a = await store.tokens.insert(tokenInput());
      const b = await store.tokens.insert(tokenInput({ source: 'bootstrap' }));
      expect(await store.tokens.countActive()).toBe(activeBefore + 2);

      expect(await store.tokens.revoke(a.id, at(10))).toBe(true);
      expect(await store.tokens.revoke(a.id, at(20))).toBe(false);
      expect(await store.tokens.revoke(a.id + 1_000_000, at(20))).toBe(false);
      expect(await store.tokens.findById(a.id)).toEqual({ ...a, revokedAt: at(10) });
      expect(await store.tokens.countActive()).toBe(activeBefore + 1);

      const live = ids(await store.tokens.list({ includeRevoked: false }));
      expect(live).toContain(b.id);
      expect(live).not.toContain(a.id);
      const every = await store.tokens.list({ includeRevoked: true });
      expect(ids(every)).toEqual(expect.arrayContaining([a.id, b.id]));
      expect(ids(every)).toEqual([...ids(every)].sort((x, y) => x - y));
      expect(every.find((t) => t.id === b.id)).toEqual(b);
    });

    it('binds a bind-to-first-IP token once, even when requests race', async () => {
      const token = await store.tokens.insert(tokenInput({ bindToFirstIp: true }));
      const addresses = Array.from({ length: 25 }, (_, i) => `198.51.100.${i + 1}`);
      const results = await Promise.all(addresses.map((ip) => store.tokens.bindIp(token.id, ip)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = addresses[results.indexOf(true)];
      expect((await store.tokens.findById(token.id))?.boundIp).toBe(winner);
      expect(await store.tokens.bindIp(token.id, '203.0.113.9')).toBe(false);
      expect((await store.tokens.findById(token.id))?.boundIp).toBe(winner);
    });
  });

  describe('signing keys', () => {
    it('inserts a key per algorithm once; later and concurrent inserts get the stored key', async () => {
      const own = await freshStore();
      expect(await own.signingKeys.list()).toEqual([]);
      expect(await own.signingKeys.find('ed25519')).toBeNull();

      const first = await own.signingKeys.insertIfMissing({
        algorithm: 'ed25519',
        publicKeyPem: 'PUBLIC-1',
        sealedPrivateKey: 'v1.sealed-1',
        createdAt: at(1),
      });
      expect(first).toEqual({
        id: expect.any(Number),
        algorithm: 'ed25519',
        publicKeyPem: 'PUBLIC-1',
        sealedPrivateKey: 'v1.sealed-1',
        createdAt: at(1),
      });
      const again = await own.signingKeys.insertIfMissing({
        algorithm: 'ed25519',
        publicKeyPem: 'PUBLIC-2',
        sealedPrivateKey: 'v1.sealed-2',
        createdAt: at(2),
      });
      expect(again).toEqual(first);

      const racing = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          own.signingKeys.insertIfMissing({
            algorithm: 'rsa-2048',
            publicKeyPem: `RSA-PUBLIC-${i}`,
            sealedPrivateKey: `v1.rsa-${i}`,
            createdAt: at(i),
          }),
        ),
      );
      const rsa = racing[0]!;
      for (const result of racing) expect(result).toEqual(rsa);
      expect(rsa.publicKeyPem).toMatch(/^RSA-PUBLIC-\d$/);
      expect(rsa.sealedPrivateKey).toBe(`v1.rsa-${rsa.publicKeyPem.slice('RSA-PUBLIC-'.length)}`);
      expect(await own.signingKeys.find('rsa-2048')).toEqual(rsa);
      expect(await own.signingKeys.find('ed25519')).toEqual(first);
      expect(await own.signingKeys.list()).toEqual([first, rsa]);
    });
  });

  describe('idempotency keys', () => {
    it('claims, reports the claim to later requests, completes and releases', async () => {
      const scope = unique('token:1');
      const key = unique('key');
      expect(await store.idempotency.claim(scope, key, 'hash-a', at(1))).toBeNull();
      expect(await store.idempotency.claim(scope, key, 'hash-b', at(2))).toEqual({
        requestHash: 'hash-a',
        statusCode: null,
        responseBody: null,
        createdAt: at(1),
      });
      // Keys are per scope.
      expect(await store.idempotency.claim(`${scope}-other`, key, 'hash-c', at(3))).toBeNull();

      const body = JSON.stringify({ id: 1, note: 'ü "x"' });
      // Only the claim made at that instant is completed, once.
      const answer = { statusCode: 201, responseBody: body };
      expect(await store.idempotency.complete(scope, key, at(2), answer)).toBe(false);
      expect(await store.idempotency.complete(scope, key, at(1), answer)).toBe(true);
      expect(await store.idempotency.complete(scope, key, at(1), answer)).toBe(false);
      expect(await store.idempotency.claim(scope, key, 'hash-a', at(4))).toEqual({
        requestHash: 'hash-a',
        statusCode: 201,
        responseBody: body,
        createdAt: at(1),
      });

      await store.idempotency.release(scope, key, at(2));
      expect(await store.idempotency.claim(scope, key, 'hash-a', at(4))).toMatchObject({ statusCode: 201 });
      await store.idempotency.release(scope, key);
      expect(await store.idempotency.claim(scope, key, 'hash-d', at(5))).toBeNull();
      expect(await store.idempotency.claim(scope, key, 'hash-e', at(6))).toMatchObject({
        requestHash: 'hash-d',
        statusCode: null,
      });
      // The other scope's claim is untouched by the release.
      expect(await store.idempotency.claim(`${scope}-other`, key, 'x', at(7))).toMatchObject({
        requestHash: 'hash-c',
      });
    });

    it('lets exactly one of many parallel claims win', async () => {
      const scope = unique('scope');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.idempotency.claim(scope, 'k', `hash-${i}`, at(i))),
      );
      expect(results.filter((r) => r === null)).toHaveLength(1);
      const winner = `hash-${results.indexOf(null)}`;
      for (const result of results.filter((r) => r !== null)) expect(result?.requestHash).toBe(winner);
    });

    it('deletes claims older than an instant, strictly', async () => {
      const old = new Date('1990-05-06T07:08:09.010Z');
      const scope = unique('old');
      await store.idempotency.claim(scope, 'a', 'h', old);
      await store.idempotency.claim(scope, 'b', 'h', new Date(old.getTime() + 1));
      await store.idempotency.claim(scope, 'c', 'h', new Date(old.getTime() + 2));
      expect(await store.idempotency.deleteOlderThan(new Date(old.getTime() + 2))).toBe(2);
      expect(await store.idempotency.claim(scope, 'a', 'h2', at(1))).toBeNull();
      expect(await store.idempotency.claim(scope, 'c', 'h2', at(1))).toMatchObject({ requestHash: 'h' });
      expect(await store.idempotency.deleteOlderThan(old)).toBe(0);
    });
  });

  describe('transactions', () => {
    it('commits all writes and returns the result', async () => {
      const key = unique('COMMIT');
      const result = await store.transaction(async (tx) => {
        const { policy } = await catalog(tx);
        const license = await tx.licenses.insert(licenseInput(policy, { key, tags: ['t'] }));
        await tx.machines.insert(machineInput(license.id, 'fp'));
        return license;
      });
      expect(await store.licenses.findByKey(key)).toEqual(result);
      expect(ids(await store.machines.listActive(result.id))).toHaveLength(1);
    });

    it('rolls back every write of a failed transaction', async () => {
      const key = unique('ROLLBACK');
      const tag = unique('tag');
      const secretHash = unique('hash');
      const written: Record<string, number> = {};
      await expect(
        store.transaction(async (tx) => {
          const { product, policy } = await catalog(tx);
          const customer = await tx.customers.insert({
            name: 'x',
            email: null,
            company: null,
            createdAt: T0,
          });
          const license = await tx.licenses.insert(
            licenseInput(policy, { key, tags: [tag], customerId: customer.id }),
          );
          const machine = await tx.machines.insert(machineInput(license.id, 'fp'));
          const object = await tx.dataObjects.insert({
            ownerType: 'license',
            ownerId: license.id,
            name: 'n',
            intValue: 1,
            stringValue: '',
          });
          await tx.events.append(eventInput({ licenseId: license.id }));
          const token = await tx.tokens.insert(tokenInput({ secretHash }));
          await tx.idempotency.claim('rollback', key, 'h', T0);
          Object.assign(written, {
            product: product.id,
            policy: policy.id,
            customer: customer.id,
            license: license.id,
            machine: machine.id,
            object: object.id,
            token: token.id,
          });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');

      expect(Object.keys(written)).toHaveLength(7);
      expect(await store.products.findById(written.product!)).toBeNull();
      expect(await store.policies.findById(written.policy!)).toBeNull();
      expect(await store.customers.findById(written.customer!)).toBeNull();
      expect(await store.licenses.findById(written.license!)).toBeNull();
      expect(await store.licenses.findByKey(key)).toBeNull();
      expect(await store.licenses.list({ tag }, { after: null, limit: 10, now: T0 })).toEqual([]);
      expect(await store.machines.findById(written.machine!)).toBeNull();
      expect(await store.dataObjects.findById(written.object!)).toBeNull();
      expect(await store.events.list({ licenseId: written.license! }, { before: null, limit: 10 })).toEqual(
        [],
      );
      expect(await store.tokens.findById(written.token!)).toBeNull();
      expect(await store.tokens.findByHash(secretHash)).toBeNull();
      expect(await store.idempotency.claim('rollback', key, 'h', T0)).toBeNull();
    });

    it('rolls back earlier writes when a later statement violates a constraint', async () => {
      const { policy } = await catalog(store);
      const existing = await store.licenses.insert(licenseInput(policy, { notes: 'before' }));
      let productId = 0;
      await expect(
        store.transaction(async (tx) => {
          productId = (await tx.products.insert({ name: 'doomed', code: null, createdAt: T0 })).id;
          await tx.licenses.update(existing.id, { notes: 'after', activationCount: 99 });
          await tx.licenses.insert(licenseInput(policy, { key: existing.key }));
        }),
      ).rejects.toMatchObject(UNIQUE_VIOLATION);
      expect(productId).toBeGreaterThan(0);
      expect(await store.products.findById(productId)).toBeNull();
      expect(await store.licenses.findById(existing.id)).toEqual(existing);
      // The store stays usable after a failed transaction.
      await expect(store.transaction(async (tx) => tx.licenses.findById(existing.id))).resolves.toEqual(
        existing,
      );
    });

    it('serializes writers of one license: parallel read-modify-write transactions lose no update', async () => {
      const { policy } = await catalog(store);
      const license = await store.licenses.insert(licenseInput(policy));
      await Promise.all(
        Array.from({ length: 30 }, () =>
          store.transaction(async (tx) => {
            const locked = await tx.licenses.lockById(license.id);
            if (!locked) throw new Error('license vanished');
            await tx.licenses.update(license.id, { activationCount: locked.activationCount + 1 });
          }),
        ),
      );
      expect((await store.licenses.findById(license.id))?.activationCount).toBe(30);
    });
  });
});
