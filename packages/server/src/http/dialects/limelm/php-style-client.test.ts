import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPhpTests } from '../../../test-support/php.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';

/**
 * A back office written the way wyDay's PHP samples are (LimeLM.php, PaymentSettings.php, find-key.php),
 * run against a listening Keyward: only the endpoint URL differs. Requests are built as LimeLM.php builds
 * them (`key[]=` + urlencode, POST body), answers read as SimpleXML reads them (`rsp@stat`, `err@code`).
 */

type Value = string | number | boolean | string[];

class LimeLM {
  constructor(
    private readonly endpoint: string,
    private readonly apiKey: string,
  ) {}

  /** LimeLM::PostRequest: `$key.'[]='.urlencode($sub_value).'&'` for arrays, rtrim'd. */
  private async post(data: Record<string, Value | null>): Promise<string> {
    let body = '';
    for (const [key, value] of Object.entries({ ...data, api_key: this.apiKey })) {
      if (value === null) continue;
      if (Array.isArray(value)) for (const sub of value) body += `${key}[]=${urlencode(sub)}&`;
      else body += `${key}=${urlencode(String(value))}&`;
    }
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-encoding': 'gzip, deflate' },
      body: body.replace(/[& ]+$/, ''),
    });
    return response.text();
  }

  GeneratePKeys(versionId: string, numKeys = 1, numActs = 1, email: string | null = null) {
    return this.post({
      method: 'limelm.pkey.generate',
      version_id: versionId,
      num_keys: numKeys,
      num_acts: numActs,
      email,
    });
  }
  GetPKeyDetails(pkeyId: string) {
    return this.post({ method: 'limelm.pkey.getDetails', pkey_id: pkeyId });
  }
  FindPKey(versionId: string, email: string) {
    return this.post({ method: 'limelm.pkey.find', version_id: versionId, email });
  }
  SetPKeyDetails(
    pkeyId: string,
    numActs: number | null,
    email: string | null,
    names: string[] | null,
    values: string[] | null,
  ) {
    return this.post({
      method: 'limelm.pkey.setDetails',
      pkey_id: pkeyId,
      num_acts: numActs,
      email,
      feature_name: names,
      feature_value: values,
    });
  }
  SetUsernames(pkeyId: string, names: string[], platforms: string[]) {
    return this.post({
      method: 'limelm.pkey.setDetails',
      pkey_id: pkeyId,
      uname_limit_name: names,
      uname_limit_platform: platforms,
      for_tfs: 'true',
    });
  }
  AddFeature(versionId: string, name: string, required: boolean, type: string | null = null) {
    return this.post({
      method: 'limelm.feature.add',
      version_id: versionId,
      name,
      required: required ? 'true' : 'false',
      type,
    });
  }
}

/** PHP's urlencode: spaces as `+`, everything but [A-Za-z0-9_.-] percent-encoded. */
function urlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** SimpleXMLElement, as far as the samples use it: attributes by name, children by name, lists iterable. */
const simpleXml = (text: string) =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['pkey', 'act', 'feature', 'tag', 'uname'].includes(name),
  }).parse(text).rsp;

