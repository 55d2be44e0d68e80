import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyParameters } from '../test-support/growth-ratio.js';
import {
  createSecurityContext,
  type HttpMethod,
  type SecurityContext,
  type SecurityRequest,
  securityCase,
} from '../test-support/route-security.js';
import { rowCounts } from '../test-support/row-counts.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../test-support/test-app.js';
import { testDialects } from '../test-support/test-store.js';

/**
 * A table of bad inputs run against every route of the native API that takes a body or parameters. The
 * routes come from the app's OpenAPI document (route-security.test.ts makes sure every /v1 route is in it);
 * each cell starts from the route's valid request in the security table and breaks one thing. For every
 * cell: never a 5xx, 4xx answers carry the error envelope, and a refused request writes nothing.
 */

type JsonSchema = {
  type?: string;
  format?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
};
type Operation = {
  parameters?: Array<{ in: 'path' | 'query' | 'header'; name: string; schema: JsonSchema }>;
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
};

interface Cell {
  name: string;
  url: string;
  payload?: string | Buffer;
  contentType?: string | null;
  headers?: Record<string, string>;
  /** The answer this cell must get on every route, where it does not depend on the route. */
  expected?: { status: number; code: string };
}

const invalid = { status: 400, code: 'INVALID_INPUT' };

const DEEP = 5_000;
const deepArray = '['.repeat(DEEP) + ']'.repeat(DEEP);
const deepObject = '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP);
const HUGE_STRING = 'x'.repeat(100_000);
const STRANGE_STRINGS = [
  '\u0000',
  'nul\u0000inside',
  '\ud800 lone surrogate',
  '\u202e right-to-left 😀 ﷽ \u0085\u2028',
  '',
  ' ',
];
const BAD_DATES = [
  '2024-02-30T00:00:00Z',
  '2016-12-31T23:59:60Z',
  '9999-99-99T99:99:99Z',
  'yesterday',
  '1700000000',
  '2024-01-01',
  '2024-01-01T00:00:00',
];
const BAD_CURSORS = [
  'abc',
  '-1',
  '1.5',
  '1e3',
  '99999999999',
  '9999999999',
  '2147483648',
  'MTIz',
  '%00',
  '%FF',
];

/** Idempotency-Key values the server refuses: empty, longer than 255, not visible ASCII. */
const BAD_IDEMPOTENCY_KEYS = ['', 'k'.repeat(256), 'two words', Buffer.from('ключ').toString('latin1')];

/** The kind of a property, seen through `anyOf [T, null]`. */
function kindOf(schema: JsonSchema): { kind: string; nullable: boolean } {
  if (schema.anyOf) {
    const nonNull = schema.anyOf.filter((s) => s.type !== 'null');
    const nullable = nonNull.length < schema.anyOf.length;
    if (nonNull.length === 1) return { kind: kindOf(nonNull[0] as JsonSchema).kind, nullable };
    return { kind: 'union', nullable };
  }
  if (schema.enum) return { kind: 'enum', nullable: false };
  if (schema.type === 'string' && schema.format) return { kind: schema.format, nullable: false };
  return { kind: schema.type ?? 'unknown', nullable: false };
}

/** JSON values of the wrong type (or out of any sane range) for a body field of a kind. */
function badBodyValues(kind: string, nullable: boolean): Array<[string, unknown]> {
  const values: Array<[string, unknown]> = [
    ['an object', { nested: true }],
    ['an array', [1, 2]],
  ];
  if (!nullable) values.push(['null', null]);
  switch (kind) {
    case 'string':
    case 'email':
      values.push(['a number', 123], ['a boolean', true], ['a huge string', HUGE_STRING]);
      for (const s of STRANGE_STRINGS) values.push([`the string ${JSON.stringify(s)}`, s]);
      if (kind === 'email') values.push(['a non-email', 'not-an-email']);
      break;
    case 'date-time':
      values.push(['a number', 1_700_000_000_000], ['a huge string', HUGE_STRING]);
      for (const d of BAD_DATES) values.push([`the date ${d}`, d]);
      break;
    case 'integer':
    case 'number':
      values.push(
        ['a numeric string', '1'],
        ['a boolean', true],
        ['a fraction', 1.5],
        ['1e308', 1e308],
        ['-1e308', -1e308],
        ['2**53', 2 ** 53],
        ['2**31', 2 ** 31],
        ['zero', 0],
        ['minus one', -1],
      );
      break;
    case 'boolean':
      values.push(['the string "true"', 'true'], ['the number 1', 1]);
      break;
    case 'array':
      values.push(['a string', 'x'], ['nulls', [null]], ['10 001 items', new Array(10_001).fill('x')]);
      break;
    case 'object':
      values.push(['a string', 'x'], ['a number', 1]);
      break;
    case 'enum':
      values.push(['an unknown value', 'NOT_A_VALUE'], ['a number', 1], ['a huge string', HUGE_STRING]);
      break;
    default:
      values.push(['a string', 'x'], ['a huge string', HUGE_STRING], ['1e308', 1e308]);
  }
  return values;
}

