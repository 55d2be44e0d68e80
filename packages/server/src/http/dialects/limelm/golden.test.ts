import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../../core/access/actor.js';
import { operatorPrincipal } from '../../../core/access/principal.js';
import { encodeOfflineRequest } from '../../../core/signing/offline-exchange.js';
import { ok, send } from '../../../test-support/limelm-calls.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';

/**
 * Golden answers: the spec's XML examples (vendor documentation) and JSON recordings (dam/limelm cassettes)
 * reproduced byte for byte from the same state, ids included where a fresh database gives the same ones.
 */

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const HEADER = '<?xml version="1.0" encoding="utf-8"?>\n';

/** The request as the Ruby gem sent it: POST, every parameter in the query string, empty body. */
function rubyStyle(t: TestApp, query: string) {
  return t.app.inject({ method: 'POST', url: `/api/rest?api_key=${TEST_ADMIN_TOKEN}&${query}`, payload: '' });
}

describe('envelopes (spec §1.3, §1.4)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it('XML failure: <err code msg /> inside <rsp stat="fail">, HTTP 200', async () => {
    const response = await send(t, 'limelm.pkey.getDetails', { pkey_id: 5 });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toBe(
      `${HEADER}<rsp stat="fail">\n\t<err code="1" msg="Invalid pkey_id - product key not found." />\n</rsp>`,
    );
  });

  it('JSON failure as recorded (destroy_random_key), with err for clients that read it', async () => {
    const response = await rubyStyle(t, 'format=json&method=limelm.pkey.delete&pkey_id=424242');
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.body).toBe(
      'jsonLimeLMApi({"stat":"fail","code":1,"message":"Invalid pkey_id - product key not found.",' +
        '"err":{"code":"1","msg":"Invalid pkey_id - product key not found."}})',
    );
  });

  it('an empty success is <rsp stat="ok"> with nothing inside, {"stat":"ok"} in JSON', async () => {
    const product = await t.keyward.catalog.createProduct(actor, { name: 'P' });
    const policy = await t.keyward.catalog.createPolicy(actor, { productId: product.id, name: 'v' });
    const license = await t.keyward.licenses.create(actor, policy.id, {});
    const xml = await send(t, 'limelm.pkey.revoke', { pkey_id: license.id });
    expect(xml.body).toBe(`${HEADER}<rsp stat="ok">\n</rsp>`);
    const json = await rubyStyle(
      t,
      `format=json&method=limelm.pkey.revoke&pkey_id=${license.id}&revoke=false`,
    );
    expect(json.body).toBe('jsonLimeLMApi({"stat":"ok"})');
  });
});

