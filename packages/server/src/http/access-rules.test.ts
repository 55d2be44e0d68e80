import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../core/access/principal.js';
import type { TokenInput } from '../core/access/token-grant.js';
import { authtool } from '../test-support/authtool-calls.js';
import {
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  type Json,
  testActor,
} from '../test-support/cryptolens-calls.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../test-support/test-app.js';
import type { TestDialect } from '../test-support/test-store.js';

/**
 * Access rules that one surface once enforced and another skipped. Each rule now lives in core, so each
 * check here runs the same refusal through every surface that can attempt it.
 */
for (const dialect of ['sqlite', 'postgres'] as TestDialect[]) {
  describe(`access rules on every surface (${dialect})`, () => {
    let t: TestApp;
    let productA: Awaited<ReturnType<typeof cryptolensProduct>>;
    let productB: Awaited<ReturnType<typeof cryptolensProduct>>;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      productA = await cryptolensProduct(t);
      productB = await cryptolensProduct(t);
      await t.keyward.catalog.createPolicy(testActor, {
        productId: productA.productId,
        name: 'Trial',
        isTrial: true,
        durationSeconds: 86_400,
      });
    });
    afterAll(() => t?.dispose());

    const native = (
      token: string,
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      payload?: object,
    ) =>
      t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(payload ? { payload } : {}),
      });
    const issue = async (input: Partial<TokenInput>) =>
      (
        await t.keyward.tokens.create(testActor, operatorPrincipal, {
          name: 'rule test',
          scopes: ['*'],
          ...input,
        })
      ).secret;

    it('a token locked to one license mints no keys anywhere (CreateKey, CreateTrialKey, native, AuthTool)', async () => {
      const own = await cryptolensLicense(t, productA.policyId);
      const locked = await issue({ licenseId: own.id });
      const before = (await t.store.licenses.list({}, { after: null, limit: 1000, now: new Date() })).length;
      const createKey = (
        await callCryptolens(t, 'key/CreateKey', {
          token: locked,
          ProductId: productA.productId,
          NoOfKeys: 3,
        })
      ).json() as Json;
      expect(createKey).toMatchObject({ result: 1, message: 'Access denied.' });
      const trial = (
        await callCryptolens(t, 'key/CreateTrialKey', {
          token: locked,
          ProductId: productA.productId,
          MachineCode: 'trial-machine',
        })
      ).json() as Json;
      expect(trial).toMatchObject({ result: 1 });
      expect((await native(locked, 'POST', '/v1/licenses', { policyId: productA.policyId })).statusCode).toBe(
        403,
      );
      expect(
        (
          await authtool(t, {
            method: 'POST',
            path: '/key/single-activate',
            apiKey: locked,
            payload: { packageIds: [productA.productId], count: 1 },
          })
        ).statusCode,
      ).toBe(403);
      const after = (await t.store.licenses.list({}, { after: null, limit: 1000, now: new Date() })).length;
      expect(after).toBe(before);
    });

    it('a token that manages tokens cannot touch a token with more power (the admin)', async () => {
      const manager = await issue({ scopes: ['tokens:read', 'tokens:write'] });
      const tokens = (await native(TEST_ADMIN_TOKEN, 'GET', '/v1/tokens')).json() as Json;
      const admin = tokens.data.find((token: Json) => token.scopes.includes('*'));
      for (const change of [{ isDormant: true }, { maxClientAddresses: 1 }]) {
        const refused = await native(manager, 'PATCH', `/v1/tokens/${admin.id}`, change);
        expect(refused.statusCode, refused.body).toBe(403);
      }
      expect((await native(manager, 'DELETE', `/v1/tokens/${admin.id}`)).statusCode).toBe(403);
      expect((await native(TEST_ADMIN_TOKEN, 'GET', '/v1/products')).statusCode).toBe(200);
      // Nor can it create one with more power, nor lift its own limits.
      const limited = await issue({ scopes: ['tokens:read', 'tokens:write'], maxClientAddresses: 2 });
      expect(
        (await native(limited, 'POST', '/v1/tokens', { name: 'wider', scopes: ['licenses:read'] }))
          .statusCode,
      ).toBe(403);
      const limitedId = ((await native(TEST_ADMIN_TOKEN, 'GET', '/v1/tokens')).json() as Json).data.at(-1).id;
      expect(
        (await native(limited, 'PATCH', `/v1/tokens/${limitedId}`, { maxClientAddresses: null })).statusCode,
      ).toBe(403);
      // An equal token may be managed: the rule is "no more power", not "nothing".
      const peer = await native(manager, 'POST', '/v1/tokens', { name: 'peer', scopes: ['tokens:read'] });
      expect(peer.statusCode).toBe(201);
      expect((await native(manager, 'DELETE', `/v1/tokens/${peer.json().id}`)).statusCode).toBe(204);
      // The operator's KEYWARD_ADMIN_TOKEN is changed through the setting only, even by an equal token.
      const wildcard = await issue({ scopes: ['*'] });
      expect((await native(wildcard, 'DELETE', `/v1/tokens/${admin.id}`)).statusCode).toBe(403);
    });

    it('a product-locked token cannot attach a customer, existing or not, on any surface', async () => {
      const customer = await t.keyward.customers.create(testActor, {
        name: 'Product B buyer',
        email: 'b@example.com',
      });
      const lockedA = await issue({ productIds: [productA.productId] });
      const answers = [];
      for (const customerId of [customer.id, 987_654]) {
        answers.push(
          (
            await callCryptolens(t, 'key/CreateKey', {
              token: lockedA,
              ProductId: productA.productId,
              CustomerId: customerId,
            })
          ).json(),
        );
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]).toMatchObject({ result: 1, message: 'Access denied.' });
      const created = await native(lockedA, 'POST', '/v1/licenses', {
        policyId: productA.policyId,
        customerId: customer.id,
      });
      expect(created.statusCode).toBe(403);
      const own = await cryptolensLicense(t, productA.policyId);
      const patched = await native(lockedA, 'PATCH', `/v1/licenses/${own.id}`, { customerId: customer.id });
      expect(patched.statusCode).toBe(403);
      expect((await t.keyward.licenses.get(own.id)).customerId).toBeNull();
    });

    it('a method lock means the same on the native API as in the dialects', async () => {
      const app = await issue({
        productIds: [productA.productId],
        methodLock: ['key/Activate', 'key/GetKey'],
      });
      const license = await cryptolensLicense(t, productA.policyId);
      const activated = await native(app, 'POST', '/v1/machines', {
        licenseId: license.id,
        fingerprint: 'fp-1',
      });
      expect(activated.statusCode, activated.body).toBe(201);
      expect((await native(app, 'DELETE', `/v1/machines/${activated.json().id}`)).statusCode).toBe(403);
      expect(
        (
          await native(app, 'POST', '/v1/licenses/actions/check-out', {
            licenseId: license.id,
            fingerprint: 'fp-1',
          })
        ).statusCode,
      ).toBe(403);
      expect((await native(app, 'GET', '/v1/products')).statusCode).toBe(403);
      const deactivate = (
        await callCryptolens(t, 'key/Deactivate', {
          token: app,
          ProductId: productA.productId,
          Key: license.key,
          MachineCode: 'fp-1',
        })
      ).json() as Json;
      expect(deactivate).toMatchObject({ result: 1, message: 'Access denied.' });
      expect(
        (
          await t.keyward.machines.list(operatorPrincipal, {
            licenseId: license.id,
            includeDeactivated: false,
            after: null,
            limit: 10,
          })
        ).length,
      ).toBe(1);
    });

    it('a caller learns nothing about what it may not see', async () => {
      const lockedA = await issue({ productIds: [productA.productId] });
      const other = await cryptolensLicense(t, productB.policyId);
      // Minting a token for another product's license: 404 as for a license that does not exist.
      const forOther = await native(lockedA, 'POST', '/v1/tokens', {
        name: 'x',
        scopes: ['licenses:read'],
        licenseId: other.id,
      });
      const forNone = await native(lockedA, 'POST', '/v1/tokens', {
        name: 'x',
        scopes: ['licenses:read'],
        licenseId: 987_654,
      });
      expect(forOther.statusCode).toBe(404);
      expect(forOther.json().error).toEqual({
        ...forNone.json().error,
        requestId: forOther.json().error.requestId,
      });
      // Validating another product's key: the same answer as an unknown key.
      const validate = async (key: string) => {
        const {
          ts: _ts,
          request: _request,
          ...rest
        } = (await native(lockedA, 'POST', '/v1/licenses/actions/validate-key', { key })).json() as Json;
        return rest;
      };
      expect(await validate(other.key)).toEqual(await validate('NOPE0-NOPE0-NOPE0-NOPE0'));
      // Native by key or id; AuthTool's detail; Cryptolens GetKey with a token locked to another key.
      const byKey = await native(lockedA, 'GET', `/v1/licenses/${other.key}`);
      const byNone = await native(lockedA, 'GET', '/v1/licenses/NOPE0-NOPE0');
      expect([byKey.statusCode, byKey.json().error.message]).toEqual([404, byNone.json().error.message]);
      const detailOther = await authtool(t, {
        method: 'GET',
        path: `/key/${other.key}/detail`,
        apiKey: lockedA,
      });
      const detailNone = await authtool(t, {
        method: 'GET',
        path: '/key/NOPE0-NOPE0/detail',
        apiKey: lockedA,
      });
      expect([detailOther.statusCode, detailOther.body]).toEqual([detailNone.statusCode, detailNone.body]);
      const mine = await cryptolensLicense(t, productA.policyId);
      const sibling = await cryptolensLicense(t, productA.policyId);
      const keyLocked = await issue({ licenseId: mine.id });
      const getKey = async (key: string) =>
        (
          await callCryptolens(t, 'key/GetKey', { token: keyLocked, ProductId: productA.productId, Key: key })
        ).json();
      expect(await getKey(sibling.key)).toEqual(await getKey('NOPE0-NOPE0-NOPE0-NOPE0'));
    });

    it('messages belong to the account: a product-locked token neither creates nor removes them', async () => {
      const lockedA = await issue({ productIds: [productA.productId] });
      const created = (
        await callCryptolens(t, 'message/CreateMessage', {
          token: lockedA,
          Channel: 'stable',
          Content: 'A new version is out',
        })
      ).json() as Json;
      expect(created).toMatchObject({ result: 1, message: 'Access denied.' });
      const byAdmin = (
        await callCryptolens(t, 'message/CreateMessage', {
          token: await cryptolensToken(t),
          Channel: 'stable',
          Content: 'A new version is out',
        })
      ).json() as Json;
      expect(byAdmin).toMatchObject({ result: 0 });
      const removed = (
        await callCryptolens(t, 'message/RemoveMessage', { token: lockedA, Id: byAdmin.messageId })
      ).json() as Json;
      expect(removed).toMatchObject({ result: 1 });
    });
  });
}
