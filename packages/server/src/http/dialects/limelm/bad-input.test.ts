import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyParameters } from '../../../test-support/growth-ratio.js';
import { type CallParams, validCalls } from '../../../test-support/limelm-valid-calls.js';
import { rowCounts } from '../../../test-support/row-counts.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';
import { LIMELM_METHODS } from './methods/index.js';

/**
 * Bad input for every method, in LimeLM's envelope: each method's valid call with one parameter replaced by
 * a value it cannot use. Every answer is HTTP 200 with `stat` ok or fail (never a 500), and a refusal writes
 * nothing (row counts, events included, stay put).
 */

const BAD_VALUES: Array<string | string[]> = [
  '',
  ' ',
  '-1',
  '0',
  '99999999999999999999999',
  '1.5',
  '1e3',
  'abc',
  '*',
  '2024-02-30',
  '\u202e\u0085 😀',
  'x'.repeat(3000),
  ['a', 'b'],
];

/** The parameters each method reads. */
const PARAMS: Record<string, string[]> = {
  'limelm.feature.add': [
    'version_id',
    'name',
    'type',
    'required',
    'ta_readable',
    'description',
    'default_val',
  ],
  'limelm.feature.delete': ['feature_id'],
  'limelm.feature.edit': [
    'feature_id',
    'name',
    'required',
    'ta_readable',
    'description',
    'default_val',
    'default_dt_relative',
  ],
  'limelm.feature.getAll': ['version_id'],
  'limelm.pkey.activity': ['version_id', 'start', 'end', 'created', 'revoked', 'activation', 'deactivation'],
  'limelm.pkey.advancedSearch': [
    'num',
    'page',
    'product_id',
    'version_id',
    'email',
    'tag',
    'start',
    'end',
    'get_features',
    'get_acts',
    'feature_name',
    'feature_value',
    'feature_match',
  ],
  'limelm.pkey.deactivate': ['act_id'],
  'limelm.pkey.delete': ['pkey_id'],
  'limelm.pkey.find': ['version_id', 'email'],
  'limelm.pkey.generate': [
    'version_id',
    'num_keys',
    'num_acts',
    'deact_limit',
    'for_tfs',
    'per_inst_leases',
    'allow_vm',
    'email',
    'feature_name',
    'feature_value',
    'tag',
    'uname_limit_name',
    'uname_limit_platform',
  ],
  'limelm.pkey.getDetails': ['pkey_id'],
  'limelm.pkey.getID': ['version_id', 'pkey'],
  'limelm.pkey.manualActivation': ['act_req_xml'],
  'limelm.pkey.manualDeactivation': ['deact_req_xml'],
  'limelm.pkey.removeTag': ['pkey_id', 'tag'],
  'limelm.pkey.revoke': ['pkey_id', 'revoke'],
  'limelm.pkey.setDetails': [
    'pkey_id',
    'num_acts',
    'deact_limit',
    'email',
    'feature_name',
    'feature_value',
    'uname_limit_name',
    'uname_limit_platform',
    'for_tfs',
    'allow_vm',
  ],
  'limelm.pkey.setTags': ['pkey_id', 'tag'],
  'limelm.prod.getAll': [],
  'limelm.prod.create': ['prod_name', 'vers_name', 'where_is_pkey', 'buy_link', 'trial_length'],
  'limelm.prod.createVers': ['prod_id', 'name', 'where_is_pkey', 'buy_link', 'trial_length'],
  'limelm.prod.changeName': ['prod_id', 'name'],
  'limelm.prod.editVers': [
    'version_id',
    'name',
    'deact_limit',
    'allow_vm',
    'trial_length',
    'where_is_pkey',
    'buy_link',
    'lc_allow_deact',
  ],
  'limelm.tag.delete': ['tag'],
  'limelm.test.echo': ['anything'],
  'limelm.trial.advancedSearch': ['version_id', 'product_id', 'num', 'page', 'start', 'end'],
  'limelm.trial.manualVerifiedTrial': ['track_req_xml'],
  'limelm.trialExtension.delete': ['ext_id'],
  'limelm.trialExtension.generate': [
    'version_id',
    'is_online',
    'for_verified',
    'length',
    'expires',
    'customer_id',
    'max_uses',
  ],
  'limelm.trialExtension.getDetails': ['ext_id'],
  'limelm.trialExtension.getID': ['version_id', 'ext'],
  'limelm.trialExtension.search': ['version_id', 'customer_id'],
};