describe('a PHP-style back office against a listening Keyward', () => {
  let t: TestApp;
  let limelm: LimeLM;
  let versionId: string;
  beforeAll(async () => {
    t = await createTestApp();
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    limelm = new LimeLM(`${address}/api/rest/`, TEST_ADMIN_TOKEN);
    const product = await (
      await fetch(`${address}/api/rest/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `api_key=${TEST_ADMIN_TOKEN}&method=limelm.prod.create&prod_name=YourApp&vers_name=1.0`,
      })
    ).text();
    versionId = simpleXml(product).product.ver_id;
  });
  afterAll(() => t.dispose());

  it('generates after a payment, reads the key, finds it by e-mail, sets fields and usernames', async () => {
    expect(simpleXml(await limelm.AddFeature(versionId, 'updates expire', false, 'date_time')).stat).toBe(
      'ok',
    );
    expect(simpleXml(await limelm.AddFeature(versionId, 'edition', false)).stat).toBe('ok');

    // PaymentSettings.php SendPKeys: one key, quantity as num_acts.
    const quantity = 3;
    const generated = simpleXml(await limelm.GeneratePKeys(versionId, 1, quantity, 'buyer+shop@example.com'));
    expect(generated.stat).toBe('ok');
    const productKeys = generated.pkeys.pkey.map((pkey: { key: string }) => pkey.key);
    expect(productKeys).toHaveLength(1);
    const pkeyId = generated.pkeys.pkey[0].id;

    const details = simpleXml(await limelm.GetPKeyDetails(pkeyId)).pkey[0];
    expect(details).toMatchObject({
      key: productKeys[0],
      acts: '3',
      acts_used: '0',
      email: 'buyer+shop@example.com',
    });

    // find-key.php: total and keys; err@code '1' means "no key for that e-mail".
    const found = simpleXml(await limelm.FindPKey(versionId, 'buyer+shop@example.com'));
    expect(found.stat).toBe('ok');
    expect(Number(found.pkeys.total) > 1 ? 'keys' : 'key').toBe('key');
    expect(found.pkeys.pkey[0].key).toBe(productKeys[0]);
    const missing = simpleXml(await limelm.FindPKey(versionId, 'nobody@example.com'));
    expect(missing.stat).toBe('fail');
    expect(missing.err.code).toBe('1');

    const set = simpleXml(
      await limelm.SetPKeyDetails(
        pkeyId,
        5,
        null,
        ['updates expire', 'edition'],
        ['2031-12-31 23:59:59', 'Pro & Team'],
      ),
    );
    expect(set).toMatchObject({ stat: 'ok' });
    const usernames = simpleXml(await limelm.SetUsernames(pkeyId, ['alice', 'bob smith'], ['1', '0']));
    expect(usernames.stat).toBe('ok');

    const after = simpleXml(await limelm.GetPKeyDetails(pkeyId)).pkey[0];
    expect(after).toMatchObject({ acts: '5', for_tfs: 'true', email: 'buyer+shop@example.com' });
    expect(after.features.feature).toEqual([
      { name: 'updates expire', value: '2031-12-31 23:59:59' },
      { name: 'edition', value: 'Pro & Team' },
    ]);
    expect(after.uname_limits.uname).toEqual([
      { name: 'alice', platform: '1' },
      { name: 'bob smith', platform: '0' },
    ]);

    // The named users now take effect for TurboFloat-style leases through the native API too.
    const lease = (username: string, platform: string) =>
      t.call({
        method: 'POST',
        url: '/v1/machines',
        payload: { licenseId: Number(pkeyId), fingerprint: `${username}-${platform}`, username, platform },
      });
    expect((await lease('alice', 'Windows 11')).statusCode).toBe(201);
    expect((await lease('alice', 'Ubuntu Linux')).json().error.code).toBe('USERNAME_NOT_ALLOWED');
    expect((await lease('mallory', 'Windows 11')).json().error.code).toBe('USERNAME_NOT_ALLOWED');
    expect((await lease('bob smith', 'macOS')).statusCode).toBe(201);

    // Errors read as the samples read them: err@code and err@msg.
    const refused = simpleXml(await limelm.SetPKeyDetails(pkeyId, 1, null, null, null));
    expect(refused).toMatchObject({ stat: 'fail', err: { code: '120' } });
    expect(refused.err.msg).toMatch(/used activations/);
  });

  it('the FastSpring sample’s JSON flow: nojsoncallback=1 and $jObj->message on failure', async () => {
    const address = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const response = await fetch(`${address}/limelm/api/rest/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `api_key=${TEST_ADMIN_TOKEN}&format=json&nojsoncallback=1&method=limelm.pkey.generate&version_id=424242`,
    });
    expect(response.status).toBe(200);
    const jObj = (await response.json()) as { stat: string; message: string };
    expect(jObj.stat).toBe('fail');
    expect(jObj.message).toBe("The version doesn't exist or you don't have access to it.");
  });
});

/** The same flow in real PHP with cURL (fixtures/back-office.php); under CI=true it runs, never skips. */
describe.runIf(runPhpTests)('a real PHP back office (php-cli + cURL)', () => {
  let t: TestApp;
  let endpoint: string;
  let versionId: string;
  beforeAll(async () => {
    t = await createTestApp();
    endpoint = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/api/rest/`;
    const created = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `api_key=${TEST_ADMIN_TOKEN}&format=json&nojsoncallback=1&method=limelm.prod.create&prod_name=App&vers_name=1`,
    });
    versionId = ((await created.json()) as { product: { ver_id: string } }).product.ver_id;
    for (const [name, type] of [
      ['updates expire', 'date_time'],
      ['edition', 'string'],
    ]) {
      await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `api_key=${TEST_ADMIN_TOKEN}&method=limelm.feature.add&version_id=${versionId}&name=${encodeURIComponent(name as string)}&type=${type}&required=false`,
      });
    }
  });
  afterAll(() => t.dispose());

  it('generates, reads, finds, sets fields and usernames, and reads the refusal', async () => {
    const { stdout } = await promisify(execFile)('php', [
      join(import.meta.dirname, 'fixtures/back-office.php'),
      endpoint,
      TEST_ADMIN_TOKEN,
      versionId,
    ]);
    const report = JSON.parse(stdout);
    for (const step of Object.values(report) as Array<{ http: number }>) expect(step.http).toBe(200);
    expect(report.generate.body.pkeys.total).toBe(1);
    expect(report.details.body.pkey).toMatchObject({
      acts: '3',
      acts_used: '0',
      email: 'buyer+shop@example.com',
    });
    expect(report.find.body.pkeys.pkey[0].key).toBe(report.generate.body.pkeys.pkey[0].key);
    expect(report.find_missing.body).toMatchObject({ stat: 'fail', code: 1 });
    expect(report.set.body).toEqual({ stat: 'ok' });
    expect(report.after.body.pkey).toMatchObject({
      acts: '5',
      features: {
        feature: [
          { name: 'updates expire', value: '2031-12-31 23:59:59' },
          { name: 'edition', value: 'Pro & Team' },
        ],
      },
      uname_limits: {
        uname: [
          { name: 'alice', platform: '1' },
          { name: 'bob smith', platform: '0' },
        ],
      },
    });
    expect(report.refused.body).toMatchObject({ stat: 'fail', code: 116 });
  });
});
