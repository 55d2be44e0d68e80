import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  type Json,
  testActor,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

const dialects = await testDialects();

describe.each(dialects)('Cryptolens data/, customer/, product/, message/ and ai/ methods (%s)', (dialect) => {
  let t: TestApp;
  let token: string;
  let productId: number;
  let policyId: number;
  let key: string;
  let licenseId: number;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 3 }));
    ({ key, id: licenseId } = await cryptolensLicense(t, policyId));
  });
  afterAll(() => t.dispose());

  const call = (method: string, params: Record<string, string | number | boolean | null> = {}) =>
    answerOf(callCryptolens(t, method, { token, ...params }));
  const onKey = (method: string, params: Record<string, string | number | boolean | null> = {}) =>
    call(method, { ProductId: productId, Key: key, ...params });
  const OK = { result: 0, message: '' };

  describe('data objects in their three variants', () => {
    it('adds, lists, sets and removes on the key, by id or by name', async () => {
      const { id } = await onKey('data/AddDataObjectToKey', { Name: 'seats', IntValue: 3, StringValue: 'x' });
      expect(await onKey('data/ListDataObjectsToKey', { Contains: 'sea' })).toEqual({
        dataObjects: [{ id, name: 'seats', stringValue: 'x', intValue: 3 }],
        ...OK,
      });
      expect(await onKey('data/SetIntValueToKey', { Id: id, IntValue: -4 })).toEqual(OK);
      expect(await onKey('data/SetStringValueToKey', { Name: 'seats', StringValue: 'y' })).toEqual(OK);
      expect((await onKey('data/ListDataObjectsToKey')).dataObjects).toEqual([
        { id, name: 'seats', stringValue: 'y', intValue: -4 },
      ]);
      // Names are unique per owner, whatever CheckForDuplicates says.
      expect(
        await onKey('data/AddDataObjectToKey', { Name: 'seats', CheckForDuplicates: false }),
      ).toMatchObject({
        result: 1,
      });
      expect(await onKey('data/RemoveDataObjectToKey', { Name: 'seats' })).toEqual(OK);
      expect(await onKey('data/RemoveDataObjectToKey', { Name: 'seats' })).toEqual({
        result: 1,
        message: 'Could not find the data object.',
      });
    });

    it('increments and decrements within 32 bits and within an inclusive bound; the sign of the step is ignored', async () => {
      await onKey('data/AddDataObjectToKey', { Name: 'credits', IntValue: 5 });
      const step = (method: string, params: Record<string, string | number | boolean>) =>
        onKey(method, { Name: 'credits', ...params });
      expect(
        await step('data/IncrementIntValueToKey', { IntValue: -3, EnableBound: 'True', Bound: 8 }),
      ).toEqual(OK);
      expect(
        await step('data/IncrementIntValueToKey', { IntValue: 1, EnableBound: true, Bound: 8 }),
      ).toMatchObject({
        result: 1,
      });
      expect(await step('data/DecrementIntValueToKey', { IntValue: 8, EnableBound: true, Bound: 0 })).toEqual(
        OK,
      );
      expect(
        await step('data/DecrementIntValueToKey', { IntValue: 1, EnableBound: true, Bound: 0 }),
      ).toMatchObject({
        result: 1,
      });
      await step('data/SetIntValueToKey', { IntValue: 2_147_483_647 });
      expect(await step('data/IncrementIntValueToKey', { IntValue: 1 })).toMatchObject({ result: 1 });
      const [credits] = (await onKey('data/ListDataObjectsToKey', { Contains: 'credits' })).dataObjects;
      expect(credits.intValue).toBe(2_147_483_647);
    });

    it('attaches objects to an activated machine code, and to products and keys through ReferencerType', async () => {
      await onKey('key/Activate', { MachineCode: 'pc-1' });
      const { id } = await onKey('data/AddDataObjectToMachineCode', { MachineCode: 'pc-1', Name: 'os' });
      expect((await onKey('data/ListDataObjectsToMachineCode', { MachineCode: 'pc-1' })).dataObjects).toEqual(
        [{ id, name: 'os', stringValue: '', intValue: 0 }],
      );
      expect(
        await onKey('data/IncrementIntValueToMachineCode', { MachineCode: 'pc-1', Id: id, IntValue: 2 }),
      ).toEqual(OK);
      expect(await onKey('data/AddDataObjectToMachineCode', { MachineCode: 'pc-9', Name: 'os' })).toEqual({
        result: 1,
        message: 'Either the machine code was never activated or key activation feature was never set up.',
      });

      const product = await call('data/AddDataObject', {
        ReferencerType: 1,
        ReferencerId: productId,
        Name: 'latest',
      });
      await call('data/SetStringValue', { Id: product.id, StringValue: '2.0' });
      expect(
        await call('data/ListDataObjects', { ReferencerType: 1, ReferencerId: productId, ShowAll: true }),
      ).toEqual({
        dataObjects: [
          {
            id: product.id,
            name: 'latest',
            stringValue: '2.0',
            intValue: 0,
            referencerType: 1,
            referencerId: productId,
          },
        ],
        ...OK,
      });
      const onLicense = await call('data/AddDataObject', {
        ReferencerType: 2,
        ReferencerId: licenseId,
        Name: 'g',
      });
      expect(await call('data/DecrementIntValue', { Id: onLicense.id, IntValue: 1 })).toEqual(OK);
      expect(await call('data/RemoveDataObject', { Id: onLicense.id })).toEqual(OK);
      // Account-wide objects (ReferencerType 0) have no owner in Keyward.
      expect(await call('data/AddDataObject', { ReferencerType: 0, Name: 'u' })).toEqual({
        result: 1,
        message: 'The input parameters were incorrect.',
      });
    });
  });

  describe('customers', () => {
    it('adds, edits, lists and removes customers, and finds their licenses by id or by secret', async () => {
      const added = await call('customer/AddCustomer', {
        Name: 'Carol',
        Email: 'carol@example.com',
        CompanyName: 'Acme',
      });
      expect(added).toEqual({
        customerId: expect.any(Number),
        secret: expect.any(String),
        portalLink: null,
        result: 0,
        message: null,
      });
      await onKey('key/ChangeCustomer', { CustomerId: added.customerId });
      expect(
        await call('customer/EditCustomer', { CustomerId: added.customerId, CompanyName: 'Acme AB' }),
      ).toEqual({
        result: 0,
        message: null,
      });
      const listed = await call('customer/GetCustomers', { Search: 'ACME' });
      expect(listed.customers).toEqual([
        expect.objectContaining({
          id: added.customerId,
          name: 'Carol',
          email: 'carol@example.com',
          companyName: 'Acme AB',
        }),
      ]);

      const licenses = await call('customer/GetCustomerLicenses', { CustomerId: added.customerId });
      expect(licenses.licenseKeys).toEqual([
        expect.objectContaining({ key, activatedMachines: null, dataObjects: null }),
      ]);
      const detailed = await call('customer/GetCustomerLicenses', {
        CustomerId: added.customerId,
        Detailed: true,
        Metadata: true,
      });
      expect(detailed.licenseKeys[0].activatedMachines).toEqual(expect.any(Array));
      expect(detailed.metadata[0].licenseStatus).toMatchObject({ isValid: true });
      const bySecret = await call('customer/GetCustomerLicensesBySecret', { Secret: added.secret });
      expect(bySecret.licenseKeys.map((l: Json) => l.key)).toEqual([key]);
      expect(await call('customer/GetCustomerLicensesBySecret', { Secret: 'wrong' })).toEqual({
        result: 1,
        message: 'Could not find the customer.',
      });

      const renewed = await call('customer/EditCustomer', { CustomerId: added.customerId, Secret: true });
      expect(renewed.secret).not.toBe(added.secret);
      expect((await call('customer/GetCustomerLicensesBySecret', { Secret: added.secret })).result).toBe(1);
      expect(
        await call('customer/EditCustomer', { CustomerId: added.customerId, Name: 'n'.repeat(101) }),
      ).toEqual({
        result: 1,
        message: 'The name of the customer is limited to 100 characters.',
      });
      expect(await call('customer/RemoveCustomer', { CustomerId: added.customerId })).toEqual({
        result: 0,
        message: null,
      });
      expect(await call('customer/RemoveCustomer', { CustomerId: added.customerId })).toEqual({
        result: 1,
        message: 'Customer could not be found.',
      });
    });
  });

  describe('products', () => {
    it('lists products with feature definitions and data objects', async () => {
      const { products } = await call('product/GetProducts');
      expect(products).toContainEqual(
        expect.objectContaining({
          id: productId,
          keyAlgorithm: 1,
          featureDefinitions: expect.objectContaining({
            f1: { name: 'F1', type: 0 },
            blockExpiredLicenses: false,
          }),
        }),
      );
    });

    it('pages keys by 99 and applies OrderBy and the documented SearchQuery subset', async () => {
      const { productId: shop, policyId: shopPolicy } = await cryptolensProduct(t);
      const created = [];
      for (let i = 0; i < 100; i++) {
        created.push(
          await cryptolensLicense(t, shopPolicy, {
            notes: i % 10 === 0 ? `vip ${i}` : null,
            features: { f2: i < 5 },
          }),
        );
      }
      const page = (params: Record<string, string | number>) =>
        call('product/GetKeys', { ProductId: shop, ...params });
      const first = await page({});
      expect(first).toMatchObject({ returned: 99, total: 100, pageCount: 2 });
      expect(first.licenseKeys[0]).toMatchObject({ id: created[0]?.id, signature: null, signDate: null });
      expect((await page({ Page: 2 })).licenseKeys.map((l: Json) => l.id)).toEqual([created[99]?.id]);
      const descending = await page({ OrderBy: 'ID descending' });
      expect(descending.licenseKeys[0].id).toBe(created[99]?.id);

      const vip = await page({ SearchQuery: 'Notes.Contains("vip") && ID > 0' });
      expect(vip.total).toBe(10);
      expect((await page({ SearchQuery: 'F2 == true' })).total).toBe(5);
      expect((await page({ SearchQuery: '(F2 || Notes.StartsWith("vip 9")) and !Block' })).total).toBe(6);
      expect(
        (await page({ SearchQuery: `Created >= DateTime(2000,1,1) && Key == "${created[3]?.key}"` })).total,
      ).toBe(1);
      expect(await page({ SearchQuery: 'Key.Reverse()' })).toEqual({
        result: 1,
        message:
          'The search query causes problems. Please check that it follows the standard: https://help.cryptolens.io/web-interface/linq-search-product',
      });
      expect(await page({ OrderBy: 'Colour ascending' })).toEqual({
        result: 1,
        message: "The 'order by' field causes problems. Please check the remarks section for this method.",
      });
    });
  });

  describe("GetKeys shows each key's state as core's view has it", () => {
    it('a revocation dated ahead is not Block yet, in SearchQuery and the key alike; MaxNoOfMachines is the effective one', async () => {
      const { productId: shop, policyId: shopPolicy } = await cryptolensProduct(t, { maxMachines: 2 });
      const [ahead, revoked, suspended, wider] = [
        await cryptolensLicense(t, shopPolicy),
        await cryptolensLicense(t, shopPolicy),
        await cryptolensLicense(t, shopPolicy),
        await cryptolensLicense(t, shopPolicy, { overrides: { maxMachines: 5 } }),
      ];
      const start = t.clock.now();
      try {
        // A revocation dated an hour ahead, as one written by a server whose clock runs ahead would be.
        t.clock.set(new Date(start.getTime() + 3_600_000));
        await t.keyward.licenses.revoke(testActor, ahead.id);
        t.clock.set(start);
        await t.keyward.licenses.revoke(testActor, revoked.id);
        await t.keyward.licenses.suspend(testActor, suspended.id);
        const ids = async (SearchQuery: string) =>
          (await call('product/GetKeys', { ProductId: shop, SearchQuery })).licenseKeys.map(
            (l: Json) => l.id,
          );
        const blockOf = async (id: number) =>
          (await call('product/GetKeys', { ProductId: shop, SearchQuery: `ID == ${id}` })).licenseKeys[0]
            .block;

        expect(await ids('Block')).toEqual([revoked.id, suspended.id]);
        expect(await ids('!Block')).toEqual([ahead.id, wider.id]);
        expect(await blockOf(ahead.id)).toBe(false);
        expect(await blockOf(revoked.id)).toBe(true);
        expect(await ids('MaxNoOfMachines == 5')).toEqual([wider.id]);
        expect(await ids('MaxNoOfMachines == 2')).toEqual([ahead.id, revoked.id, suspended.id]);

        t.clock.set(new Date(start.getTime() + 3_600_000));
        expect(await ids('Block')).toEqual([ahead.id, revoked.id, suspended.id]);
        expect(await blockOf(ahead.id)).toBe(true);
      } finally {
        t.clock.set(start);
      }
    });
  });

  describe('messages', () => {
    it('creates, lists by channel and time, and removes messages', async () => {
      const now = Math.floor(t.clock.now().getTime() / 1000);
      const old = await call('message/CreateMessage', {
        Content: 'v1 is out',
        Channel: 'stable',
        Time: now - 100,
      });
      const fresh = await call('message/CreateMessage', { Content: 'v2 is out', Channel: 'stable' });
      await call('message/CreateMessage', { Content: 'beta', Channel: 'beta' });
      expect(fresh).toEqual({ messageId: expect.any(Number), result: 0, message: '' });
      const stable = await call('message/GetMessages', { Channel: 'stable' });
      expect(stable.messages).toEqual([
        { id: fresh.messageId, content: 'v2 is out', created: now, channel: 'stable' },
        { id: old.messageId, content: 'v1 is out', created: now - 100, channel: 'stable' },
      ]);
      expect(
        (await call('message/GetMessages', { Channel: 'stable', Time: now - 50 })).messages,
      ).toHaveLength(1);
      expect((await call('message/GetMessages', {})).messages).toHaveLength(3);
      expect(await call('message/RemoveMessage', { Id: old.messageId })).toEqual(OK);
      expect(await call('message/RemoveMessage', { Id: old.messageId })).toEqual({
        result: 1,
        message: 'Could not find the message.',
      });
    });
  });

  describe('web API log', () => {
    it('reads activations and validations of a key from the event log', async () => {
      const { key: logged } = await cryptolensLicense(t, policyId);
      const onLogged = (method: string, params: Record<string, string | number | boolean> = {}) =>
        call(method, { ProductId: productId, Key: logged, ...params });
      await onLogged('key/Activate', { MachineCode: 'm1', FriendlyName: 'Laptop' });
      await onLogged('key/Activate', { MachineCode: 'm1' });
      await onLogged('key/GetKey');
      await t.keyward.bookkeeping.flush();
      const { logs } = await onLogged('ai/GetWebAPILog', { Limit: 10 });
      expect(logs.map((l: Json) => l.state)).toEqual([2030, 2011, 2010]);
      expect(logs[2]).toMatchObject({ key: logged, productId, machineCode: 'm1', friendlyName: 'Laptop' });
      const ascending = await onLogged('ai/GetWebAPILog', { OrderBy: 'Id ascending', Limit: 2 });
      expect(ascending.logs.map((l: Json) => l.state)).toEqual([2010, 2011]);
      expect((await onLogged('ai/GetWebAPILog', { States: '[2010,2011]' })).logs).toHaveLength(2);
      const after = await onLogged('ai/GetWebAPILog', { StartingAfter: logs[1].id });
      expect(after.logs.map((l: Json) => l.id)).toEqual([logs[0].id]);
    });
  });
});
