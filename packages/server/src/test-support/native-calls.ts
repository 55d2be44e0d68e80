import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from './test-app.js';

/** Short-hands for the native API in route tests: each asserts the status, then returns the JSON body. */

// biome-ignore lint/suspicious/noExplicitAny: route tests read loosely typed JSON answers.
export type Json = any;

export async function expectStatus(
  response: Promise<LightMyRequestResponse> | LightMyRequestResponse,
  status: number,
): Promise<Json> {
  const answer = await response;
  expect(answer.statusCode, answer.body).toBe(status);
  return answer.body === '' ? undefined : answer.json();
}

/** Asserts a refusal in the error envelope with the given code; returns the error object. */
export async function expectError(
  response: Promise<LightMyRequestResponse> | LightMyRequestResponse,
  status: number,
  code: string,
): Promise<Json> {
  const answer = await response;
  const body = await expectStatus(answer, status);
  expect(body.error).toMatchObject({
    code,
    message: expect.any(String),
    requestId: answer.headers['x-request-id'],
  });
  return body.error;
}

export const post = (t: TestApp, url: string, payload: object = {}, status = 201) =>
  expectStatus(t.call({ method: 'POST', url, payload }), status);

export const get = (t: TestApp, url: string, status = 200) =>
  expectStatus(t.call({ method: 'GET', url }), status);

export const patch = (t: TestApp, url: string, payload: object, status = 200) =>
  expectStatus(t.call({ method: 'PATCH', url, payload }), status);

export const createProduct = (t: TestApp, body: object = {}) =>
  post(t, '/v1/products', { name: 'Product', ...body });

export const createPolicy = (t: TestApp, productId: number, body: object = {}) =>
  post(t, '/v1/policies', { productId, name: 'Policy', ...body });

export const createLicense = (t: TestApp, policyId: number, body: object = {}) =>
  post(t, '/v1/licenses', { policyId, ...body });

/** A product with a policy (extra policy settings optional), as most tests start. */
export async function productWithPolicy(t: TestApp, policy: object = {}) {
  const product = await createProduct(t);
  return { product, policy: await createPolicy(t, product.id, policy) };
}

export const activate = (t: TestApp, licenseId: number, fingerprint: string, status = 201) =>
  post(t, '/v1/machines', { licenseId, fingerprint }, status);
