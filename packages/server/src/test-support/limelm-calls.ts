import { XMLParser } from 'fast-xml-parser';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { TEST_ADMIN_TOKEN, type TestApp } from './test-app.js';

/** Test-only helpers for the LimeLM dialect: form encoding as PHP's client does it, and envelope parsing. */

// biome-ignore lint/suspicious/noExplicitAny: tests read loosely typed answers.
export type Json = any;
export type Param = string | number | boolean | Array<string | number>;

/** `k[]=a&k[]=b` for arrays, like wyDay's PHP sample (LimeLM.php). */
export function encodeForm(params: Record<string, Param | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) parts.push(`${key}[]=${encodeURIComponent(String(v))}`);
    else parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  return parts.join('&');
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  htmlEntities: true,
});

export function parseXml(body: string): Json {
  return xml.parse(body);
}

export interface CallOptions {
  token?: string | null;
  http?: 'POST' | 'GET';
  /** Send the parameters in the query string instead of the body. */
  inQuery?: boolean;
  url?: string;
  remoteAddress?: string;
}

/** Posts a method in XML; returns the raw response. */
export function send(
  t: TestApp,
  method: string,
  params: Record<string, Param | undefined> = {},
  options: CallOptions = {},
): Promise<LightMyRequestResponse> {
  const token = options.token === undefined ? TEST_ADMIN_TOKEN : options.token;
  const form = encodeForm({ method, ...(token === null ? {} : { api_key: token }), ...params });
  const base = options.url ?? '/api/rest/';
  const inQuery = options.inQuery || options.http === 'GET';
  return t.app.inject({
    method: options.http ?? 'POST',
    url: inQuery ? `${base}?${form}` : base,
    ...(inQuery ? {} : { payload: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

/** Calls a method with format=json&nojsoncallback=1 and returns the parsed body (HTTP 200 asserted). */
export async function call(
  t: TestApp,
  method: string,
  params: Record<string, Param | undefined> = {},
  options: CallOptions = {},
): Promise<Json> {
  const response = await send(t, method, { format: 'json', nojsoncallback: 1, ...params }, options);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Calls a method and asserts success; returns the JSON payload. */
export async function ok(
  t: TestApp,
  method: string,
  params: Record<string, Param | undefined> = {},
  options: CallOptions = {},
): Promise<Json> {
  const body = await call(t, method, params, options);
  expect(body.stat, JSON.stringify(body)).toBe('ok');
  return body;
}

/** Calls a method and asserts it fails with `code`; returns the message. */
export async function fails(
  t: TestApp,
  method: string,
  params: Record<string, Param | undefined>,
  code: number,
  options: CallOptions = {},
): Promise<string> {
  const body = await call(t, method, params, options);
  expect(body, JSON.stringify(body)).toMatchObject({ stat: 'fail', code });
  return body.message;
}

/** A product with one version through the dialect; returns their ids. */
export async function productWithVersion(
  t: TestApp,
  extra: Record<string, Param> = {},
): Promise<{ productId: string; versionId: string }> {
  const body = await ok(t, 'limelm.prod.create', {
    prod_name: `App ${Math.random()}`,
    vers_name: '1.0',
    ...extra,
  });
  return { productId: body.product.id, versionId: body.product.ver_id };
}

/** Generates one key; returns its id and key. */
export async function generateKey(
  t: TestApp,
  versionId: string,
  params: Record<string, Param> = {},
): Promise<{ id: string; key: string }> {
  const body = await ok(t, 'limelm.pkey.generate', { version_id: versionId, ...params });
  return body.pkeys.pkey[0];
}