/** Query-string texts of the wrong type for a parameter of a kind. */
function badQueryValues(name: string, kind: string): string[] {
  if (name === 'after') return BAD_CURSORS;
  const common = ['', 'x'.repeat(5_000), '%00', '%FF', `1&${name}=2`];
  switch (kind) {
    case 'integer':
      return [...common, 'abc', '-1', '0', '1.5', '1e308', '9007199254740993', '2147483648'];
    case 'boolean':
      return [...common, 'maybe', '2'];
    case 'date-time':
      return [...common, ...BAD_DATES.map(encodeURIComponent)];
    case 'enum':
      return [...common, 'NOT_A_VALUE'];
    default:
      return [...common, encodeURIComponent('\u202e😀'), '%ED%A0%80'];
  }
}

const BAD_IDS = [
  '0',
  '-1',
  'abc',
  '1.5',
  '1e3',
  '2147483648',
  '99999999999999999999',
  '%00',
  '%FF',
  'x'.repeat(600),
];
const BAD_KEYS = ['%00', '%FF%FE', encodeURIComponent('\u202e😀'), 'x'.repeat(300), 'x'.repeat(600)];

const json = (name: string, url: string, body: unknown): Cell => ({
  name,
  url,
  payload: JSON.stringify(body),
  contentType: 'application/json',
});

function bodyCells(base: SecurityRequest, schema: JsonSchema | undefined): Cell[] {
  const { url } = base;
  const valid = (base.payload ?? {}) as Record<string, unknown>;
  const text = JSON.stringify(valid);
  // Without a body schema (bare actions) a well-formed body of any shape is simply ignored.
  const refusedBySchema = schema ? { expected: invalid } : {};
  const cells: Cell[] = [
    { name: 'malformed JSON', url, payload: '{"name": ', contentType: 'application/json', expected: invalid },
    {
      name: 'trailing garbage after JSON',
      url,
      payload: `${text}}`,
      contentType: 'application/json',
      expected: invalid,
    },
    { name: 'an empty JSON body', url, payload: '', contentType: 'application/json' },
    { name: 'a null body', url, payload: 'null', contentType: 'application/json' },
    {
      name: 'an array instead of an object',
      url,
      payload: `[${text}]`,
      contentType: 'application/json',
      ...refusedBySchema,
    },
    { name: 'a string instead of an object', url, payload: '"text"', contentType: 'application/json' },
    { name: 'a number instead of an object', url, payload: '42', contentType: 'application/json' },
    { name: 'a deeply nested array', url, payload: deepArray, contentType: 'application/json' },
    {
      name: 'a deeply nested object in a field',
      url,
      payload: `${text.slice(0, -1)}${text === '{}' ? '' : ','}"deep":${deepObject}}`,
      contentType: 'application/json',
    },
    { ...json('an unknown field', url, { ...valid, unknownField: 1 }), ...refusedBySchema },
    {
      name: '__proto__ as a field',
      url,
      payload: `{"__proto__":{"isAdmin":true}${text === '{}' ? '}' : `,${text.slice(1)}`}`,
      contentType: 'application/json',
    },
    {
      name: 'a body over the size limit',
      url,
      payload: `{"x":"${'x'.repeat(4 * 1024 * 1024)}"}`,
      contentType: 'application/json',
      expected: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
    },
    // Fastify parses text/plain into a string, which no body schema accepts.
    { name: 'text/plain', url, payload: text, contentType: 'text/plain', ...refusedBySchema },
    {
      name: 'a form body',
      url,
      payload: 'name=x&policyId=1',
      contentType: 'application/x-www-form-urlencoded',
      expected: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    },
    { name: 'JSON without a content type', url, payload: text, contentType: null },
    {
      name: 'a content type with a bad charset',
      url,
      payload: text,
      contentType: 'application/json; charset=ebcdic',
    },
    {
      name: 'invalid UTF-8',
      url,
      payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      contentType: 'application/json',
    },
  ];
  for (const [field, fieldSchema] of Object.entries(schema?.properties ?? {})) {
    const { kind, nullable } = kindOf(fieldSchema);
    for (const [label, value] of badBodyValues(kind, nullable)) {
      cells.push(json(`${field} as ${label}`, url, { ...valid, [field]: value }));
    }
  }
  return cells;
}

