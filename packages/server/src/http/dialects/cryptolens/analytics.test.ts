import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  type Json,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

const dialects = await testDialects();
const OK = { result: 0, message: '' };
const DENIED = { result: 1, message: 'Access denied.' };
const INVALID = { result: 1, message: 'The input parameters were incorrect.' };
const NO_KEY = { result: 1, message: 'Could not find the key.' };

/**
 * ai/RegisterEvent and ai/GetEvents (spec §2.14: `ProductId`, `Key`, `MachineCode`, `FeatureName`,
 * `EventName`, `Value`, `Currency`, `Metadata`), with requests shaped as the vendor's SDKs send them.
 */
describe.each(dialects)('Cryptolens feature-usage analytics (%s)', (dialect) => {
  let t: TestApp;
  let token: string;
  let productId: number;
  let policyId: number;
  let otherProductId: number;
  let key: string;
  let licenseId: number;
  let otherKey: string;

  const call = (method: string, params: Record<string, string | number | boolean | null>, as = token) =>
    answerOf(callCryptolens(t, method, { token: as, ...params }));
  const register = (params: Record<string, string | number | boolean | null>, as = token) =>
    call('ai/RegisterEvent', params, as);
  const events = async (params: Record<string, string | number | boolean | null> = {}, as = token) => {
    const answer = await call('ai/GetEvents', params, as);
    if (answer.result !== 0) return answer;
    return answer.events as Json[];
  };

  beforeAll(async () => {
    t = await createTestApp(dialect);
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t));
    ({ productId: otherProductId } = await cryptolensProduct(t));
    ({ key, id: licenseId } = await cryptolensLicense(t, policyId));
    ({ key: otherKey } = await cryptolensLicense(t, policyId));
  });
  afterAll(() => t.dispose());

  it('registers an event with every field, as the .NET SDK sends it, and reads it back', async () => {
    // .NET: every property of RegisterEventModel, lower-case path with doubled and trailing slashes.
    const answer = await answerOf(
      callCryptolens(
        t,
        '',
        {
          token,
          ProductId: productId,
          Key: key,
          MachineCode: 'pc-1',
          FeatureName: 'YearReportGenerator',
          EventName: 'start',
          Value: 0,
          Currency: '',
          Metadata: '{"os":"windows"}',
          LicenseServerUrl: '',
          v: 1,
        },
        { path: '/cryptolens/api//ai/registerevent/' },
      ),
    );
    expect(answer).toEqual(OK);
    const [event] = await events({ ProductId: productId, Key: key, Limit: 1 });
    expect(event).toEqual({
      id: expect.any(Number),
      productId,
      key,
      machineCode: 'pc-1',
      featureName: 'YearReportGenerator',
      eventName: 'start',
      value: 0,
      currency: null,
      metadata: '{"os":"windows"}',
      time: Math.floor(t.clock.now().getTime() / 1000),
      ip: '127.0.0.1',
    });
  });

  it('registers a payment without a key, and an event with only a machine code (Python sends 0 and "")', async () => {
    // The vendor's example: ?Value=30&Currency=USD&ProductId=3&MachineCode=<machine code>
    expect(
      await call(
        'ai/RegisterEvent',
        { token, Value: 3000, Currency: 'USD', ProductId: productId, MachineCode: 'pc-2' },
        token,
      ),
    ).toEqual(OK);
    // Python's register_event: product_id=0, key="", value=0, currency="", metadata=""
    expect(
      await register({
        ProductId: 0,
        Key: '',
        MachineCode: 'pc-3',
        FeatureName: '',
        EventName: 'closed',
        Value: 0,
        Currency: '',
        Metadata: '',
      }),
    ).toEqual(OK);
    const [machineOnly, payment] = await events({ Limit: 2 });
    expect(machineOnly).toMatchObject({
      productId: null,
      key: null,
      machineCode: 'pc-3',
      eventName: 'closed',
    });
    expect(payment).toMatchObject({
      productId,
      key: null,
      value: 3000,
      currency: 'USD',
      machineCode: 'pc-2',
    });
  });

  it('refuses unknown keys and products, keys of another product, and fields beyond their bounds', async () => {
    expect(await register({ ProductId: productId, Key: 'NOPE0-NOPE0-NOPE0-NOPE0' })).toEqual(NO_KEY);
    expect(await register({ ProductId: otherProductId, Key: key })).toEqual(NO_KEY);
    expect(await register({ ProductId: 424_242, EventName: 'x' })).toEqual({
      result: 1,
      message: 'Could not find the product.',
    });
    const before = (await events({ Limit: 1000 })).length;
    expect(await register({ ProductId: productId, FeatureName: 'f'.repeat(101) })).toEqual(INVALID);
    expect(await register({ ProductId: productId, EventName: 'e'.repeat(101) })).toEqual(INVALID);
    expect(await register({ ProductId: productId, Currency: 'c'.repeat(11) })).toEqual(INVALID);
    expect(await register({ ProductId: productId, Metadata: 'm'.repeat(4001) })).toEqual(INVALID);
    expect(await register({ ProductId: productId, MachineCode: 'x'.repeat(1025) })).toEqual(INVALID);
    expect((await events({ Limit: 1000 })).length).toBe(before);
    // The longest values that fit are kept whole.
    expect(
      await register({ ProductId: productId, FeatureName: 'f'.repeat(100), Metadata: 'm'.repeat(4000) }),
    ).toEqual(OK);
    expect((await events({ Limit: 1 }))[0]).toMatchObject({
      featureName: 'f'.repeat(100),
      metadata: 'm'.repeat(4000),
    });
  });

  it('reads pages: Limit, StartingAfter, EndingBefore, OrderBy, Time and Metadata', async () => {
    const productOnly = async (params: Record<string, string | number> = {}) =>
      (await events({ ProductId: productId, ...params })) as Json[];
    t.clock.advance(3600);
    for (let n = 1; n <= 12; n++)
      await register({ ProductId: productId, EventName: `page-${n}`, Metadata: `m${n}` });
    const newest = await productOnly({ Limit: 3 });
    expect(newest.map((e) => e.eventName)).toEqual(['page-12', 'page-11', 'page-10']);
    expect(await productOnly()).toHaveLength(10); // Limit 10 by default
    const [twelfth, eleventh, tenth] = newest;
    expect((await productOnly({ EndingBefore: twelfth.id, Limit: 1 })).map((e) => e.id)).toEqual([
      eleventh.id,
    ]);
    expect(
      (await productOnly({ StartingAfter: tenth.id, OrderBy: 'Id ascending', Limit: 5 })).map(
        (e) => e.eventName,
      ),
    ).toEqual(['page-11', 'page-12']);
    // The oldest first after a cursor, however many newer ones there are.
    const [firstOfPage] = await productOnly({ Metadata: 'm1' });
    expect(
      (await productOnly({ StartingAfter: firstOfPage.id, OrderBy: 'Id ascending', Limit: 2 })).map(
        (e) => e.eventName,
      ),
    ).toEqual(['page-2', 'page-3']);
    const since = Math.floor(t.clock.now().getTime() / 1000);
    expect(await productOnly({ Time: since, Limit: 100 })).toHaveLength(12);
    expect(await productOnly({ Time: since + 1, Limit: 100 })).toEqual([]);
    expect((await productOnly({ Metadata: 'm2' })).map((e) => e.eventName)).toEqual(['page-2']);
    expect(await productOnly({ Limit: 5000 })).toEqual(expect.any(Array)); // at most 1000, no error
  });

  it("keeps a product-locked token within its products and a key-locked token within its key's events", async () => {
    const productLocked = await cryptolensToken(t, { productIds: [productId] });
    expect(await register({ EventName: 'no product' }, productLocked)).toEqual(DENIED);
    expect(await register({ ProductId: otherProductId, EventName: 'x' }, productLocked)).toEqual(DENIED);
    expect(await register({ ProductId: productId, EventName: 'locked-product' }, productLocked)).toEqual(OK);
    const seen = (await events({ Limit: 1000 }, productLocked)) as Json[];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.productId === productId)).toBe(true);
    expect(await events({ ProductId: otherProductId }, productLocked)).toEqual(DENIED);

    // auth/KeyLock hands apps a token locked to their key: it reports about that key, and reads only it.
    const parent = await cryptolensToken(t, {
      scopes: ['analytics:read', 'analytics:write', 'licenses:validate'],
      canIssueLicenseTokens: true,
    });
    const { token: keyLocked } = await call('auth/KeyLock', { ProductId: productId, Key: key }, parent);
    expect(await register({ ProductId: productId, EventName: 'from-the-app' }, keyLocked)).toEqual(OK);
    expect(await register({ ProductId: productId, Key: otherKey, EventName: 'x' }, keyLocked)).toEqual(
      NO_KEY,
    );
    const own = (await events({ Limit: 1000 }, keyLocked)) as Json[];
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e) => e.key === key)).toBe(true);
    expect(own[0]).toMatchObject({ eventName: 'from-the-app', key });
    expect(await events({ Key: otherKey }, keyLocked)).toEqual(NO_KEY);
    expect((await t.keyward.licenses.get(licenseId)).key).toBe(key);
  });

  it('needs the analytics scopes, and method-locked tokens need the method in their lock', async () => {
    const validateOnly = await cryptolensToken(t, { scopes: ['licenses:validate'] });
    expect(await register({ ProductId: productId, EventName: 'x' }, validateOnly)).toEqual(DENIED);
    expect(await events({}, validateOnly)).toEqual(DENIED);
    const writer = await cryptolensToken(t, {
      scopes: ['analytics:write'],
      methodLock: ['ai/registerevent'],
    });
    expect(await register({ ProductId: productId, EventName: 'locked-method' }, writer)).toEqual(OK);
    expect(await events({}, writer)).toEqual(DENIED);
  });
});

describe('Cryptolens analytics are rate-limited like every call', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { rateLimit: { perTokenPerMinute: 3, perIpPerMinute: 100 } });
  });
  afterAll(() => t.dispose());

  it('answers the fourth call of a minute with 429 in the envelope', async () => {
    const token = await cryptolensToken(t);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await callCryptolens(t, 'ai/RegisterEvent', { token, EventName: `e${i}` });
      statuses.push(response.statusCode);
      if (response.statusCode === 429)
        expect(response.json()).toEqual({
          result: 1,
          message: 'Too many requests. Please wait a minute and try again.',
        });
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
