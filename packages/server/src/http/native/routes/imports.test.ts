import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, get, type Json, post } from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

const CSV = [
  'key,product,policy,max_machines,expires_at,email,customer,tags,features,machines',
  'API-0001-AAAA,Editor,Pro,2,2031-01-01T00:00:00Z,ann@example.com,Ann,vip;2024,"{""seats"":5}",host-1;host-2',
  'API-0002-BBBB,Editor,Pro,1,,bob@example.com,Bob,,,',
].join('\r\n');

async function untilFinished(t: TestApp, id: number): Promise<Json> {
  for (let i = 0; i < 200; i++) {
    const job = await get(t, `/v1/imports/${id}`);
    if (job.status !== 'running') return job;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error('the import did not finish');
}

describe('imports routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it('runs a CSV import in the background and shows its progress and summary', async () => {
    const started = await post(t, '/v1/imports', { kind: 'csv', source: 'shop', csv: CSV }, 202);
    expect(started).toMatchObject({
      kind: 'csv',
      source: 'shop',
      status: 'running',
      options: { csvBytes: CSV.length },
    });
    expect(JSON.stringify(started)).not.toContain('API-0001');
    const job = await untilFinished(t, started.id);
    expect(job).toMatchObject({
      status: 'succeeded',
      error: null,
      progress: { done: 2, total: 2 },
      counts: {
        products: { created: 1 },
        policies: { created: 1 },
        customers: { created: 2 },
        licenses: { created: 2, updated: 0, skipped: 0 },
        machines: { created: 2 },
      },
    });
    const license = await t.keyward.licenses.getByKey('API-0001-AAAA');
    expect(license).toMatchObject({
      tags: ['2024', 'vip'],
      features: { seats: 5 },
      overrides: { maxMachines: 2 },
    });
    expect(license.expiresAt?.toISOString()).toBe('2031-01-01T00:00:00.000Z');

    const again = await untilFinished(
      t,
      (await post(t, '/v1/imports', { kind: 'csv', source: 'shop', csv: CSV }, 202)).id,
    );
    expect(again.counts.licenses).toEqual({ created: 0, updated: 0, skipped: 2 });
    const list = await get(t, '/v1/imports');
    expect(list.data.map((j: Json) => j.id)).toEqual([again.id, job.id]);
  });

  it('records a bad file as a failed job with the reason', async () => {
    const started = await post(
      t,
      '/v1/imports',
      { kind: 'csv', source: 'broken', csv: 'key,product\n,Editor\n' },
      202,
    );
    const job = await untilFinished(t, started.id);
    expect(job).toMatchObject({ status: 'failed', error: 'row 2: key is empty' });
  });

  it('refuses an import without what it needs', async () => {
    await expectError(
      t.call({ method: 'POST', url: '/v1/imports', payload: { kind: 'cryptolens' } }),
      400,
      'INVALID_INPUT',
    );
    await expectError(
      t.call({ method: 'POST', url: '/v1/imports', payload: { kind: 'csv' } }),
      400,
      'INVALID_INPUT',
    );
    await expectError(
      t.call({
        method: 'POST',
        url: '/v1/imports',
        payload: { kind: 'limelm', credential: 'k', baseUrl: 'file:///etc/passwd' },
      }),
      400,
      'INVALID_INPUT',
    );
    await expectError(t.call({ method: 'GET', url: '/v1/imports/999999' }), 404, 'NOT_FOUND');
  });
});

describeRouteSecurity('imports');
