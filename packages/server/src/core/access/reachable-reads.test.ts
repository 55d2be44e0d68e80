import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aToken } from '../../test-support/domain-fixtures.js';
import { createTestStore, testDialects } from '../../test-support/test-store.js';
import { manualClock } from '../clock.js';
import { createKeyward, type Keyward } from '../keyward.js';
import type { License, Policy, Product } from '../model.js';
import { SecretBox } from '../signing/secrets.js';
import type { Actor } from './actor.js';
import { operatorPrincipal, type Principal } from './principal.js';
import type { ApiTokenRecord } from './token-ports.js';

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

const tokenOf = (overrides: Partial<ApiTokenRecord>): Principal => ({
  kind: 'token',
  token: aToken(overrides),
});

/**
 * The read use cases surfaces call instead of reading the store: each decides what the caller's locks reach,
 * and answers for a thing out of reach exactly as for a missing one, or refuses it before looking where the use
 * says so; a surface only words the refusal (Cryptolens says "Access denied." where core says FORBIDDEN).
 */
describe.each(await testDialects())('core reads that decide access, on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
  let products: Product[];
  /** Two policies of the first product, one of the second. */
  let policies: Policy[];
  /** One license of each policy. */
  let licenses: License[];
  const unrestricted = tokenOf({});
  const lockedToFirstProduct = () => tokenOf({ productIds: [products[0]?.id as number] });
  const lockedToFirstLicense = () =>
    tokenOf({ licenseId: licenses[0]?.id as number, licenseProductIds: licenses[0]?.productIds as number[] });

  beforeAll(async () => {
    store = await createTestStore(dialect);
    k = createKeyward({
      store,
      clock,
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: (error) => {
        throw error;
      },
    });
    products = [];
    for (const name of ['First', 'Second', 'Third', 'Fourth'])
      products.push(await k.catalog.createProduct(actor, { name }));
    const [first, second] = products as [Product, Product];
    policies = [
      await k.catalog.createPolicy(actor, { productId: first.id, name: 'a', maxMachines: 2 }),
      await k.catalog.createPolicy(actor, { productId: first.id, name: 'b', allowLicenseAuth: false }),
      await k.catalog.createPolicy(actor, { productId: second.id, name: 'c', allowLicenseAuth: false }),
    ];
    licenses = [];
    for (const policy of policies) licenses.push(await k.licenses.create(actor, policy.id, {}));
  });
  afterAll(() => store.dispose());

  it('finds a policy only through the product it belongs to, or the one license a token is locked to', async () => {
    const [a, b, c] = policies as [Policy, Policy, Policy];
    expect(await k.catalog.findPolicy(unrestricted, c.id)).toEqual(c);
    expect(await k.catalog.findPolicy(lockedToFirstProduct(), a.id)).toEqual(a);
    expect(await k.catalog.findPolicy(lockedToFirstProduct(), c.id)).toBeNull();
    expect(await k.catalog.findPolicy(lockedToFirstLicense(), a.id)).toEqual(a);
    // Same product, another policy: out of reach of a token locked to a license of policy a.
    expect(await k.catalog.findPolicy(lockedToFirstLicense(), b.id)).toBeNull();
    expect(await k.catalog.findPolicy(unrestricted, 999_999)).toBeNull();
    expect(await k.catalog.reachablePolicyIds(unrestricted)).toBeNull();
    expect(await k.catalog.reachablePolicyIds(lockedToFirstLicense())).toEqual([a.id]);
    expect((await k.catalog.reachablePolicyIds(lockedToFirstProduct()))?.sort()).toEqual([a.id, b.id].sort());
  });

  it('reaches products as catalog entries only without a license lock, and pages a product lock fully', async () => {
    const [first, second, third, fourth] = products as [Product, Product, Product, Product];
    expect(await k.catalog.findProduct(lockedToFirstProduct(), first.id)).toEqual(first);
    expect(await k.catalog.findProduct(lockedToFirstProduct(), second.id)).toBeNull();
    expect(await k.catalog.findProduct(lockedToFirstLicense(), first.id)).toBeNull();
    expect(await k.catalog.listReachableProducts(lockedToFirstLicense(), { after: null, limit: 10 })).toEqual(
      [],
    );
    const locked = tokenOf({ productIds: [fourth.id, first.id, third.id] });
    const firstPage = await k.catalog.listReachableProducts(locked, { after: null, limit: 2 });
    expect(firstPage.map((p) => p.id)).toEqual([first.id, third.id]);
    const secondPage = await k.catalog.listReachableProducts(locked, { after: third.id, limit: 2 });
    expect(secondPage.map((p) => p.id)).toEqual([fourth.id]);
    const all = await k.catalog.listReachableProducts(unrestricted, { after: null, limit: 10 });
    expect(all.map((p) => p.id)).toEqual(products.map((p) => p.id));
  });

  it('products: a locked-away one is refused before its existence is looked at; a missing one is null', async () => {
    const [first, second] = products as [Product, Product];
    await expect(k.catalog.findProductOrDeny(lockedToFirstProduct(), second.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(k.catalog.findProductOrDeny(lockedToFirstProduct(), 424_242)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await k.catalog.findProductOrDeny(lockedToFirstProduct(), first.id)).toMatchObject({
      id: first.id,
    });
    expect(await k.catalog.findProductOrDeny(operatorPrincipal, 424_242)).toBeNull();
    const listed = [];
    for await (const product of k.catalog.eachProduct(lockedToFirstProduct())) listed.push(product.id);
    expect(listed).toEqual([first.id]);
  });

  it('finds licenses and their views only where the caller reaches, in the order asked', async () => {
    const [first, second, third] = licenses as [License, License, License];
    expect(await k.licenses.find(lockedToFirstLicense(), first.id)).toEqual(first);
    expect(await k.licenses.find(lockedToFirstLicense(), second.id)).toBeNull();
    expect(await k.licenses.findByKey(lockedToFirstProduct(), third.key)).toBeNull();
    expect(await k.licenses.findByKey(lockedToFirstProduct(), second.key)).toEqual(second);
    expect(await k.licenses.findByKey(unrestricted, '')).toBeNull();
    const views = await k.licenses.viewsOf(lockedToFirstProduct(), [second, third, first]);
    expect(views.map((v) => [v.license.id, v.policy.id])).toEqual([
      [second.id, second.policyId],
      [first.id, first.policyId],
    ]);
    expect(await k.licenses.findView(lockedToFirstLicense(), third.id)).toBeNull();
    expect(k.licenses.stateOf(first)).toEqual({ license: first, status: 'active' });
  });

  it('licenses: exact keys only, states and relations of reachable licenses only', async () => {
    const [first, second, third] = licenses as [License, License, License];
    expect(await k.licenses.getByExactKey(operatorPrincipal, first.key)).toMatchObject({ id: first.id });
    await expect(k.licenses.getByExactKey(operatorPrincipal, first.key.toLowerCase())).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    await expect(k.licenses.getByExactKey(lockedToFirstProduct(), third.key)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    const states = [];
    for await (const state of k.licenses.eachState(lockedToFirstProduct(), {})) states.push(state);
    // Each with its own policy's rules.
    expect(states.map((s) => [s.license.id, s.rules.maxMachines, s.status])).toEqual([
      [first.id, 2, 'active'],
      [second.id, (policies[1] as Policy).maxMachines, 'active'],
    ]);
    await expect(k.licenses.relationsOf(lockedToFirstProduct(), third)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    // The second license never holds a machine here.
    const view = await k.licenses.viewOf(lockedToFirstProduct(), second);
    expect(view.seatHolders).toEqual([]);
  });

  it('finds machines, their history and trial extensions through the license or policy they belong to', async () => {
    const [first, second] = licenses as [License, License];
    const { machine: kept } = await k.machines.activate(actor, first.id, { fingerprint: 'kept' });
    const { machine: gone } = await k.machines.activate(actor, first.id, { fingerprint: 'gone' });
    await k.machines.deactivate(actor, gone.id);
    expect(await k.machines.findActivation(lockedToFirstLicense(), kept.id)).toMatchObject({ id: kept.id });
    expect(await k.machines.findActivation(lockedToFirstLicense(), gone.id)).toBeNull();
    expect(await k.machines.find(lockedToFirstLicense(), gone.id)).toMatchObject({ id: gone.id });
    expect(await k.machines.find(tokenOf({ licenseId: second.id }), kept.id)).toBeNull();
    const history = await k.machines.history(lockedToFirstLicense(), first.id);
    expect(history.map((m) => [m.id, m.deactivatedAt !== null])).toEqual([
      [kept.id, false],
      [gone.id, true],
    ]);
    await expect(k.machines.history(lockedToFirstLicense(), second.id)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    const extension = await k.verifiedTrials.createExtension(actor, {
      policyId: (policies[1] as Policy).id,
      isOnline: true,
      isForVerifiedTrials: false,
      lengthSeconds: 86_400,
      redeemableUntil: new Date('2030-02-01T00:00:00Z'),
      customerRef: null,
      maxUses: 1,
    });
    expect(await k.verifiedTrials.findExtension(lockedToFirstProduct(), extension.id)).toEqual(extension);
    expect(await k.verifiedTrials.findExtension(lockedToFirstLicense(), extension.id)).toBeNull();
  });

  it('reads the audit log only as far as the caller reaches, leaving out events about unreachable licenses', async () => {
    const [first, second, third] = licenses as [License, License, License];
    const page = { before: null, limit: 100 };
    await expect(k.events.list(lockedToFirstProduct(), {}, page)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(
      k.events.list(lockedToFirstLicense(), { productId: (products[0] as Product).id }, page),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(k.events.list(lockedToFirstLicense(), { licenseId: third.id }, page)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    await expect(k.events.list(lockedToFirstProduct(), { licenseId: third.id }, page)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    await expect(
      k.events.list(lockedToFirstProduct(), { productId: (products[1] as Product).id }, page),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const own = await k.events.list(lockedToFirstProduct(), { licenseId: first.id }, page);
    expect(own.map((e) => e.type)).toContain('license.created');
    expect(own.every((e) => e.licenseId === first.id)).toBe(true);
    const keyLocked = await k.events.list(lockedToFirstLicense(), { licenseId: first.id }, page);
    expect(keyLocked.map((e) => e.type)).toContain('license.created');

    const everything = await k.events.list(operatorPrincipal, {}, page);
    const shown = await k.events.aboutLicenses(lockedToFirstProduct(), everything);
    expect(new Set(shown.map((e) => e.license.id))).toEqual(new Set([first.id, second.id]));
    expect(shown.every((e) => e.event.licenseId === e.license.id)).toBe(true);
  });

  it('lists license templates of reachable products, the cursor moving past hidden ones', async () => {
    const [a, , c] = policies as [Policy, Policy, Policy];
    const hidden = await k.licenseTemplates.create(actor, { name: 'hidden', policyId: c.id });
    const shown = await k.licenseTemplates.create(actor, { name: 'shown', policyId: a.id });
    const query = { policyId: null, after: hidden.id - 1, limit: 1 };
    expect(await k.licenseTemplates.listReachable(lockedToFirstProduct(), query)).toEqual({
      items: [],
      nextAfter: hidden.id,
    });
    expect(
      await k.licenseTemplates.listReachable(lockedToFirstProduct(), {
        ...query,
        after: hidden.id,
        limit: 5,
      }),
    ).toEqual({ items: [shown], nextAfter: null });
  });

  it('reads and changes a license template only through a reachable policy, hiding the others', async () => {
    const [a, , c] = policies as [Policy, Policy, Policy];
    const hidden = await k.licenseTemplates.create(actor, { name: 'out of reach', policyId: c.id });
    const shown = await k.licenseTemplates.create(actor, { name: 'in reach', policyId: a.id });
    const locked: Actor = { ...actor, principal: lockedToFirstProduct() };
    const missing = { code: 'NOT_FOUND', message: `license template ${hidden.id} does not exist` };
    expect(await k.licenseTemplates.view(lockedToFirstProduct(), shown.id)).toEqual(shown);
    await expect(k.licenseTemplates.view(lockedToFirstProduct(), hidden.id)).rejects.toMatchObject(missing);
    await expect(k.licenseTemplates.view(lockedToFirstLicense(), shown.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(k.licenseTemplates.update(locked, hidden.id, { notes: 'no' })).rejects.toMatchObject(
      missing,
    );
    await expect(k.licenseTemplates.delete(locked, hidden.id)).rejects.toMatchObject(missing);
    await expect(
      k.licenseTemplates.create(locked, { name: 'refused', policyId: c.id }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: `product ${c.productId} does not exist` });
    await expect(k.licenseTemplates.update(locked, shown.id, { policyId: c.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `product ${c.productId} does not exist`,
    });
    await expect(
      k.licenseTemplates.listReachable(lockedToFirstLicense(), { policyId: null, after: null, limit: 5 }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await k.licenseTemplates.view(unrestricted, hidden.id)).toEqual(hidden);
    expect(await k.licenseTemplates.update(locked, shown.id, { notes: 'kept' })).toMatchObject({
      notes: 'kept',
    });
  });

  it('reads feature fields and trial extensions only of reachable policies', async () => {
    const [a, , c] = policies as [Policy, Policy, Policy];
    const extensionOf = (policyId: number) =>
      k.verifiedTrials.createExtension(actor, {
        policyId,
        isOnline: true,
        isForVerifiedTrials: false,
        lengthSeconds: 86_400,
        redeemableUntil: new Date('2030-02-01T00:00:00Z'),
        customerRef: null,
        maxUses: 1,
      });
    const shown = await extensionOf(a.id);
    const hidden = await extensionOf(c.id);
    const locked = lockedToFirstProduct();
    expect(await k.verifiedTrials.readExtension(locked, shown.id)).toEqual(shown);
    expect(await k.verifiedTrials.readExtension(locked, hidden.id)).toBeNull();
    expect(await k.verifiedTrials.readExtensionByCode(locked, a.id, shown.code)).toEqual(shown);
    expect(await k.verifiedTrials.readExtensionByCode(locked, c.id, hidden.code)).toBeNull();
    expect(await k.verifiedTrials.readExtensionByCode(locked, a.id, hidden.code)).toBeNull();
    expect(await k.verifiedTrials.listExtensions(locked, a.id)).toContainEqual(shown);
    expect(await k.verifiedTrials.listExtensions(locked, c.id)).toEqual([]);
    expect(await k.verifiedTrials.listExtensions(unrestricted, c.id)).toContainEqual(hidden);
    expect(await k.featureFields.list(locked, a.id)).toEqual(await k.featureFields.list(unrestricted, a.id));
    await expect(k.featureFields.list(locked, c.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `policy ${c.id} does not exist`,
    });
  });

  // After the template listings above: the template made here would show in their pages.
  it('customers and templates need the reach their use needs; resellers only a credential', async () => {
    const [, second] = products as [Product, Product];
    const customer = await k.customers.create(actor, { name: 'Ada' });
    await expect(k.customers.find(lockedToFirstProduct(), customer.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(k.customers.find(lockedToFirstProduct(), 424_242)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await k.customers.find(operatorPrincipal, customer.id)).toMatchObject({ name: 'Ada' });

    const reseller = await k.resellers.create(actor, { name: 'Shop' });
    expect(await k.resellers.find(lockedToFirstLicense(), reseller.id)).toMatchObject({ name: 'Shop' });
    await expect(k.resellers.find(null, reseller.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const template = await k.licenseTemplates.create(actor, {
      name: 't',
      policyId: (policies[0] as Policy).id,
    });
    expect(await k.licenseTemplates.find(lockedToFirstProduct(), template.id)).toMatchObject({
      id: template.id,
    });
    expect(await k.licenseTemplates.find(lockedToFirstProduct(), 424_242)).toBeNull();
    await expect(
      k.licenseTemplates.find(tokenOf({ productIds: [second.id] }), template.id),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(k.licenseTemplates.find(lockedToFirstLicense(), template.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('data objects: one whose owner the caller may not reach is refused', async () => {
    const object = await k.dataObjects.create(actor, {
      ownerType: 'license',
      ownerId: (licenses[2] as License).id,
      name: 'n',
      stringValue: '',
      intValue: 1,
    });
    await expect(k.dataObjects.find(lockedToFirstLicense(), object.id)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    expect(await k.dataObjects.find(operatorPrincipal, object.id)).toMatchObject({ id: object.id });
    expect(await k.dataObjects.find(operatorPrincipal, 424_242)).toBeNull();
  });

  it('takes a license key as a credential only when its policy allows it, refusing alike otherwise', async () => {
    const [first, second] = licenses as [License, License];
    expect(await k.licenses.credentialOf(first.key)).toEqual({
      kind: 'license',
      license: expect.objectContaining({ id: first.id }),
    });
    await expect(k.licenses.credentialOf(second.key)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(k.licenses.credentialOf('NO-SUCH-KEY')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('reports the database reachable while it answers', async () => {
    expect(await k.health.isDatabaseReachable()).toBe(true);
  });
});
