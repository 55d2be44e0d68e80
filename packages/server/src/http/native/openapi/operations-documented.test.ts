import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../core/domain-error.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { HTTP_STATUS, TRANSPORT_ERROR_STATUS } from '../../plugins/error-handler.js';

// biome-ignore lint/suspicious/noExplicitAny: the test walks a JSON document of any shape.
type Json = Record<string, any>;
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  responses?: Record<string, Json>;
}

const STATUS_OF: Record<string, number> = { ...HTTP_STATUS, ...TRANSPORT_ERROR_STATUS };
const envelopeOf = (response: Json): Json | undefined => response.content?.['application/json']?.schema;

/** What is wrong with an error response's schema, if it is not the error envelope of its status. */
function envelopeProblems(status: string, response: Json): string[] {
  const schema = envelopeOf(response);
  const error = schema?.properties?.error;
  const codes: unknown = error?.properties?.code?.enum;
  if (schema?.type !== 'object' || !schema.required?.includes('error') || !error)
    return ['has no error envelope schema'];
  const problems: string[] = [];
  for (const field of ['code', 'message', 'requestId'])
    if (!error.required?.includes(field)) problems.push(`does not require error.${field}`);
  if (!Array.isArray(codes) || codes.length === 0) return [...problems, 'names no error codes'];
  for (const code of codes) {
    if (STATUS_OF[code] === undefined) problems.push(`names ${code}, which is no error code`);
    else if (String(STATUS_OF[code]) !== status) problems.push(`names ${code}, answered ${STATUS_OF[code]}`);
    if (!response.description?.includes(`\`${code}\``)) problems.push(`does not describe ${code}`);
  }
  return problems;
}

describe('the OpenAPI document of the native API', () => {
  let t: TestApp;
  let document: Json;
  let operations: Array<{ name: string; operation: Operation }>;

  beforeAll(async () => {
    t = await createTestApp();
    document = (await t.call({ method: 'GET', url: '/openapi.json', token: null })).json();
    operations = Object.entries(document.paths as Record<string, Record<string, Operation>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, byMethod]) =>
        Object.entries(byMethod).map(([method, operation]) => ({
          name: `${method.toUpperCase()} ${path}`,
          operation,
        })),
      );
  });
  afterAll(() => t?.dispose());

  it('gives every operation a summary, a description saying who may call it, and declared tags', () => {
    expect(operations.length).toBeGreaterThan(80);
    const declared = new Set((document.tags as Array<{ name: string }>).map((tag) => tag.name));
    const problems = operations.flatMap(({ name, operation }) => [
      ...(operation.summary?.trim() ? [] : [`${name}: no summary`]),
      ...(operation.description?.trim() ? [] : [`${name}: no description`]),
      ...(operation.description?.includes('**Access:**') ? [] : [`${name}: does not say who may call it`]),
      ...(operation.tags?.length ? [] : [`${name}: no tags`]),
      ...(operation.tags ?? [])
        .filter((tag) => !declared.has(tag))
        .map((tag) => `${name}: tag ${tag} undeclared`),
    ]);
    expect(problems).toEqual([]);
  });

  it('gives every operation its error responses, each the error envelope naming the codes of its status', () => {
    const problems = operations.flatMap(({ name, operation }) => {
      const errors = Object.entries(operation.responses ?? {}).filter(([status]) => Number(status) >= 400);
      if (errors.length === 0) return [`${name}: no error responses`];
      return errors.flatMap(([status, response]) =>
        envelopeProblems(status, response).map((problem) => `${name} ${status}: ${problem}`),
      );
    });
    expect(problems).toEqual([]);
  });

  it('documents every domain error code somewhere', () => {
    const documented = new Set(
      operations.flatMap(({ operation }) =>
        Object.values(operation.responses ?? {}).flatMap(
          (response) => envelopeOf(response)?.properties?.error?.properties?.code?.enum ?? [],
        ),
      ),
    );
    expect(ERROR_CODES.filter((code) => !documented.has(code))).toEqual([]);
  });

  it('describes the refusals the server really sends', async () => {
    const product = (
      await t.call({ method: 'POST', url: '/v1/products', payload: { name: 'Documented' } })
    ).json();
    await t.call({ method: 'POST', url: '/v1/policies', payload: { productId: product.id, name: 'P' } });
    const refusals = [
      { method: 'GET', url: '/v1/products/999999', path: '/v1/products/{id}', status: 404 },
      { method: 'GET', url: '/v1/products', path: '/v1/products', status: 401, token: null },
      { method: 'POST', url: '/v1/products', path: '/v1/products', status: 400, payload: { name: '' } },
      { method: 'DELETE', url: `/v1/products/${product.id}`, path: '/v1/products/{id}', status: 409 },
      { method: 'GET', url: '/v1/licenses/NO-SUCH-KEY', path: '/v1/licenses/{idOrKey}', status: 404 },
    ] as const;
    const ajv = new Ajv({ strict: false });
    for (const { path, status, ...request } of refusals) {
      const response = await t.call(request);
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(status);
      const documented = document.paths[path][request.method.toLowerCase()].responses[String(status)];
      const validate = ajv.compile(envelopeOf(documented) as object);
      expect(
        validate(response.json()),
        `${request.method} ${request.url}: ${ajv.errorsText(validate.errors)}`,
      ).toBe(true);
    }
  });
});
