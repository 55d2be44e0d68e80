import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectStatus, type Json } from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('signing keys routes', () => {
  let t: TestApp;
  let keys: Json[];
  beforeAll(async () => {
    t = await createTestApp();
    keys = (await expectStatus(t.call({ method: 'GET', url: '/v1/signing-keys', token: null }), 200)).data;
  });
  afterAll(() => t.dispose());

  const key = (algorithm: string) => keys.find((k) => k.algorithm === algorithm);

  describe('GET /v1/signing-keys', () => {
    it('publishes the Ed25519 key as PEM', () => {
      const ed25519 = key('ed25519');
      expect(ed25519).toEqual({
        id: expect.any(Number),
        algorithm: 'ed25519',
        publicKeyPem: expect.stringMatching(
          /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/,
        ),
        publicKeyXml: null,
        createdAt: expect.any(String),
      });
      expect(createPublicKey(ed25519.publicKeyPem).asymmetricKeyType).toBe('ed25519');
    });

    it('publishes the RSA-2048 key as PEM and as .NET <RSAKeyValue> XML of the same key', () => {
      const rsa = key('rsa-2048');
      const publicKey = createPublicKey(rsa.publicKeyPem);
      expect(publicKey.asymmetricKeyType).toBe('rsa');
      expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      const xml =
        /^<RSAKeyValue><Modulus>([A-Za-z0-9+/=]+)<\/Modulus><Exponent>([A-Za-z0-9+/=]+)<\/Exponent><\/RSAKeyValue>$/.exec(
          rsa.publicKeyXml,
        );
      expect(xml).not.toBeNull();
      const jwk = publicKey.export({ format: 'jwk' });
      expect(Buffer.from(xml?.[1] ?? '', 'base64')).toEqual(Buffer.from(jwk.n ?? '', 'base64url'));
      expect(xml?.[2]).toBe('AQAB');
      expect(Buffer.from(xml?.[1] ?? '', 'base64')).toHaveLength(256);
    });

    it('answers the same keys after a restart of the app over the same store', async () => {
      await t.keyward.signingKeys.load();
      const again = await expectStatus(t.call({ method: 'GET', url: '/v1/signing-keys', token: null }), 200);
      expect(again.data).toEqual(keys);
    });

    it('offers no way to change the keys over HTTP', async () => {
      for (const method of ['POST', 'DELETE'] as const) {
        await expectError(t.call({ method, url: '/v1/signing-keys', payload: {} }), 404, 'NOT_FOUND');
      }
    });
  });
});

describeRouteSecurity('signing-keys');
