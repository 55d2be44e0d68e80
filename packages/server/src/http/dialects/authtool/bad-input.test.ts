import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authtool,
  createKeys,
  createPackage,
  type Json,
  multiBody,
  singleBody,
} from '../../../test-support/authtool-calls.js';
import { emptyParameters } from '../../../test-support/growth-ratio.js';
import { rowCounts } from '../../../test-support/row-counts.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

/**
 * Malformed and hostile requests on every endpoint: never a 5xx, always AuthTool's `{ message }` envelope,
 * and a refused request writes nothing.
 */

const DEEP = 5_000;
const HUGE = 'x'.repeat(100_000);
const STRANGE = ['\u0000', 'nul\u0000inside', '\ud800 lone', '\u202e😀﷽\u2028', '', ' '];
const WRONG_VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  2 ** 53,
  '1e3',
  'NaN',
  [],
  [1, [2]],
  { nested: true },
  HUGE,
  ...STRANGE,
];
const FIELDS = [
  'quantity',
  'packageIds',
  'duration',
  'unit',
  'activateCount',
  'endDate',
  'alias',
  'isCleanable',
];

type Request = {
  method: 'POST' | 'PATCH' | 'GET' | 'DELETE';
  path: string;
  payload?: string | object;
  headers?: Record<string, string>;
};

