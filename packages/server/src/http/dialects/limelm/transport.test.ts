import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fails, ok, parseXml, productWithVersion, send } from '../../../test-support/limelm-calls.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';

/** Transport (spec §1): how requests may arrive and how answers are shaped, malformed requests included. */

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('LimeLM transport', () => {
  let t: TestApp;
  let versionId: string;
  beforeAll(async () => {
    t = await createTestApp();
    ({ versionId } = await productWithVersion(t));
    await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'note', required: 'false' });
  });
  afterAll(() => t.dispose());

  const post = (payload: string, url = '/api/rest/') =>
    t.app.inject({ method: 'POST', url, headers: form, payload });

  it('takes POST form bodies, query strings on POST, and GET', async () => {
    const query = `api_key=${TEST_ADMIN_TOKEN}&method=limelm.prod.getAll&format=json&nojsoncallback=1`;
    for (const response of [
      await post(query),
      await t.app.inject({ method: 'POST', url: `/api/rest/?${query}` }),
      await t.app.inject({ method: 'GET', url: `/api/rest/?${query}` }),
      await t.app.inject({ method: 'GET', url: `/api/rest?${query}` }),
      await t.app.inject({ method: 'GET', url: `/limelm/api/rest/?${query}` }),
    ]) {
      expect(response.statusCode).toBe(200);
      expect(response.json().stat).toBe('ok');
    }
  });

  it('a parameter in both query string and body takes the body’s value', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/rest/?format=rest',
      headers: form,
      payload: `api_key=${TEST_ADMIN_TOKEN}&method=limelm.test.echo&format=json&nojsoncallback=1`,
    });
    expect(response.json().stat).toBe('ok');
  });

  it('answers 168 to methods other than GET and POST', async () => {
    const response = await t.app.inject({ method: 'PUT', url: `/api/rest/?api_key=${TEST_ADMIN_TOKEN}` });
    expect(response.statusCode).toBe(200);
    expect(parseXml(response.body).rsp.err['@code']).toBe('168');
  });

  it('reads k[] and k[N] arrays alike', async () => {
    const payload =
      `api_key=${TEST_ADMIN_TOKEN}&method=limelm.pkey.generate&format=json&nojsoncallback=1&version_id=${versionId}` +
      '&tag[0]=first&tag[1]=second&feature_name%5B%5D=note&feature_value%5B%5D=hello';
    const created = (await post(payload)).json();
    const details = await ok(t, 'limelm.pkey.getDetails', { pkey_id: created.pkeys.pkey[0].id });
    expect(details.pkey.tags.tag).toEqual([{ name: 'first' }, { name: 'second' }]);
    expect(details.pkey.features.feature).toEqual([{ name: 'note', value: 'hello' }]);
  });

  it('takes values sent without URL encoding, as wyDay’s C# sample sends them', async () => {
    const payload =
      `api_key=${TEST_ADMIN_TOKEN}&method=limelm.pkey.generate&format=json&nojsoncallback=1&version_id=${versionId}` +
      '&email=john.doe@example.com&feature_name[]=note&feature_value[]=100% sure, ünïcode/ok';
    const created = (await post(payload)).json();
    const details = await ok(t, 'limelm.pkey.getDetails', { pkey_id: created.pkeys.pkey[0].id });
    expect(details.pkey.email).toBe('john.doe@example.com');
    expect(details.pkey.features.feature[0].value).toBe('100% sure, ünïcode/ok');
  });

  it('formats: rest (XML) by default and for unknown values, json as JSONP unless nojsoncallback=1', async () => {
    const base = `api_key=${TEST_ADMIN_TOKEN}&method=limelm.prod.getAll`;
    for (const extra of ['', '&format=rest', '&format=yaml']) {
      const response = await post(base + extra);
      expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
      expect(parseXml(response.body).rsp['@stat']).toBe('ok');
    }
    expect((await post(`${base}&format=json`)).body).toMatch(/^jsonLimeLMApi\(\{"stat":"ok",.*\}\)$/);
    expect((await post(`${base}&format=json&nojsoncallback=1`)).body).toMatch(/^\{"stat":"ok",/);
  });

  it('arrays stay arrays with one item; attribute values are strings', async () => {
    const created = await ok(t, 'limelm.pkey.generate', { version_id: versionId, num_acts: 3 });
    expect(created.pkeys.pkey).toHaveLength(1);
    expect(created.pkeys.pkey[0].id).toEqual(expect.any(String));
    const details = await ok(t, 'limelm.pkey.getDetails', { pkey_id: created.pkeys.pkey[0].id, tag: 'x' });
    expect(details.pkey.acts).toBe('3');
  });

  it('escapes XML special characters so any client can parse the answer', async () => {
    const value = 'a & b < c > d " e \' f\nline\ttab \u0001';
    const created = await ok(t, 'limelm.pkey.generate', {
      version_id: versionId,
      feature_name: ['note'],
      feature_value: [value],
    });
    const response = await send(t, 'limelm.pkey.getDetails', { pkey_id: created.pkeys.pkey[0].id });
    const parsed = parseXml(response.body);
    expect(parsed.rsp.pkey.features.feature['@value']).toBe(value.replace('\u0001', '\uFFFD'));
  });

  it('answers unknown paths under the prefix, multipart bodies and oversized bodies in the envelope', async () => {
    const unknown = await t.app.inject({ method: 'POST', url: '/api/rest/index.php' });
    expect(unknown.statusCode).toBe(200);
    expect(parseXml(unknown.body).rsp.err['@code']).toBe('190');
    const multipart = await t.app.inject({
      method: 'POST',
      url: '/api/rest/?format=json&nojsoncallback=1',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\nContent-Disposition: form-data; name="method"\r\n\r\nlimelm.test.echo\r\n--x--\r\n',
    });
    expect(multipart.json()).toMatchObject({ stat: 'fail', code: 190 });
    const huge = await t.app.inject({
      method: 'POST',
      url: '/api/rest/?format=json&nojsoncallback=1',
      headers: form,
      payload: `api_key=x&method=limelm.test.echo&filler=${'x'.repeat(1_100_000)}`,
    });
    expect(huge.statusCode).toBe(200);
    expect(huge.json()).toMatchObject({ stat: 'fail', code: 190 });
  });

  it('refuses NUL characters in the envelope; bytes that are not UTF-8 become U+FFFD', async () => {
    const generate = (email: string, where: 'body' | 'query') => {
      const query = `api_key=${TEST_ADMIN_TOKEN}&format=json&nojsoncallback=1&method=limelm.pkey.generate&version_id=${versionId}&email=${email}`;
      return where === 'body' ? post(query) : t.app.inject({ method: 'POST', url: `/api/rest/?${query}` });
    };
    for (const where of ['body', 'query'] as const) {
      const response = await generate('a%00b', where);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ stat: 'fail', code: 190 });
    }
    const created = (await generate('a%ED%A0%80b', 'body')).json();
    const details = await ok(t, 'limelm.pkey.getDetails', { pkey_id: created.pkeys.pkey[0].id });
    expect(details.pkey.email).toBe('a\uFFFD\uFFFD\uFFFDb');
  });

  it('100 without api_key, 101 without method', async () => {
    await fails(t, 'limelm.prod.getAll', {}, 100, { token: null });
    expect(await fails(t, '', {}, 101)).toBe('Method "" not found');
    await fails(t, 'toString', {}, 101);
    await fails(t, 'limelm.pkey.getActivations', {}, 101);
  });

  it('honours a token’s method lock, naming LimeLM methods group/method', async () => {
    const secret = (
      await t.call({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'locked', scopes: ['*'], methodLock: ['pkey/getDetails', 'key/Activate'] },
      })
    ).json().secret;
    const { id } = (await ok(t, 'limelm.pkey.generate', { version_id: versionId })).pkeys.pkey[0];
    await ok(t, 'limelm.pkey.getDetails', { pkey_id: id }, { token: secret });
    expect(await fails(t, 'limelm.pkey.delete', { pkey_id: id }, 100, { token: secret })).toMatch(/locked/);
  });

  it('test.echo echoes the parameters, not the API key', async () => {
    const echoed = await ok(t, 'limelm.test.echo', { foo: 'bar', tag: ['a', 'b'] });
    expect(echoed).toEqual({
      stat: 'ok',
      method: { _content: 'limelm.test.echo' },
      format: { _content: 'json' },
      nojsoncallback: { _content: '1' },
      foo: { _content: 'bar' },
      tag: [{ _content: 'a' }, { _content: 'b' }],
    });
    const xml = await send(t, 'limelm.test.echo', { foo: 'bar' });
    expect(xml.body).toContain('<method>limelm.test.echo</method>');
    expect(xml.body).toContain('<foo>bar</foo>');
    expect(xml.body).not.toContain(TEST_ADMIN_TOKEN);
  });
});