function encode(params: Record<string, string | string[]>): string {
  return Object.entries(params)
    .flatMap(([key, value]) =>
      Array.isArray(value)
        ? value.map((v) => `${key}[]=${encodeURIComponent(v)}`)
        : [`${key}=${encodeURIComponent(value)}`],
    )
    .join('&');
}

describe('LimeLM bad input', () => {
  let t: TestApp;
  let valid: Record<string, CallParams>;
  beforeAll(async () => {
    t = await createTestApp();
    valid = await validCalls(t);
  });
  afterAll(() => t.dispose());

  it('covers every method', () => {
    expect(Object.keys(PARAMS).sort()).toEqual(Object.keys(LIMELM_METHODS).sort());
  });

  for (const [method, params] of Object.entries(PARAMS)) {
    it(`${method}: answers every bad value in the envelope and writes nothing when it refuses`, async () => {
      for (const param of params) {
        for (const bad of BAD_VALUES) {
          const base = { ...(valid[method] ?? {}) };
          const payload = `api_key=${TEST_ADMIN_TOKEN}&format=json&nojsoncallback=1&method=${method}&${encode({ ...base, [param]: bad })}`;
          const before = await rowCounts(t.store, () => t.keyward.bookkeeping.flush());
          const response = await t.app.inject({
            method: 'POST',
            url: '/api/rest/',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload,
          });
          const where = `${method} ${param}=${JSON.stringify(bad).slice(0, 40)}`;
          expect(response.statusCode, `${where}: ${response.body}`).toBe(200);
          const body = response.json();
          expect(['ok', 'fail'], where).toContain(body.stat);
          if (body.stat === 'fail') {
            expect(body.code, where).toEqual(expect.any(Number));
            expect(await rowCounts(t.store, () => t.keyward.bookkeeping.flush()), where).toEqual(before);
          }
        }
      }
    });
  }
});

describe('LimeLM requests over the parameter limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  const TOO_MANY = 'Invalid parameter: the request has more than 1000 parameters';
  // About 1 MB, under the dialect's body limit: the request the security review sent.
  const HOSTILE = emptyParameters(120_000);
  const post = (payload: string, url = '/api/rest/') =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload,
    });

  it('answers 120,000 empty parameters without api_key at once, in XML unless JSON is asked for', async () => {
    expect(HOSTILE.length).toBeLessThan(1024 * 1024);
    const started = performance.now();
    const xml = await post(HOSTILE);
    expect(xml.statusCode).toBe(200);
    expect(xml.headers['content-type']).toMatch(/^text\/xml/);
    expect(xml.body).toContain(`<rsp stat="fail">\n\t<err code="190" msg="${TOO_MANY}" />`);
    // The format is read from the refused body too, wherever it stands in it.
    for (const payload of [
      `format=json&nojsoncallback=1&${HOSTILE}`,
      `${HOSTILE}&format=json&nojsoncallback=1`,
    ]) {
      const json = await post(payload);
      expect(json.statusCode).toBe(200);
      expect(json.json()).toMatchObject({ stat: 'fail', code: 190, message: TOO_MANY });
    }
    const jsonp = await post(`${HOSTILE}&format=json`);
    expect(jsonp.body).toMatch(/^jsonLimeLMApi\(\{"stat":"fail","code":190,/);
    // Before the limit, this took a minute on one core; now it is a few milliseconds each.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses too many parameters in the query string in the envelope too, also under /limelm', async () => {
    const query = `${emptyParameters(1_001)}&format=json&nojsoncallback=1`;
    for (const url of [`/api/rest/?${query}`, `/limelm/api/rest/?${query}`]) {
      const answer = await t.app.inject({ method: 'GET', url });
      expect(answer.statusCode, url.slice(0, 20)).toBe(200);
      expect(answer.json()).toMatchObject({ stat: 'fail', code: 190, message: TOO_MANY });
    }
  });

  it('takes a request of exactly the limit, and counts query and body each on their own', async () => {
    const call = `api_key=${TEST_ADMIN_TOKEN}&method=limelm.test.echo&format=json&nojsoncallback=1`;
    const answer = await post(
      `${call}&${emptyParameters(1_000 - 4)}`,
      `/api/rest/?${emptyParameters(1_000)}`,
    );
    expect(answer.json()).toMatchObject({ stat: 'ok' });
    const over = await post(`${call}&${emptyParameters(1_000 - 3)}`);
    expect(over.json()).toMatchObject({ stat: 'fail', code: 190, message: TOO_MANY });
  });
});
