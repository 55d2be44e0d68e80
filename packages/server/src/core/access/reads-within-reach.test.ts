import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aToken } from '../../test-support/domain-fixtures.js';
import { createTestStore, testDialects } from '../../test-support/test-store.js';
import { manualClock } from '../clock.js';
import { createKeyward, type Keyward } from '../keyward.js';
import type { License } from '../model.js';
import { SecretBox } from '../signing/secrets.js';
import type { Actor } from './actor.js';
import { operatorPrincipal, type Principal } from './principal.js';

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

/** A token locked to products, or to one license (with that license's products, as authentication reads them). */
const lockedTo = (locks: { productIds?: number[]; license?: License }): Principal => ({
  kind: 'token',
  token: aToken({
    productIds: locks.productIds ?? [],
    licenseId: locks.license?.id ?? null,
    ...(locks.license ? { licenseProductIds: locks.license.productIds } : {}),
  }),
});

/**
 * The read use cases the surfaces reach storage through decide who may read what: a surface only words the
 * refusal (Cryptolens says "Access denied." where core says FORBIDDEN).
 */
describe.each(await testDialects())('reads within the caller’s reach on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
  let mine: number;
  let theirs: number;
  let license: License;
  let theirLicense: License;

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
    mine = (await k.catalog.createProduct(actor, { name: 'Mine' })).id;
    theirs = (await k.catalog.createProduct(actor, { name: 'Theirs' })).id;
    const policy = await k.catalog.createPolicy(actor, { productId: mine, name: 'p', maxMachines: 3 });
    const theirPolicy = await k.catalog.createPolicy(actor, { productId: theirs, name: 'q' });
    license = await k.licenses.create(actor, policy.id, {});
    theirLicense = await k.licenses.create(actor, theirPolicy.id, {});
  });
  afterAll(() => store.dispose());

  it('products: a locked-away one is refused before its existence is looked at; a missing one is null', async () => {
    const onlyMine = lockedTo({ productIds: [mine] });
    await expect(k.catalog.findProductOrDeny(onlyMine, theirs)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(k.catalog.findProductOrDeny(onlyMine, 424_242)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await k.catalog.findProductOrDeny(onlyMine, mine)).toMatchObject({ id: mine });
    expect(await k.catalog.findProductOrDeny(operatorPrincipal, 424_242)).toBeNull();
    const listed = [];
    for await (const product of k.catalog.eachProduct(onlyMine)) listed.push(product.id);
    expect(listed).toEqual([mine]);
  });

  it('licenses: exact keys only, states and relations of reachable licenses only', async () => {
    expect(await k.licenses.getByExactKey(operatorPrincipal, license.key)).toMatchObject({ id: license.id });
    await expect(
      k.licenses.getByExactKey(operatorPrincipal, license.key.toLowerCase()),
    ).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    const onlyMine = lockedTo({ productIds: [mine] });
    await expect(k.licenses.getByExactKey(onlyMine, theirLicense.key)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    const states = [];
    for await (const state of k.licenses.eachState(onlyMine, {})) states.push(state);
    expect(states.map((s) => [s.license.id, s.rules.maxMachines, s.status])).toEqual([
      [license.id, 3, 'active'],
    ]);
    await expect(k.licenses.relationsOf(onlyMine, theirLicense)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    const view = await k.licenses.viewOf(onlyMine, license);
    expect(view.seatHolders).toEqual([]);
  });

  it('customers and templates need the reach their use needs; resellers only a credential', async () => {
    const customer = await k.customers.create(actor, { name: 'Ada' });
    const onlyMine = lockedTo({ productIds: [mine] });
    await expect(k.customers.find(onlyMine, customer.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(k.customers.find(onlyMine, 424_242)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await k.customers.find(operatorPrincipal, customer.id)).toMatchObject({ name: 'Ada' });

    const reseller = await k.resellers.create(actor, { name: 'Shop' });
    expect(await k.resellers.find(lockedTo({ license }), reseller.id)).toMatchObject({ name: 'Shop' });
    await expect(k.resellers.find(null, reseller.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const policyId = license.policyId;
    const template = await k.licenseTemplates.create(actor, { name: 't', policyId });
    expect(await k.licenseTemplates.find(onlyMine, template.id)).toMatchObject({ id: template.id });
    expect(await k.licenseTemplates.find(onlyMine, 424_242)).toBeNull();
    await expect(
      k.licenseTemplates.find(lockedTo({ productIds: [theirs] }), template.id),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(k.licenseTemplates.find(lockedTo({ license }), template.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('data objects: one whose owner the caller may not reach is refused', async () => {
    const object = await k.dataObjects.create(actor, {
      ownerType: 'license',
      ownerId: theirLicense.id,
      name: 'n',
      stringValue: '',
      intValue: 1,
    });
    await expect(k.dataObjects.find(lockedTo({ license }), object.id)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    expect(await k.dataObjects.find(operatorPrincipal, object.id)).toMatchObject({ id: object.id });
    expect(await k.dataObjects.find(operatorPrincipal, 424_242)).toBeNull();
  });

  it('events: the filter must stay within the locks, and events about unreachable licenses are left out', async () => {
    const page = { before: null, limit: 100 };
    const keyLocked = lockedTo({ license });
    await expect(k.events.list(keyLocked, { productId: mine }, page)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(k.events.list(lockedTo({ productIds: [mine] }), {}, page)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(k.events.list(keyLocked, { licenseId: theirLicense.id }, page)).rejects.toMatchObject({
      code: 'LICENSE_NOT_FOUND',
    });
    const own = await k.events.list(keyLocked, { licenseId: license.id }, page);
    expect(own.map((e) => e.type)).toContain('license.created');

    const everything = await k.events.list(operatorPrincipal, {}, page);
    const shown = await k.events.aboutLicenses(lockedTo({ productIds: [mine] }), everything);
    expect(new Set(shown.map((e) => e.license.id))).toEqual(new Set([license.id]));
    expect(shown.every((e) => e.event.licenseId === license.id)).toBe(true);
  });
});