describe('LimeLM transport, strict mode and rate limits', () => {
  it('strict mode answers 168 to GET and to query-string parameters, and serves form POSTs', async () => {
    const t = await createTestApp();
    const { buildApp } = await import('../../build-app.js');
    const strict = await buildApp({
      keyward: t.keyward,
      logger: false,
      rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null },
      trustProxy: false,
      limelm: { strictTransport: true },
    });
    try {
      const query = `api_key=${TEST_ADMIN_TOKEN}&method=limelm.test.echo&format=json&nojsoncallback=1`;
      for (const response of [
        await strict.inject({ method: 'GET', url: `/api/rest/?${query}` }),
        await strict.inject({ method: 'POST', url: `/api/rest/?${query}` }),
      ]) {
        expect(response.json()).toMatchObject({ stat: 'fail', code: 168 });
      }
      const posted = await strict.inject({
        method: 'POST',
        url: '/api/rest/',
        headers: form,
        payload: query,
      });
      expect(posted.json().stat).toBe('ok');
    } finally {
      await strict.close();
      await t.dispose();
    }
  });

  it('renders the global rate limit as 142 in the envelope', async () => {
    const t = await createTestApp('sqlite', { rateLimit: { perTokenPerMinute: 2, perIpPerMinute: 2 } });
    try {
      const url = `/api/rest/?api_key=${TEST_ADMIN_TOKEN}&method=limelm.test.echo&format=json&nojsoncallback=1`;
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await t.app.inject({ method: 'GET', url }));
      expect(answers.map((a) => a.json().stat)).toEqual(['ok', 'ok', 'fail']);
      expect(answers[2]?.statusCode).toBe(200);
      expect(answers[2]?.json()).toMatchObject({ code: 142 });
      expect(answers[2]?.json().message).toMatch(/rate limit/);
    } finally {
      await t.dispose();
    }
  });
});