function parameterCells(base: SecurityRequest, route: string, operation: Operation): Cell[] {
  const cells: Cell[] = [];
  const payload = base.payload === undefined ? undefined : JSON.stringify(base.payload);
  const withUrl = (name: string, url: string): Cell => ({
    name,
    url,
    ...(payload === undefined ? {} : { payload, contentType: 'application/json' }),
  });
  const [path, query = ''] = base.url.split('?') as [string, string?];
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in === 'header') {
      // Idempotency-Key, documented on every write: a key the server cannot take is refused, nothing runs.
      for (const value of BAD_IDEMPOTENCY_KEYS) {
        cells.push({
          ...withUrl(`header ${parameter.name} = ${value.slice(0, 20)}`, base.url),
          headers: { [parameter.name]: value },
          expected: invalid,
        });
      }
    } else if (parameter.in === 'path') {
      // The pattern tells where the parameter sits in the path of the valid request.
      const index = route.split('/').indexOf(`:${parameter.name}`);
      const bad = parameter.name === 'idOrKey' ? BAD_KEYS : BAD_IDS;
      for (const value of bad) {
        const segments = path.split('/');
        segments[index] = value;
        cells.push(
          withUrl(
            `path ${parameter.name} = ${value.slice(0, 20)}`,
            `${segments.join('/')}${query ? `?${query}` : ''}`,
          ),
        );
      }
    } else {
      const { kind } = kindOf(parameter.schema);
      const others = new URLSearchParams(query);
      others.delete(parameter.name);
      const rest = others.toString();
      for (const value of badQueryValues(parameter.name, kind)) {
        cells.push(
          withUrl(
            `query ${parameter.name} = ${value.slice(0, 20)}`,
            `${path}?${rest ? `${rest}&` : ''}${parameter.name}=${value}`,
          ),
        );
      }
    }
  }
  if ((operation.parameters ?? []).some((p) => p.in === 'query')) {
    cells.push(withUrl('an unknown query parameter', `${base.url}${query ? '&' : '?'}unknownParam=1`));
  }
  return cells;
}

type Counts = Awaited<ReturnType<typeof rowCounts>>;

const counts = (t: TestApp) => rowCounts(t.store, () => t.keyward.bookkeeping.flush());

/**
 * An accepted import runs after its 202 and ends with a summary event: wait for it, so the next cell is not
 * blamed for the job's writes.
 */
