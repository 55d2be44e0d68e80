import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
} from '../../../test-support/cryptolens-calls.js';
import { emptyParameters } from '../../../test-support/growth-ratio.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';
import { METHODS } from './method-table.js';

const INVALID = { result: 1, message: 'The input parameters were incorrect.' };

const dialects = await testDialects();

/** Malformed requests get the vendor's envelope — never a 500, never the native error body. */
describe.each(dialects)('bad input on the Cryptolens dialect (%s)', (dialect) => {
  let t: TestApp;
  let token: string;
  let productId: number;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    token = await cryptolensToken(t);
    const product = await cryptolensProduct(t);
    productId = product.productId;
    key = (await cryptolensLicense(t, product.policyId)).key;
  });
  afterAll(() => t.dispose());

  const envelope = (response: { statusCode: number; json(): unknown }, status: number, body: object) => {
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual(body);
  };

  it('answers unknown paths and methods with 404 in the envelope', async () => {
    for (const url of [
      '/cryptolens',
      '/cryptolens/',
      '/cryptolens/api/key',
      '/cryptolens/api/key/Nope',
      '/cryptolens/x/key/activate',
      '/cryptolens/api/key/activate/extra',
    ]) {
      envelope(await t.app.inject({ method: 'POST', url }), 404, {
        result: 1,
        message: 'This method does not exist.',
      });
    }
    envelope(await t.app.inject({ method: 'PUT', url: '/cryptolens/api/key/Activate' }), 404, {
      result: 1,
      message: 'This method does not exist.',
    });
    // Prototype names are not methods.
    envelope(await t.app.inject({ method: 'POST', url: '/cryptolens/api/__proto__/constructor' }), 404, {
      result: 1,
      message: 'This method does not exist.',
    });
  });

  it('refuses malformed bodies as incorrect input', async () => {
    const post = (payload: string, contentType: string) =>
      t.app.inject({
        method: 'POST',
        url: '/cryptolens/api/key/GetKey',
        payload,
        headers: { 'content-type': contentType },
      });
    envelope(await post('{"token":', 'application/json'), 200, INVALID);
    envelope(await post('[1,2]', 'application/json'), 200, INVALID);
    envelope(await post('null', 'application/json'), 200, INVALID);
    // Any other media type is read as a form; without a token that is an authentication failure.
    envelope(await post('<xml/>', 'text/xml'), 401, { result: 1, message: 'Unable to authenticate.' });
    envelope(await post('%E0%A4%A', 'application/x-www-form-urlencoded'), 401, {
      result: 1,
      message: 'Unable to authenticate.',
    });
  });

  it('refuses more than 1000 parameters or JSON values as incorrect input, at once, with or without a token', async () => {
    const hostile = emptyParameters(120_000);
    const members = JSON.stringify(Object.fromEntries(hostile.split('&').map((p) => [p.slice(0, -1), ''])));
    const started = performance.now();
    for (const credentials of ['', `token=${token}&`]) {
      for (const [payload, contentType] of [
        [`${credentials}${hostile}`, 'application/x-www-form-urlencoded'],
        [`${credentials}${emptyParameters(1_001)}`, 'text/plain'],
        [members, 'application/json'],
      ] as const) {
        const response = await t.app.inject({
          method: 'POST',
          url: '/cryptolens/api/key/Activate',
          payload,
          headers: { 'content-type': contentType },
        });
        envelope(response, 200, INVALID);
      }
      const query = await t.app.inject({
        method: 'GET',
        url: `/cryptolens/api/key/GetKey?${credentials}${emptyParameters(1_001)}`,
      });
      envelope(query, 200, INVALID);
    }
    expect(performance.now() - started).toBeLessThan(10_000);
    // At the limit, the request is read: 1000 parameters with the token among them.
    const response = await t.app.inject({
      method: 'POST',
      url: '/cryptolens/api/key/GetKey',
      payload: `token=${token}&ProductId=${productId}&Key=${key}&${emptyParameters(997)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.json()).toMatchObject({ result: 0 });
  });

  it('refuses JSON nested deeper than the shared limit as incorrect input', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/cryptolens/api/key/GetKey',
      payload: `{"token":"${token}","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      headers: { 'content-type': 'application/json' },
    });
    envelope(response, 200, INVALID);
  });

  it('refuses a SearchQuery nested too deeply or too long in the envelope, never a 500', async () => {
    const message =
      'The search query causes problems. Please check that it follows the standard: https://help.cryptolens.io/web-interface/linq-search-product';
    for (const SearchQuery of [
      `${'('.repeat(100_000)}F1${')'.repeat(100_000)}`,
      `${'!'.repeat(200_000)}F1`,
      `F1 && ${'F2 || '.repeat(10_000)}F3`,
    ]) {
      const response = await callCryptolens(t, 'product/GetKeys', {
        token,
        ProductId: productId,
        SearchQuery,
      });
      envelope(response, 200, { result: 1, message });
    }
    const fine = await callCryptolens(t, 'product/GetKeys', {
      token,
      ProductId: productId,
      SearchQuery: `${'!('.repeat(15)}!F1${')'.repeat(15)}`,
    });
    expect(fine.json()).toMatchObject({ result: 0 });
  });

  it('never answers 500 for junk in any parameter of any method', async () => {
    const junk = [
      '-1',
      '2147483648',
      '2147483647',
      '36501',
      'abc',
      'None',
      '',
      '😀'.repeat(300),
      'x'.repeat(20_000),
    ];
    for (const method of Object.keys(METHODS)) {
      for (const value of junk) {
        const params = Object.fromEntries(
          [
            'ProductId',
            'Key',
            'MachineCode',
            'Id',
            'Name',
            'IntValue',
            'Feature',
            'CustomerId',
            'ReferencerId',
            'ReferencerType',
            'Period',
            'NoOfKeys',
            'LicenseTemplateId',
            'States',
            'SearchQuery',
            'OrderBy',
            'Page',
            'Time',
            'Limit',
            'NumberOfMachines',
            'FloatingTimeInterval',
            'ModelVersion',
            'FieldsToReturn',
            'Secret',
            'Channel',
            'Content',
          ].map((name) => [name, name === 'ProductId' && value === '' ? String(productId) : value]),
        );
        const response = await callCryptolens(t, method, { token, ...params });
        expect(response.statusCode, `${method} with ${value.slice(0, 20)}: ${response.body}`).toBeLessThan(
          500,
        );
        expect(response.json()).toMatchObject({ result: expect.any(Number) });
      }
    }
  });

  it('refuses text no database can store (NUL) as incorrect input', async () => {
    envelope(
      await callCryptolens(t, 'key/Activate', {
        token,
        ProductId: productId,
        Key: key,
        MachineCode: 'a\u0000b',
      }),
      200,
      INVALID,
    );
  });

  it('renders the rate limit in the envelope with HTTP 429', async () => {
    const limited = await createTestApp(dialect, { rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 2 } });
    try {
      const call = () => limited.app.inject({ method: 'POST', url: '/cryptolens/api/key/GetKey' });
      await call();
      await call();
      envelope(await call(), 429, {
        result: 1,
        message: 'Too many requests. Please wait a minute and try again.',
      });
    } finally {
      await limited.dispose();
    }
  });
});
