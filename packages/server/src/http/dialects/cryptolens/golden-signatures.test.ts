import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { licenseView } from '../../../core/licenses/license-view.js';
import { publicKeyOfXml } from '../../../test-support/cryptolens-calls.js';
import { aLicense, aMachine, aPolicy } from '../../../test-support/domain-fixtures.js';
import { toCryptolensLicense } from './license-object.js';
import { type LinqLicenseJson, linqSignBytes, linqSignJson, linqSignText } from './linq-sign.js';
import { metadataOf } from './metadata.js';

/** Real signed replies of the vendor's server and its public demo key, copied from ../shared/specs/fixtures. */
const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

const demoKey = publicKeyOfXml(fixture('cryptolens-demo-public-key-3349.xml'));

describe('LinqSign (SignMethod=0) against a real server reply', () => {
  const sample = JSON.parse(fixture('cryptolens-linqsign-sample.json')) as { licenseKey: LinqLicenseJson };

  it('rebuilds the field string of the sample byte for byte', () => {
    expect(linqSignText(sample.licenseKey)).toBe(
      '3349,4,LEPWV-FOTPG-MWBEO-FBFPS,2015-08-27T00:00:00,2015-09-26T00:00:00,30,False,False,False,False,' +
        'False,False,False,False,,False,24966,,[],False,-1,,[],2016-06-11T09:23:28,',
    );
  });

  it("verifies with the demo key over the string's UTF-16LE bytes", () => {
    const signature = Buffer.from(sample.licenseKey.signature as string, 'base64');
    expect(verify('sha256', linqSignBytes(sample.licenseKey), demoKey, signature)).toBe(true);
  });

  it('fails for any changed field, so the builder is what the signature covers', () => {
    const signature = Buffer.from(sample.licenseKey.signature as string, 'base64');
    for (const changed of [
      { ...sample.licenseKey, period: 31 },
      { ...sample.licenseKey, f3: true },
      { ...sample.licenseKey, notes: 'x' },
      { ...sample.licenseKey, activatedMachines: [{ mid: 'm', ip: '1.2.3.4', time: '2016-01-01T00:00:00' }] },
    ]) {
      expect(verify('sha256', linqSignBytes(changed), demoKey, signature)).toBe(false);
    }
    // UTF-8 bytes of the same text do not verify: the SDK signs chars as two bytes each.
    expect(verify('sha256', Buffer.from(linqSignText(sample.licenseKey), 'utf8'), demoKey, signature)).toBe(
      false,
    );
  });

  it('writes nested objects as the .NET SDK does', () => {
    const text = linqSignText({
      ...sample.licenseKey,
      customer: { id: 3, name: 'Bob', email: '', companyName: 'SKM', created: '2015-09-04T16:11:14.453' },
      activatedMachines: [
        { mid: '5632812', ip: '', time: '2016-03-25T18:56:34.647' },
        { mid: 'floating:x', ip: '1.2.3.4', time: null },
      ],
      dataObjects: [{ id: 7, name: 'n', stringValue: 's', intValue: -5 }],
    });
    expect(text).toContain(',Bob,,SKM,2015-09-04T16:11:14,');
    expect(text).toContain(',[5632812,,2016-03-25T18:56:34,floating:x,1.2.3.4,,],');
    expect(text).toContain(',[7,n,s,-5,],');
  });
});

describe('StringSign (SignMethod=1) against a real server reply', () => {
  const sample = JSON.parse(fixture('cryptolens-stringsign-sample.json')) as {
    licenseKey: string;
    signature: string;
  };

  it('verifies with the demo key over the decoded JSON bytes', () => {
    const bytes = Buffer.from(sample.licenseKey, 'base64');
    expect(verify('sha256', bytes, demoKey, Buffer.from(sample.signature, 'base64'))).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({ ProductId: 3349, ID: 169, Period: 30 });
  });
});

describe('metadata signature', () => {
  it('is base64 JSON {Data, Signature, Date, Version} with RSA SHA-512 over the Data bytes', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = new Date('2026-03-01T12:00:00Z');
    const metadata = metadataOf({
      status: { isValid: true, reasonForInvalidity: 0, trial: false, timeLimited: true, timeLeft: 3 },
      seats: licenseView({ license: aLicense(), policy: aPolicy(), machines: [], now }),
      floatingTimeInterval: 0,
      fieldsToReturn: 0,
      now,
      signSha512: (bytes) => sign('sha512', bytes, privateKey).toString('base64'),
    });
    const envelope = JSON.parse(Buffer.from(metadata?.signature as string, 'base64').toString('utf8'));
    expect(envelope).toMatchObject({ Date: now.getTime() / 1000, Version: 1 });
    const data = Buffer.from(envelope.Data, 'base64');
    expect(verify('sha512', data, publicKey, Buffer.from(envelope.Signature, 'base64'))).toBe(true);
    expect(JSON.parse(data.toString('utf8'))).toEqual({
      ActivatedMachines: 0,
      LicenseStatus: { IsValid: true, ReasonForInvalidity: 0, Trial: false, TimeLimited: true, TimeLeft: 3 },
      UsedFloatingMachines: 0,
    });
  });
});

describe('the SignMethod=0 object against the GetKey documentation example (seed 002)', () => {
  const example = JSON.parse(fixture('getkey-linqsign-doc-example.json')) as { licenseKey: LinqLicenseJson };
  const now = new Date('2026-03-01T12:00:00Z');
  const ours = linqSignJson(
    toCryptolensLicense(
      licenseView({
        license: aLicense({ notes: 'n', customerId: 3 }),
        policy: aPolicy(),
        machines: [aMachine({ fingerprint: '5632812', ip: '10.0.0.1' })],
        now,
      }),
      {
        customer: { id: 3, name: 'Bob', email: null, company: 'SKM', createdAt: now },
        dataObjects: [],
        reseller: null,
      },
      { productId: 1234, modelVersion: 1, fieldsToReturn: 0, currentMachine: null },
    ),
  );
  const keysOf = (value: object) => Object.keys(value);

  it('has the same fields in the same order (productId sits inside, as in real replies)', () => {
    expect(keysOf(ours)).toEqual(['productId', ...keysOf(example.licenseKey)]);
    expect(keysOf(ours.customer as object)).toEqual(keysOf(example.licenseKey.customer as object));
    expect(keysOf(ours.activatedMachines?.[0] as object)).toEqual(
      keysOf(example.licenseKey.activatedMachines?.[0] as object),
    );
  });

  it('builds the signed text of the example as the SDK would, fractions of seconds dropped', () => {
    expect(linqSignText(example.licenseKey)).toBe(
      '0,1,AAAAA-AAAAA-AAAAA-AAAAA,2015-08-27T00:00:00,2018-11-03T00:00:00,1023,True,False,False,False,False,' +
        'False,False,False,this key is used as an example in one of the test cases.,False,24963,' +
        'Bob,,SKM,2015-09-04T16:11:14,[5632812,,2016-03-25T18:56:34,7632812,,2016-04-06T15:05:35,' +
        '85256631,,2016-04-07T22:18:26,],False,10,,[],2016-04-11T09:45:06,',
    );
  });
});