async function settleImport(t: TestApp, route: string, response: LightMyRequestResponse): Promise<void> {
  if (route !== '/v1/imports' || response.statusCode !== 202) return;
  const { id } = response.json() as { id?: number };
  if (typeof id !== 'number') return;
  for (let waited = 0; waited < 10_000; waited += 20) {
    if ((await t.keyward.importJobs.get(id)).status !== 'running') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function send(t: TestApp, method: HttpMethod, cell: Cell): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  if (cell.contentType) headers['content-type'] = cell.contentType;
  Object.assign(headers, cell.headers);
  return t.app.inject({
    method,
    url: cell.url,
    headers,
    ...(cell.payload === undefined ? {} : { payload: cell.payload }),
  });
}

/** What went wrong in one cell, or null. */
function problemOf(
  cell: Cell,
  response: LightMyRequestResponse,
  before: Counts,
  after: Counts,
): string | null {
  if (response.statusCode >= 500) return `${response.statusCode} ${response.body.slice(0, 200)}`;
  if (cell.expected) {
    const code = response.statusCode >= 400 ? response.json().error?.code : undefined;
    if (response.statusCode !== cell.expected.status || code !== cell.expected.code) {
      return `${response.statusCode} ${code} instead of ${cell.expected.status} ${cell.expected.code}`;
    }
  }
  if (response.statusCode >= 400) {
    let body: { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
    try {
      body = response.json();
    } catch {
      return `${response.statusCode} without a JSON body: ${response.body.slice(0, 100)}`;
    }
    const error = body.error;
    if (
      typeof error?.code !== 'string' ||
      typeof error.message !== 'string' ||
      error.requestId !== response.headers['x-request-id']
    ) {
      return `${response.statusCode} without the error envelope: ${response.body.slice(0, 200)}`;
    }
    const changed = (Object.keys(before) as Array<keyof Counts>).filter((k) => before[k] !== after[k]);
    if (changed.length > 0) return `${response.statusCode} ${error.code} but wrote ${changed.join(', ')}`;
  }
  return null;
}

// Both databases: PostgreSQL refuses what SQLite takes (NUL characters, ids past 32 bits), so a cell can
// answer 500 on one of them only.
for (const dialect of await testDialects()) {
  describe(`bad input on every route that takes a body or parameters (${dialect})`, () => {
    let ctx: SecurityContext;
    let operations: Array<{ method: HttpMethod; route: string; operation: Operation }>;

    beforeAll(async () => {
      ctx = await createSecurityContext(await createTestApp(dialect));
      const document = (await ctx.t.call({ method: 'GET', url: '/openapi.json' })).json() as {
        paths: Record<string, Record<string, Operation>>;
      };
      operations = Object.entries(document.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .flatMap(([path, byMethod]) =>
          Object.entries(byMethod).map(([method, operation]) => ({
            method: method.toUpperCase() as HttpMethod,
            route: path.replace(/\{(\w+)\}/g, ':$1'),
            operation,
          })),
        )
        .filter(
          ({ method, operation }) => method === 'POST' || method === 'PATCH' || operation.parameters?.length,
        );
    });
    afterAll(() => ctx?.t.dispose());

    it('finds the routes in the app', () => {
      expect(operations.length).toBeGreaterThanOrEqual(35);
    });

    it('answers every cell with a 4xx envelope or a success, never a 5xx, and refusals write nothing', async () => {
      const problems: string[] = [];
      let cellCount = 0;
      for (const { method, route, operation } of operations) {
        const routeCase = securityCase(method, route);
        const schema = operation.requestBody?.content['application/json'].schema;
        const template = await routeCase.request(ctx);
        const cells = [
          ...(method === 'POST' || method === 'PATCH' ? bodyCells(template, schema) : []),
          ...parameterCells(template, route, operation),
        ];
        for (const cell of cells) {
          // Each cell gets a valid request of its own: some routes use up their target.
          const base = await routeCase.request(ctx);
          const concrete = {
            ...cell,
            url: cell.url.replace(template.url.split('?')[0] as string, base.url.split('?')[0] as string),
          };
          const before = await counts(ctx.t);
          const response = await send(ctx.t, method, concrete);
          const problem = problemOf(cell, response, before, await counts(ctx.t));
          await settleImport(ctx.t, route, response);
          if (problem) problems.push(`${method} ${route} — ${cell.name}: ${problem}`);
          cellCount++;
        }
      }
      expect(problems).toEqual([]);
      expect(cellCount).toBeGreaterThan(1000);
    }, 300_000);
  });
}

describe('requests over the shared parameter limits, on every surface', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  const HOSTILE = emptyParameters(120_000);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const json = { 'content-type': 'application/json' };

  it('refuses a native JSON body of too many values with 413 and too deep a one with 400', async () => {
    const tooMany = await t.call({
      method: 'POST',
      url: '/v1/licenses',
      headers: json,
      payload: `{"policyId":1,"x":[${'0,'.repeat(250_000)}0]}`,
    });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'the JSON body holds more than 250000 values',
    });
    const tooDeep = await t.call({
      method: 'POST',
      url: '/v1/licenses',
      headers: json,
      payload: `{"policyId":1,"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`,
    });
    expect(tooDeep.statusCode).toBe(400);
    expect(tooDeep.json().error).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'the JSON body is nested deeper than 32 levels',
    });
    const query = await t.call({ method: 'GET', url: `/v1/licenses?${emptyParameters(1_001)}` });
    expect(query.statusCode).toBe(413);
    expect(query.json().error.message).toBe('the request has more than 1000 parameters');
  });

  it('keeps /healthz answering while hostile bodies arrive on every surface', async () => {
    const hostile = [
      { method: 'POST' as const, url: '/api/rest/', headers: form, payload: HOSTILE },
      { method: 'POST' as const, url: '/limelm/api/rest/', headers: form, payload: `format=json&${HOSTILE}` },
      { method: 'POST' as const, url: '/cryptolens/api/key/Activate', headers: form, payload: HOSTILE },
      {
        method: 'POST' as const,
        url: '/public/v1/key/multiple-activate',
        headers: { ...form, 'x-api-key': TEST_ADMIN_TOKEN },
        payload: HOSTILE,
      },
      { method: 'POST' as const, url: '/v1/licenses', headers: form, payload: HOSTILE },
    ];
    const started = performance.now();
    const answers = hostile.flatMap((request) => [t.app.inject(request), t.app.inject(request)]);
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    const healthMs = performance.now() - started;
    expect(health.statusCode).toBe(200);
    const statuses = (await Promise.all(answers)).map((answer) => answer.statusCode);
    // LimeLM and Cryptolens answer failures with 200 in their envelopes; AuthTool 413; native 415 for a form.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 413, 413, 415, 415]);
    // Before the limits, the first LimeLM request alone held the event loop for a minute.
    expect(healthMs).toBeLessThan(5_000);
  });
});
