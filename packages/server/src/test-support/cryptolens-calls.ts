import { createPublicKey, type KeyObject } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import type { TokenInput } from '../core/access/token-grant.js';
import type { PolicyInput } from '../core/catalog/catalog-service.js';
import type { LicenseInput } from '../core/licenses/license-service.js';
import type { FeatureField } from '../core/model.js';
import type { TestApp } from './test-app.js';

/** Short-hands for Cryptolens dialect tests: a product set up the way the dialect README describes. */

// biome-ignore lint/suspicious/noExplicitAny: dialect tests read loosely typed JSON answers.
export type Json = any;

export const testActor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

/** Boolean features f1…f8, which the dialect shows as F1…F8. */
export const FLAG_FIELDS: FeatureField[] = Array.from({ length: 8 }, (_, i) => ({
  name: `f${i + 1}`,
  type: 'boolean',
  isRequired: false,
  defaultValue: false,
}));

export async function cryptolensProduct(t: TestApp, policy: PolicyInput = {}) {
  const product = await t.keyward.catalog.createProduct(testActor, { name: 'Cryptolens app' });
  const created = await t.keyward.catalog.createPolicy(testActor, {
    productId: product.id,
    name: 'Standard',
    maxMachines: 1,
    featureFields: FLAG_FIELDS,
    ...policy,
  });
  return { productId: product.id, policyId: created.id, policy: created };
}

export async function cryptolensLicense(t: TestApp, policyId: number, input: LicenseInput = {}) {
  return t.keyward.licenses.create(testActor, policyId, input);
}

/** A token issued the way POST /v1/tokens issues it, by the operator. */
export async function cryptolensToken(t: TestApp, input: Partial<TokenInput> = {}): Promise<string> {
  const { secret } = await t.keyward.tokens.create(testActor, operatorPrincipal, {
    name: 'cryptolens test',
    scopes: ['*'],
    ...input,
  });
  return secret;
}

export function rsaPublicKeyXml(t: TestApp): string {
  const key = t.keyward.signingKeys.listPublic().find((k) => k.algorithm === 'rsa-2048');
  if (!key?.publicKeyXml) throw new Error('no RSA signing key');
  return key.publicKeyXml;
}

/** Posts a form to a Cryptolens method, as the SDKs do; `path` defaults to /cryptolens/api/<method>. */
export function callCryptolens(
  t: TestApp,
  method: string,
  params: Record<string, string | number | boolean | null>,
  options: { path?: string; verb?: 'GET' | 'POST' } = {},
): Promise<LightMyRequestResponse> {
  const form = new URLSearchParams(
    Object.entries(params).map(([name, value]): [string, string] => [
      name,
      value === null ? 'null' : String(value),
    ]),
  ).toString();
  const url = options.path ?? `/cryptolens/api/${method}`;
  if (options.verb === 'GET') return t.app.inject({ method: 'GET', url: `${url}?${form}` });
  return t.app.inject({
    method: 'POST',
    url,
    payload: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** The JSON answer of a call that must reach the method (HTTP 200). */
export async function answerOf(response: Promise<LightMyRequestResponse>): Promise<Json> {
  const answer = await response;
  if (answer.statusCode !== 200) throw new Error(`HTTP ${answer.statusCode}: ${answer.body}`);
  return answer.json();
}

/** The license object inside a SignMethod=1 answer. */
export const decodeLicense = (answer: Json): Json =>
  JSON.parse(Buffer.from(answer.licenseKey, 'base64').toString('utf8'));

/** A public key from the .NET RSAKeyValue XML that Cryptolens apps embed. */
export function publicKeyOfXml(xml: string): KeyObject {
  const part = (tag: string) => {
    const match = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml);
    if (!match?.[1]) throw new Error(`no ${tag}`);
    return Buffer.from(match[1], 'base64').toString('base64url');
  };
  return createPublicKey({ key: { kty: 'RSA', n: part('Modulus'), e: part('Exponent') }, format: 'jwk' });
}