describe('pkey.find, getDetails, getID, setTags (find_keys_by_email, details_for_a_given_key_with_tags)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    const product = await t.keyward.catalog.createProduct(actor, { name: 'App' });
    const policy = await t.keyward.catalog.createPolicy(actor, {
      productId: product.id,
      name: '1',
      allowVm: false,
    });
    for (const [key, seats] of [
      ['AAAA-BBBB', 1],
      ['AAAA-BBBA', 20],
    ] as const) {
      await t.keyward.licenses.create(actor, policy.id, {
        key,
        email: 'imberdis.damien@gmail.com',
        overrides: { maxMachines: seats },
      });
    }
  });
  afterAll(() => t.dispose());

  it('find answers the recorded JSONP byte for byte', async () => {
    const response = await rubyStyle(
      t,
      'email=imberdis.damien@gmail.com&format=json&method=limelm.pkey.find&version_id=1',
    );
    expect(response.body).toBe(
      'jsonLimeLMApi({"stat":"ok","pkeys":{"total":2,"pkey":[{"id":"1","key":"AAAA-BBBB","acts":"1","acts_used":"0"},' +
        '{"id":"2","key":"AAAA-BBBA","acts":"20","acts_used":"0"}]}})',
    );
  });

  it('getDetails of a tagged key answers the recorded JSON (no id; tags an array)', async () => {
    await ok(t, 'limelm.pkey.setTags', { pkey_id: 1, tag: ['enterprise', 'demo'] });
    await ok(t, 'limelm.pkey.setDetails', { pkey_id: 1, allow_vm: 'yes' });
    const response = await rubyStyle(t, 'format=json&method=limelm.pkey.getDetails&pkey_id=1');
    expect(response.body).toBe(
      'jsonLimeLMApi({"stat":"ok","pkey":{"key":"AAAA-BBBB","acts":"1","acts_used":"0","total_deacts":"0",' +
        '"deac_limit":"unlimited","for_tfs":"false","allow_vm":"yes","email":"imberdis.damien@gmail.com",' +
        '"tags":{"tag":[{"name":"enterprise"},{"name":"demo"}]}}})',
    );
  });

  it('getID answers {"pkey":{"id":"1"}} (id_for_a_given_key)', async () => {
    const response = await rubyStyle(t, 'format=json&method=limelm.pkey.getID&pkey=AAAA-BBBB&version_id=1');
    expect(response.body).toBe('jsonLimeLMApi({"stat":"ok","pkey":{"id":"1"}})');
  });

  it('find in XML lists the keys, a revoked one marked (vendor example)', async () => {
    await ok(t, 'limelm.pkey.revoke', { pkey_id: 2 });
    const response = await send(t, 'limelm.pkey.find', { version_id: 1, email: 'imberdis.damien@gmail.com' });
    expect(response.body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<pkeys total="2"><pkey id="1" key="AAAA-BBBB" acts="1" acts_used="0"/>` +
        '<pkey id="2" key="AAAA-BBBA" acts="20" acts_used="0" revoked="true"/></pkeys>\n</rsp>',
    );
  });
});

describe('pkey.getDetails in XML (vendor example) and pkey.generate', () => {
  let t: TestApp;
  let versionId: string;
  beforeAll(async () => {
    t = await createTestApp();
    versionId = (await ok(t, 'limelm.prod.create', { prod_name: 'App', vers_name: '1.0' })).product.ver_id;
    await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'your feature', required: 'false' });
    await ok(t, 'limelm.feature.add', {
      version_id: versionId,
      name: 'another feature',
      type: 'date_time',
      required: 'false',
    });
  });
  afterAll(() => t.dispose());

  it('generate answers <pkeys total="2"> with one <pkey id key/> per key', async () => {
    const response = await send(t, 'limelm.pkey.generate', { version_id: versionId, num_keys: 2 });
    const keys = [...response.body.matchAll(/key="([A-Z0-9-]+)"/g)].map((m) => m[1]);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){6}$/);
    expect(response.body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<pkeys total="2"><pkey id="1" key="${keys[0]}"/><pkey id="2" key="${keys[1]}"/>` +
        '</pkeys>\n</rsp>',
    );
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/rest/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `api_key=${TEST_ADMIN_TOKEN}&format=json&nojsoncallback=1&method=limelm.pkey.generate&version_id=${versionId}`,
    });
    expect(json.body).toMatch(
      /^\{"stat":"ok","pkeys":\{"total":1,"pkey":\[\{"id":"3","key":"[A-Z0-9-]{34}"\}\]\}\}$/,
    );
  });

  it('getDetails shows activations, features and tags as the vendor documents', async () => {
    const { id, key } = (
      await ok(t, 'limelm.pkey.generate', {
        version_id: versionId,
        num_acts: 4,
        email: 'buyer@example.com',
        feature_name: ['your feature', 'another feature'],
        feature_value: ['a value', '2010-06-25 04:13:00'],
        tag: ['Microsoft', 'OEM'],
      })
    ).pkeys.pkey[0];
    t.clock.set(new Date('2011-06-12T12:33:44Z'));
    const machines: string[] = [];
    for (const [platform, name] of [
      ['Windows 10', undefined],
      ['macOS 14', "Bob's PC"],
      ['Ubuntu 24.04 Linux', undefined],
    ]) {
      const response = await t.call({
        method: 'POST',
        url: '/v1/machines',
        remoteAddress: '203.0.113.5',
        payload: {
          licenseId: Number(id),
          fingerprint: `fp-${platform}`,
          platform,
          ...(name ? { name } : {}),
        },
      });
      machines.push(String(response.json().id));
    }
    const response = await send(t, 'limelm.pkey.getDetails', { pkey_id: id });
    const act = (i: number, rest: string) =>
      `<act id="${machines[i]}" ip="203.0.113.5" date="2011-06-12 12:33:44" ${rest}/>`;
    expect(response.body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<pkey key="${key}" acts="4" acts_used="3" total_deacts="0" deac_limit="unlimited" ` +
        'for_tfs="false" allow_vm="no" email="buyer@example.com"><activations>' +
        act(0, 'type="windows"') +
        act(1, 'type="mac" extra_data="Bob\'s PC"') +
        act(2, 'type="linux"') +
        '</activations><features><feature name="your feature" value="a value"/>' +
        '<feature name="another feature" value="2010-06-25 04:13:00"/></features>' +
        '<tags><tag name="Microsoft"/><tag name="OEM"/></tags></pkey>\n</rsp>',
    );
  });
});

describe('pkey.activity (default_activity) and pkey.advancedSearch (default_search_pagination)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    const product = await t.keyward.catalog.createProduct(actor, { name: 'App' });
    const v1 = await t.keyward.catalog.createPolicy(actor, {
      productId: product.id,
      name: '1',
      allowVm: false,
    });
    t.clock.set(new Date('2015-04-14T11:58:05Z'));
    await t.keyward.licenses.create(actor, v1.id, { key: 'AAAA', overrides: { maxMachines: 5 } });
    t.clock.set(new Date('2015-04-14T10:01:43Z'));
    await t.keyward.licenses.create(actor, v1.id, { key: 'BBBB', overrides: { maxMachines: 7 } });
    const v2 = await t.keyward.catalog.createPolicy(actor, {
      productId: product.id,
      name: '2',
      allowVm: true,
    });
    for (let i = 0; i < 8; i++) await t.keyward.licenses.create(actor, v2.id, { key: `SEARCH-${i}` });
    t.clock.set(new Date('2015-04-14T20:04:58Z'));
  });
  afterAll(() => t.dispose());

  it('activity answers the recorded JSONP byte for byte', async () => {
    const response = await rubyStyle(
      t,
      'created=true&format=json&method=limelm.pkey.activity&start=2015-04-07&version_id=1',
    );
    expect(response.body).toBe(
      'jsonLimeLMApi({"stat":"ok","pkeys":{"pkey":[{"id":"1","key":"AAAA","acts":"5","acts_used":"0",' +
        '"created":"2015-04-14 11:58:05","total_deacts":"0","deac_limit":"unlimited","for_tfs":"false",' +
        '"allow_vm":"no"},{"id":"2","key":"BBBB","acts":"7","acts_used":"0","created":"2015-04-14 10:01:43",' +
        '"total_deacts":"0","deac_limit":"unlimited","for_tfs":"false","allow_vm":"no"}]}})',
    );
  });

  it('activity without results is 109 (no_activity)', async () => {
    const response = await rubyStyle(
      t,
      'created=true&format=json&method=limelm.pkey.activity&start=2016-01-01&version_id=1',
    );
    expect(response.body).toBe(
      'jsonLimeLMApi({"stat":"fail","code":109,"message":"No activity results found for the parameters specified.",' +
        '"err":{"code":"109","msg":"No activity results found for the parameters specified."}})',
    );
  });

  it('advancedSearch pages as recorded: "pages" a number, "total" a string', async () => {
    await send(t, 'limelm.pkey.generate', { version_id: 2 });
    const response = await rubyStyle(
      t,
      'format=json&method=limelm.pkey.advancedSearch&num=2&page=5&version_id=2',
    );
    const key = (await t.keyward.licenses.get(11)).key;
    expect(response.body).toBe(
      'jsonLimeLMApi({"stat":"ok","pkeys":{"pages":5,"total":"9","pkey":[{"id":"11","key":"' +
        key +
        '","acts":"1","acts_used":"0","version_id":"2","total_deacts":"0","deac_limit":"unlimited",' +
        '"for_tfs":"false","allow_vm":"yes"}]}})',
    );
  });
});

describe('feature.add, feature.getAll (create_custom_feature, all_features)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await ok(t, 'limelm.prod.create', { prod_name: 'App', vers_name: '1' });
    await ok(t, 'limelm.prod.createVers', { prod_id: 1, name: '2' });
  });
  afterAll(() => t.dispose());

  it('answers the recorded JSON', async () => {
    const added = await rubyStyle(
      t,
      'description=Date%20when%20the%20license%20key%20expires.&format=json&method=limelm.feature.add&' +
        'name=updates_expires&required=false&type=date_time&version_id=2',
    );
    expect(added.body).toBe('jsonLimeLMApi({"stat":"ok","feature":{"id":"1"}})');
    const all = await rubyStyle(t, 'format=json&method=limelm.feature.getAll&version_id=2');
    expect(all.body).toBe(
      'jsonLimeLMApi({"stat":"ok","fields":{"field":[{"id":"1","name":"updates_expires","type":"date_time",' +
        '"ta_readable":"true","required":"false","description":"Date when the license key expires."}]}})',
    );
  });

  it('answers the XML shapes the vendor documents for prod.create, prod.createVers, feature.add', async () => {
    expect((await send(t, 'limelm.prod.create', { prod_name: 'Other', vers_name: '1' })).body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<product id="2" ver_id="3"/>\n</rsp>`,
    );
    expect((await send(t, 'limelm.prod.createVers', { prod_id: 2, name: '2' })).body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<version id="4"/>\n</rsp>`,
    );
    expect((await send(t, 'limelm.feature.add', { version_id: 4, name: 'plan' })).body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<feature id="2"/>\n</rsp>`,
    );
  });
});

