import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { authtoolLicense, parseKeyList } from './authtool-source.js';
import { cryptolensLicense } from './cryptolens-source.js';
import { parseCsv } from './csv.js';
import { startImport } from './run-import.js';

/**
 * Imports from replies shaped like the vendors' own examples (the specs' recorded JSON), served by a stub that
 * answers each method with its canned reply, and the mappings of single records.
 */

const SAMPLE = JSON.parse(
  readFileSync(
    resolve(import.meta.dirname, '../http/dialects/cryptolens/fixtures/cryptolens-linqsign-sample.json'),
    'utf8',
  ),
);

type Reply = (params: URLSearchParams, path: string) => unknown;

async function stub(
  replies: Record<string, Reply>,
): Promise<{ url: string; server: Server; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (c) => {
      body += c;
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stub');
      const params = new URLSearchParams(body || url.search);
      const name = params.get('method') ?? url.pathname;
      calls.push(name);
      const reply = replies[name] ?? Object.entries(replies).find(([k]) => name.startsWith(k))?.[1];
      if (!reply) return response.writeHead(404).end('{"message":"Not found"}');
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(reply(params, url.pathname)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls };
}

describe('single records from the specs', () => {
  it('maps the recorded Cryptolens license object', () => {
    const license = cryptolensLicense(SAMPLE.licenseKey, 3349);
    expect(license).toMatchObject({
      key: 'LEPWV-FOTPG-MWBEO-FBFPS',
      policyExternalId: '3349',
      expiresAt: new Date('2015-09-26T00:00:00Z'),
      createdAt: new Date('2015-08-27T00:00:00Z'),
      termSeconds: 30 * 86_400,
      isSuspended: false,
      maxMachines: 0,
      notes: null,
      machines: [],
      customerExternalId: null,
    });
  });

  it('keeps machine codes and floating leases, drops overdraft seats and reads perpetual keys', () => {
    const license = cryptolensLicense(
      {
        ...SAMPLE.licenseKey,
        expires: '9999-01-01T00:00:00',
        activatedMachines: [
          { mid: 'abc123', ip: '10.0.0.1', time: '2016-01-01T00:00:00', friendlyName: 'Desk' },
          {
            mid: 'floating:xyz',
            ip: '',
            time: '2016-01-01T00:00:00',
            floatingExpires: '2030-01-01T00:00:00',
          },
          {
            mid: 'floating:overdraft:zzz',
            ip: '',
            time: '2016-01-01T00:00:00',
            floatingExpires: '2030-01-01T00:00:00',
          },
        ],
        customer: {
          id: 7,
          name: 'Ada',
          email: 'ada@example.com',
          companyName: '',
          created: '2015-01-01T00:00:00',
        },
      },
      3349,
    );
    expect(license?.expiresAt).toBeNull();
    expect(license?.customerExternalId).toBe('7');
    expect(license?.machines).toEqual([
      { fingerprint: 'abc123', ip: '10.0.0.1', name: 'Desk', createdAt: new Date('2016-01-01T00:00:00Z') },
      {
        fingerprint: 'xyz',
        ip: null,
        name: null,
        createdAt: new Date('2016-01-01T00:00:00Z'),
        leaseExpiresAt: new Date('2030-01-01T00:00:00Z'),
      },
    ]);
  });

  it('maps the documented AuthTool key detail', () => {
    const license = authtoolLicense('KEY1-XXXX-XXXX-XXXX', {
      key: {
        activateCount: 2,
        activateLimit: 5,
        unit: 'day',
        duration: 30,
        expiredAt: '2031-01-01T00:00:00.000Z',
        isExpired: false,
      },
      devices: [
        {
          uid: 'device-1',
          expireAt: '2030-02-01T00:00:00.000Z',
          activeAt: '2030-01-02T00:00:00.000Z',
          isExpired: false,
          status: 1,
        },
        {
          uid: 'device-2',
          expireAt: '2029-02-01T00:00:00.000Z',
          activeAt: '2029-01-02T00:00:00.000Z',
          isExpired: true,
          status: 0,
        },
      ],
    });
    expect(license).toMatchObject({
      policyExternalId: 'multi',
      maxMachines: 5,
      activationCount: 2,
      activationPeriod: { count: 30, unit: 'day' },
      expiresAt: new Date('2031-01-01T00:00:00Z'),
      machines: [{ fingerprint: 'device-1', expiresAt: new Date('2030-02-01T00:00:00Z') }],
    });
  });

  it('reads key lists and CSV', () => {
    expect(parseKeyList('A-1\n# comment\n\nB-2 # note\nA-1\n')).toEqual(['A-1', 'B-2']);
    expect(parseKeyList('alias,key\nx,A-1\ny,"B-2"\n')).toEqual(['A-1', 'B-2']);
    expect(parseCsv('a,"b ""q"", c"\r\n1,"multi\nline"\n')).toEqual([
      ['a', 'b "q", c'],
      ['1', 'multi\nline'],
    ]);
    expect(() => parseCsv('a,"open')).toThrow('not closed');
  });
});

describe('whole imports from recorded replies', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The stub vendors listen on loopback, which the operator has to allow.
    t = await createTestApp('sqlite', { allowPrivateDestinations: true });
  });
  afterAll(() => t.dispose());

  it('imports from Cryptolens replies shaped like the documentation', async () => {
    const vendor = await stub({
      '/api/product/GetProducts': () => ({
        products: [
          {
            id: 3349,
            name: 'Demo product',
            creationDate: '2014-01-02T00:00:00',
            description: null,
            password: '',
            isPublic: true,
            keyAlgorithm: 1,
            featureDefinitions: { f1: { name: 'Time Limit (F1)', type: 1 } },
            dataObjects: [],
          },
        ],
        result: 0,
        message: null,
      }),
      '/api/customer/GetCustomers': () => ({ customers: [], result: 0, message: null }),
      '/api/product/GetKeys': (params) => ({
        licenseKeys:
          params.get('Page') === '1'
            ? [SAMPLE.licenseKey]
            : [{ ...SAMPLE.licenseKey, key: 'SECND-PAGEK-EYXXX-XXXXX' }],
        returned: 1,
        total: 2,
        pageCount: 2,
        result: 0,
        message: null,
      }),
    });
    try {
      const job = await (
        await startImport(t.keyward, {
          kind: 'cryptolens',
          options: { baseUrl: vendor.url },
          credential: 'token',
        })
      ).finished;
      expect(job).toMatchObject({ status: 'succeeded', counts: { licenses: { created: 2 } } });
      expect(vendor.calls.filter((c) => c.endsWith('GetKeys'))).toHaveLength(2);
      const license = await t.keyward.licenses.getByKey('LEPWV-FOTPG-MWBEO-FBFPS');
      expect(license.productIds).toEqual([3349]);
    } finally {
      vendor.server.close();
    }
  });

  it('fails the job with the vendor message when the token is refused', async () => {
    const vendor = await stub({
      '/api/product/GetProducts': () => ({ result: 1, message: 'Unable to authenticate.' }),
    });
    try {
      const job = await (
        await startImport(t.keyward, {
          kind: 'cryptolens',
          source: 'refused',
          options: { baseUrl: vendor.url },
          credential: 'bad',
        })
      ).finished;
      expect(job).toMatchObject({ status: 'failed', error: 'product/GetProducts: Unable to authenticate.' });
    } finally {
      vendor.server.close();
    }
  });

  it('imports from LimeLM replies shaped like the recorded JSON', async () => {
    const vendor = await stub({
      'limelm.prod.getAll': () => ({
        stat: 'ok',
        products: {
          product: [
            {
              id: '5',
              name: 'Editor',
              versions: { version: [{ id: '2', name: '1.x', deact_limit: 'unlimited', allow_vm: 'yes' }] },
            },
          ],
        },
      }),
      'limelm.feature.getAll': () => ({
        stat: 'ok',
        fields: {
          field: [
            {
              id: '1',
              name: 'updates_expires',
              type: 'date_time',
              ta_readable: 'true',
              required: 'false',
              description: '…',
            },
          ],
        },
      }),
      'limelm.pkey.advancedSearch': (params) => ({
        stat: 'ok',
        pkeys: {
          pages: 2,
          total: '2',
          pkey: [
            {
              id: params.get('page') === '1' ? '10' : '11',
              key:
                params.get('page') === '1'
                  ? 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG'
                  : 'HHHH-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG',
              acts: '1',
              acts_used: '1',
              version_id: '2',
              total_deacts: '0',
              deac_limit: 'unlimited',
              for_tfs: 'false',
              allow_vm: 'yes',
              email: 'dev@example.com',
              features: { feature: [{ name: 'updates_expires', value: '2031-05-01 00:00:00' }] },
              activations: {
                act: [{ id: '77', ip: '203.0.113.5', date: '2024-01-01 10:00:00', type: 'windows' }],
              },
            },
          ],
        },
      }),
      'limelm.pkey.getDetails': () => ({
        stat: 'ok',
        pkey: { key: 'x', tags: { tag: [{ name: 'reseller' }] } },
      }),
    });
    try {
      const job = await (
        await startImport(t.keyward, {
          kind: 'limelm',
          options: { baseUrl: `${vendor.url}/api/rest/` },
          credential: 'key',
        })
      ).finished;
      expect(job).toMatchObject({
        status: 'succeeded',
        counts: { licenses: { created: 2 }, machines: { created: 2 } },
      });
      const license = await t.keyward.licenses.getByKey('AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG');
      expect(license).toMatchObject({
        email: 'dev@example.com',
        tags: ['reseller'],
        features: { updates_expires: '2031-05-01T00:00:00.000Z' },
        overrides: { maxMachines: 1 },
      });
      const [machine] = await t.store.machines.listActive(license.id);
      expect(machine).toMatchObject({ fingerprint: 'limelm-act:77', ip: '203.0.113.5', platform: 'windows' });
    } finally {
      vendor.server.close();
    }
  });
});
