import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  createLicense,
  createPolicy,
  createProduct,
  expectError,
  expectStatus,
  get,
  type Json,
  post,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';
import { assertSignedRouteBinds } from '../../plugins/sign-responses.js';

const SIGNATURE = /^ed25519=([A-Za-z0-9+/]+={0,2})$/;

/** Checks the Keyward-Signature header over the exact bytes of a body. */
function signatureVerifies(publicKey: KeyObject, body: Buffer, header: unknown): boolean {
  const match = SIGNATURE.exec(String(header));
  if (!match?.[1]) return false;
  return verify(null, body, publicKey, Buffer.from(match[1], 'base64'));
}

for (const dialect of await testDialects()) {
  describe(`validation routes (${dialect})`, () => {
    let t: TestApp;
    let publicKey: KeyObject;
    let productId: number;
    let otherProductId: number;
    let policyId: number;
    let closedPolicyId: number;

    beforeAll(async () => {
      t = await createTestApp(dialect);
      const keys = await get(t, '/v1/signing-keys');
      const ed25519 = keys.data.find((k: Json) => k.algorithm === 'ed25519');
      publicKey = createPublicKey(ed25519.publicKeyPem);
      productId = (await createProduct(t)).id;
      otherProductId = (await createProduct(t)).id;
      policyId = (
        await createPolicy(t, productId, {
          maxMachines: 3,
          allowLicenseAuth: true,
          featureFields: [
            { name: 'pro', type: 'boolean' },
            { name: 'export', type: 'boolean', defaultValue: true },
          ],
        })
      ).id;
      closedPolicyId = (await createPolicy(t, productId, { allowLicenseAuth: false })).id;
    });
    afterAll(() => t.dispose());

    const validate = (id: number, payload: object = {}, headers: Record<string, string> = {}) =>
      t.call({
        method: 'POST',
        url: `/v1/licenses/${id}/actions/validate`,
        payload,
        ...(headers.authorization ? { token: null, headers } : {}),
      });
    const validateKey = (payload: object, token?: string | null) =>
      t.call({
        method: 'POST',
        url: '/v1/licenses/actions/validate-key',
        payload,
        ...(token === undefined ? {} : { token }),
      });
    const outcome = async (response: Promise<LightMyRequestResponse>) => {
      const answer = await response;
      const body = await expectStatus(answer, 200);
      expect(signatureVerifies(publicKey, answer.rawPayload, answer.headers['keyward-signature'])).toBe(true);
      return body;
    };

    describe('POST /v1/licenses/:id/actions/validate', () => {
      it('answers VALID with the license, the machine and the echoed nonce', async () => {
        const license = await createLicense(t, policyId);
        const machine = await activate(t, license.id, 'fp-valid');
        const body = await outcome(validate(license.id, { fingerprint: 'fp-valid', nonce: 'nonce-123' }));
        expect(body).toMatchObject({
          valid: true,
          code: 'VALID',
          detail: expect.any(String),
          nonce: 'nonce-123',
          ts: t.clock.now().toISOString(),
          license: { id: license.id, key: license.key, status: 'active' },
          machine: { id: machine.id, fingerprint: 'fp-valid' },
        });
        expect((await outcome(validate(license.id))).nonce).toBeNull();
      });

      it('answers each failing state with its code', async () => {
        const code = async (body: object, prepare: (license: Json) => Promise<unknown> = async () => {}) => {
          const license = await createLicense(t, policyId);
          await prepare(license);
          const answer = await outcome(validate(license.id, body));
          expect(answer.valid).toBe(false);
          return answer.code;
        };
        const act = (name: string) => (license: Json) =>
          post(t, `/v1/licenses/${license.id}/actions/${name}`, {}, 200);
        expect(await code({}, act('suspend'))).toBe('SUSPENDED');
        expect(await code({}, act('revoke'))).toBe('REVOKED');
        expect(
          await code({}, (l) =>
            post(t, `/v1/licenses/${l.id}/actions/extend`, { expiresAt: '2001-01-01T00:00:00Z' }, 200),
          ),
        ).toBe('EXPIRED');
        expect(await code({ fingerprint: 'nobody' })).toBe('NO_MACHINE');
        expect(await code({ fingerprint: 'stranger' }, (l) => activate(t, l.id, 'owner'))).toBe(
          'FINGERPRINT_MISMATCH',
        );
        expect(await code({ productId: otherProductId })).toBe('PRODUCT_MISMATCH');
        expect(await code({ features: ['export', 'pro'] })).toBe('FEATURE_MISSING');
      });

      it('passes features the license holds or inherits as defaults', async () => {
        const license = await createLicense(t, policyId, { features: { pro: true } });
        const body = await outcome(validate(license.id, { features: ['pro', 'export'], productId }));
        expect(body).toMatchObject({ valid: true, code: 'VALID' });
      });

      it('signs the exact body: one changed byte breaks the signature', async () => {
        const license = await createLicense(t, policyId);
        const answer = await validate(license.id, { nonce: 'tamper' });
        const header = answer.headers['keyward-signature'];
        expect(header).toMatch(SIGNATURE);
        const body = Buffer.from(answer.rawPayload);
        expect(signatureVerifies(publicKey, body, header)).toBe(true);
        const tampered = Buffer.from(body);
        tampered[body.indexOf('tamper')] = 'T'.charCodeAt(0);
        expect(signatureVerifies(publicKey, tampered, header)).toBe(false);
        expect(signatureVerifies(publicKey, Buffer.concat([body, Buffer.from(' ')]), header)).toBe(false);
      });

      it('takes the license key as credential when the policy allows it, and refuses it otherwise', async () => {
        const open = await createLicense(t, policyId);
        const body = await outcome(
          validate(open.id, { nonce: 'n' }, { authorization: `License ${open.key}` }),
        );
        expect(body.code).toBe('VALID');
        const closed = await createLicense(t, closedPolicyId);
        await expectError(
          validate(closed.id, {}, { authorization: `License ${closed.key}` }),
          403,
          'FORBIDDEN',
        );
        // Another license's key sees this license as missing, exactly like an id that does not exist.
        const other = await validate(closed.id, {}, { authorization: `License ${open.key}` });
        const missing = await validate(999_999, {}, { authorization: `License ${open.key}` });
        await expectError(other, 404, 'LICENSE_NOT_FOUND');
        expect(other.json().error.message).toBe(missing.json().error.message);
      });

      it('answers an unknown license with 404 and a bad body with 400, unsigned', async () => {
        const missing = await validate(999_999);
        await expectError(missing, 404, 'LICENSE_NOT_FOUND');
        expect(missing.headers['keyward-signature']).toBeUndefined();
        const license = await createLicense(t, policyId);
        await expectError(validate(license.id, { fingerprint: '' }), 400, 'INVALID_INPUT');
        await expectError(validate(license.id, { nonce: 'x'.repeat(201) }), 400, 'INVALID_INPUT');
      });
    });

    describe('POST /v1/licenses/actions/validate-key', () => {
      it('answers an unknown key with a signed NOT_FOUND, also without credential', async () => {
        for (const token of [undefined, null]) {
          const body = await outcome(validateKey({ key: 'NO-SUCH-KEY', nonce: 'abc' }, token));
          expect(body).toMatchObject({ valid: false, code: 'NOT_FOUND', nonce: 'abc', license: null });
        }
      });

      it('validates a key without credential when the policy allows the key as credential', async () => {
        const license = await createLicense(t, policyId);
        const machine = await activate(t, license.id, 'fp-key');
        const body = await outcome(
          validateKey({ key: license.key, fingerprint: 'fp-key', nonce: 'k' }, null),
        );
        expect(body).toMatchObject({ valid: true, code: 'VALID', nonce: 'k', machine: { id: machine.id } });
      });

      it('demands a credential when the policy does not allow the key as one', async () => {
        const license = await createLicense(t, closedPolicyId);
        // Without the credential the policy wants, the key reads as unknown: its existence is not revealed.
        const anonymous = await outcome(validateKey({ key: license.key }, null));
        const unknown = await outcome(validateKey({ key: 'NOPE0-NOPE0-NOPE0-NOPE0' }, null));
        expect(anonymous).toMatchObject({ valid: false, code: 'NOT_FOUND', license: null });
        expect({ ...anonymous, ts: null, request: null }).toEqual({ ...unknown, ts: null, request: null });
        const body = await outcome(validateKey({ key: license.key }));
        expect(body.code).toBe('VALID');
      });

      it('answers the failing states through the key as well', async () => {
        const license = await createLicense(t, policyId);
        await post(t, `/v1/licenses/${license.id}/actions/suspend`, {}, 200);
        expect((await outcome(validateKey({ key: license.key }, null))).code).toBe('SUSPENDED');
      });

      it('refuses a body without a key', async () => {
        await expectError(validateKey({ fingerprint: 'x' }, null), 400, 'INVALID_INPUT');
      });

      it('binds the signed answer to what was asked: key, fingerprint, product, features, nonce, time', async () => {
        const license = await createLicense(t, policyId);
        await activate(t, license.id, 'fp-bound');
        const asked = {
          key: license.key,
          fingerprint: 'fp-bound',
          productId,
          features: ['export'],
          nonce: 'b1',
        };
        const body = await outcome(validateKey(asked, null));
        expect(body).toMatchObject({
          valid: true,
          nonce: 'b1',
          ts: t.clock.now().toISOString(),
          request: {
            key: license.key,
            licenseId: null,
            fingerprint: 'fp-bound',
            productId,
            features: ['export'],
          },
        });
        // An unknown key is answered about that key, so the answer cannot pass for another one.
        const unknown = await outcome(validateKey({ key: 'NO-SUCH-KEY', nonce: 'b2' }, null));
        expect(unknown.request).toEqual({
          key: 'NO-SUCH-KEY',
          licenseId: null,
          fingerprint: null,
          productId: null,
          features: null,
        });
        const byId = await outcome(validate(license.id, { nonce: 'b3' }));
        expect(byId.request).toEqual({
          key: null,
          licenseId: license.id,
          fingerprint: null,
          productId: null,
          features: null,
        });
      });
    });
  });
}

describe('signed routes', () => {
  it('cannot be registered without the fields that bind the answer to the request', () => {
    const schema = (properties: string[]) => ({
      response: {
        200: {
          type: 'object',
          properties: Object.fromEntries(properties.map((p) => [p, {}])),
          required: properties,
        },
      },
    });
    expect(() =>
      assertSignedRouteBinds({ url: '/ok', schema: schema(['nonce', 'ts', 'request']) }),
    ).not.toThrow();
    expect(() => assertSignedRouteBinds({ url: '/bare', schema: schema(['valid']) })).toThrow(
      /\/bare must answer with nonce, ts, request/,
    );
    expect(() => assertSignedRouteBinds({ url: '/none' })).toThrow(/nonce, ts, request/);
  });
});

describeRouteSecurity('validation');