describe('trialExtension.* and offline answers (vendor XML shapes)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    t.clock.set(new Date('2012-12-01T09:00:00Z'));
    await ok(t, 'limelm.prod.create', { prod_name: 'App', vers_name: '1', trial_length: 30 });
  });
  afterAll(() => t.dispose());

  it('generate, getDetails, getID, search', async () => {
    const generated = await send(t, 'limelm.trialExtension.generate', {
      version_id: 1,
      is_online: 'true',
      length: 14,
      expires: '2012-12-25',
      customer_id: 'C-1',
      max_uses: 4,
    });
    const code = /extension="([A-Z0-9-]+)"/.exec(generated.body)?.[1] as string;
    expect(generated.body).toBe(`${HEADER}<rsp stat="ok">\n\t<trialext id="1" extension="${code}"/>\n</rsp>`);
    expect((await send(t, 'limelm.trialExtension.getDetails', { ext_id: 1 })).body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<trialext extension="${code}" length="14" expires="2012-12-25" cust_id="C-1" ` +
        'uses="0" max_uses="4"/>\n</rsp>',
    );
    expect((await send(t, 'limelm.trialExtension.getID', { version_id: 1, ext: code })).body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<trialext id="1"/>\n</rsp>`,
    );
    expect((await send(t, 'limelm.trialExtension.search', { version_id: 1, customer_id: 'C-1' })).body).toBe(
      `${HEADER}<rsp stat="ok">\n\t<extensions><ext id="1" extension="${code}" expires="2012-12-25" uses="0" ` +
        'max_uses="4"/></extensions>\n</rsp>',
    );
  });

  it('manualActivation answers <act_resp_xml data/>, {"act_resp_xml":{"data":…}} in JSON', async () => {
    const key = (await ok(t, 'limelm.pkey.generate', { version_id: 1, num_acts: 2 })).pkeys.pkey[0].key;
    const request = (fingerprint: string) =>
      encodeOfflineRequest({
        type: 'activation',
        key,
        fingerprint,
        nonce: `golden-${fingerprint}`,
        requestedAt: t.clock.now(),
      });
    const xml = await send(t, 'limelm.pkey.manualActivation', { act_req_xml: request('pc-1') });
    expect(xml.body).toMatch(
      /^<\?xml version="1\.0" encoding="utf-8"\?>\n<rsp stat="ok">\n\t<act_resp_xml data="[A-Za-z0-9+/=]+"\/>\n<\/rsp>$/,
    );
    const json = await ok(t, 'limelm.pkey.manualActivation', { act_req_xml: request('pc-2') });
    expect(Object.keys(json)).toEqual(['stat', 'act_resp_xml']);
    expect(Object.keys(json.act_resp_xml)).toEqual(['data']);
  });
});