describe.each(await testDialects())('AuthTool bad input on %s', (dialect) => {
  let t: TestApp;
  let packageId: number;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    packageId = await createPackage(t);
    [key] = (await createKeys(t, 'multiple', multiBody(t, [packageId]))) as [string];
  });
  afterAll(() => t.dispose());

  /** Sends the request; asserts a 4xx in the envelope (or the given status) and that nothing was written. */
  async function refused(request: Request, status?: number, options = { envelope: true }): Promise<Json> {
    const before = await rowCounts(t.store);
    const answer = await authtool(t, {
      method: request.method,
      path: request.path,
      ...(request.payload !== undefined ? { payload: request.payload } : {}),
      ...(request.headers ? { headers: request.headers } : {}),
    });
    const where = `${request.method} ${request.path.slice(0, 80)} → ${answer.statusCode} ${answer.body.slice(0, 200)}`;
    expect(answer.statusCode, where).toBeGreaterThanOrEqual(400);
    expect(answer.statusCode, where).toBeLessThan(500);
    if (status !== undefined) expect(answer.statusCode, where).toBe(status);
    const body = answer.json();
    expect(await rowCounts(t.store), where).toEqual(before);
    if (!options.envelope) return body;
    expect(body.message, where).toEqual(expect.any(String));
    expect(
      Object.keys(body).every((k) => k === 'message' || k === 'details'),
      where,
    ).toBe(true);
    return body;
  }

  it('refuses every wrong value of every create field with 422', async () => {
    for (const kind of ['single', 'multiple'] as const) {
      for (const field of FIELDS) {
        if (kind === 'single' && (field === 'activateCount' || field === 'endDate')) continue;
        for (const value of WRONG_VALUES) {
          // Optional fields take "nothing": null and empty text are not wrong for them.
          if (
            (field === 'alias' || field === 'isCleanable') &&
            (value === null || value === '' || value === ' ')
          )
            continue;
          if (
            field === 'alias' &&
            typeof value === 'string' &&
            value.length <= 100 &&
            !value.includes('\u0000') &&
            !value.includes('\ud800')
          )
            continue;
          if (field === 'isCleanable' && (value === true || value === 0)) continue;
          const base = kind === 'single' ? singleBody([packageId]) : multiBody(t, [packageId]);
          await refused(
            { method: 'POST', path: `/key/${kind}-activate`, payload: { ...base, [field]: value } },
            422,
          );
        }
      }
    }
  });

  it('refuses bodies that are not JSON objects', async () => {
    const bodies: Array<[string, string, number]> = [
      ['{"quantity":', 'application/json', 400],
      ['[1,2,3]', 'application/json', 422],
      ['"text"', 'application/json', 422],
      ['null', 'application/json', 422],
      ['['.repeat(DEEP) + ']'.repeat(DEEP), 'application/json', 400],
      ['{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP), 'application/json', 400],
      ['<xml/>', 'application/xml', 415],
      ['quantity=1', 'text/html', 415],
      ['{"__proto__":{"quantity":1},"constructor":{"prototype":{"x":1}}}', 'application/json', 422],
    ];
    for (const [payload, contentType, status] of bodies) {
      for (const path of ['/key/single-activate', '/key/multiple-activate']) {
        await refused({ method: 'POST', path, payload, headers: { 'content-type': contentType } }, status);
      }
    }
    await refused(
      {
        method: 'PATCH',
        path: `/key/${key}/change-status`,
        payload: '{"status":',
        headers: { 'content-type': 'application/json' },
      },
      400,
    );
  });

  it('refuses a body larger than the server accepts with 413', async () => {
    const payload = JSON.stringify({ ...singleBody([packageId]), alias: 'y'.repeat(5 * 1024 * 1024) });
    await refused(
      {
        method: 'POST',
        path: '/key/single-activate',
        payload,
        headers: { 'content-type': 'application/json' },
      },
      413,
    );
  });

  it('refuses more than 1000 parameters or JSON values with 413 in the envelope, at once', async () => {
    const hostile = emptyParameters(120_000);
    const members = JSON.stringify(Object.fromEntries(hostile.split('&').map((p) => [p.slice(0, -1), ''])));
    const started = performance.now();
    for (const apiKey of [undefined, null]) {
      for (const [payload, contentType] of [
        [hostile, 'application/x-www-form-urlencoded'],
        [`quantity=1&${emptyParameters(1_000)}`, 'application/x-www-form-urlencoded'],
        [members, 'application/json'],
        [`[${'0,'.repeat(1_000)}0]`, 'application/json'],
      ] as const) {
        const answer = await authtool(t, {
          method: 'POST',
          path: '/key/multiple-activate',
          payload,
          headers: { 'content-type': contentType },
          ...(apiKey === null ? { apiKey } : {}),
        });
        const where = `${contentType} ${payload.slice(0, 30)} ${apiKey}`;
        // Without a key the request may be refused before its body is read (401).
        if (apiKey === null && answer.statusCode === 401) continue;
        expect(answer.statusCode, where).toBe(413);
        expect(answer.json(), where).toEqual({ message: 'Request body is too large' });
      }
    }
    await refused(
      {
        method: 'GET',
        path: `/key/${key}/detail?${emptyParameters(1_001)}`,
      },
      413,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses JSON nested deeper than the shared limit with 400, and takes it up to there', async () => {
    const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    const answer = await authtool(t, {
      method: 'POST',
      path: '/key/multiple-activate',
      payload: nested(33),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({
      message: 'Bad request',
      details: 'the JSON body is nested deeper than 32 levels',
    });
    // At the limit the body is read, and refused for what it says.
    await refused(
      {
        method: 'POST',
        path: '/key/multiple-activate',
        payload: nested(32),
        headers: { 'content-type': 'application/json' },
      },
      422,
    );
  });

  it('refuses strange keys in the path without a 5xx', async () => {
    const paths = [
      '%00',
      'nul%00inside',
      encodeURIComponent('😀﷽'),
      encodeURIComponent(HUGE.slice(0, 400)),
      '..%2F..%2Fv1%2Fproducts',
      '%20',
      encodeURIComponent("' or 1=1 --"),
    ];
    for (const segment of paths) {
      await refused({ method: 'GET', path: `/key/${segment}/detail` });
      await refused({ method: 'PATCH', path: `/key/${segment}/reset` });
      await refused({ method: 'PATCH', path: `/key/${segment}/change-status`, payload: { status: 1 } });
      await refused({ method: 'DELETE', path: `/key/${segment}` });
    }
  });

  it('refuses paths the router cannot decode with a 4xx (in the app-wide envelope: see the README)', async () => {
    // The router refuses these before any plugin sees the request (build-app.ts `frameworkErrors`).
    for (const segment of ['%ED%A0%80', '%FF', '%E0%A4%A', 'k'.repeat(501)]) {
      await refused({ method: 'GET', path: `/key/${segment}/detail` }, undefined, { envelope: false });
      await refused({ method: 'DELETE', path: `/key/${segment}` }, undefined, { envelope: false });
    }
  });

  it('refuses wrong change-status values with 400', async () => {
    for (const status of [...WRONG_VALUES, 2, '2', 'enabled']) {
      if (status === 0) continue;
      await refused({ method: 'PATCH', path: `/key/${key}/change-status`, payload: { status } }, 400);
    }
  });
});
