import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { operatorPrincipal } from '../core/access/principal.js';
import type { TokenInput } from '../core/access/token-grant.js';
import { TEST_ADMIN_TOKEN, type TestApp } from './test-app.js';

/** Short-hands for AuthTool dialect tests: requests carry `X-API-Key`, answers are checked for the envelope. */

// biome-ignore lint/suspicious/noExplicitAny: tests read loosely typed JSON answers.
export type Json = any;

export const BASE = '/public/v1';
const testActor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
let counter = 0;

export function authtool(
  t: TestApp,
  options: Omit<InjectOptions, 'url'> & { path: string; apiKey?: string | null },
): Promise<LightMyRequestResponse> {
  const { path, apiKey = TEST_ADMIN_TOKEN, headers, ...rest } = options;
  return t.app.inject({
    ...rest,
    url: `${BASE}${path}`,
    headers: { ...(apiKey === null ? {} : { 'x-api-key': apiKey }), ...headers },
  });
}

/** Asserts the status and, for refusals, AuthTool's `{ message }` envelope; returns the JSON body. */
export async function expectAnswer(
  response: Promise<LightMyRequestResponse> | LightMyRequestResponse,
  status: number,
  message?: string | RegExp,
): Promise<Json> {
  const answer = await response;
  expect(answer.statusCode, answer.body).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = answer.json();
  if (status >= 400) expect(body.message).toEqual(expect.any(String));
  if (message !== undefined) expect(body.message).toMatch(message);
  return body;
}

export async function createPackage(t: TestApp, name = `Package ${++counter}`): Promise<number> {
  return (await t.keyward.catalog.createProduct(testActor, { name })).id;
}

export function issueApiKey(t: TestApp, input: Partial<TokenInput> = {}) {
  return t.keyward.tokens.create(testActor, operatorPrincipal, {
    name: `authtool-${++counter}`,
    scopes: ['*'],
    ...input,
  });
}

export const futureIso = (t: TestApp, days = 30) =>
  new Date(t.clock.now().getTime() + days * 86_400_000).toISOString();

export const singleBody = (packageIds: number[], extra: object = {}) => ({
  quantity: 1,
  packageIds,
  duration: 30,
  unit: 'day',
  ...extra,
});

export const multiBody = (t: TestApp, packageIds: number[], extra: object = {}) => ({
  quantity: 1,
  packageIds,
  duration: 7,
  unit: 'day',
  activateCount: 3,
  endDate: futureIso(t),
  ...extra,
});

/** Creates keys through the dialect and returns them. */
export async function createKeys(
  t: TestApp,
  kind: 'single' | 'multiple',
  body: object,
  apiKey: string = TEST_ADMIN_TOKEN,
): Promise<string[]> {
  const answer = await expectAnswer(
    authtool(t, { method: 'POST', path: `/key/${kind}-activate`, payload: body, apiKey }),
    201,
  );
  expect(answer.message).toBe('Create key successfully');
  return answer.data;
}

/** A device activates the key through the native API with the key itself as credential. */
export function activateDevice(t: TestApp, key: string, uid: string) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/machines',
    headers: { authorization: `License ${key}` },
    payload: { fingerprint: uid },
  });
}

export const detail = (t: TestApp, key: string) =>
  expectAnswer(authtool(t, { method: 'GET', path: `/key/${encodeURIComponent(key)}/detail` }), 200);

/** Native validation of a key, optionally for one device or one package. */
export async function validateNatively(
  t: TestApp,
  key: string,
  scope: { fingerprint?: string; productId?: number } = {},
): Promise<{ valid: boolean; code: string }> {
  const answer = await t.app.inject({
    method: 'POST',
    url: '/v1/licenses/actions/validate-key',
    payload: { key, ...scope },
  });
  expect(answer.statusCode, answer.body).toBe(200);
  const { valid, code } = answer.json();
  return { valid, code };
}

/** The error code of a refused native activation, or `ACTIVATED` when the device got (or kept) its seat. */
export async function activationOutcome(t: TestApp, key: string, uid: string): Promise<string> {
  const answer = await activateDevice(t, key, uid);
  if (answer.statusCode === 200 || answer.statusCode === 201) return 'ACTIVATED';
  return answer.json().error.code;
}

export const DAY = 86_400;
