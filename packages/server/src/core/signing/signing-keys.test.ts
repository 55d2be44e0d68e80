import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, rsaPublicKeyXml, Signer } from './signing-keys.js';

// One pair of each kind for the whole file: RSA key generation is the slow part.
const ed25519 = generateSigningKeyPair('ed25519');
const rsa = generateSigningKeyPair('rsa-2048');
const signer = new Signer({ ed25519: ed25519.privateKeyPem, 'rsa-2048': rsa.privateKeyPem });
const message = '{"license":"ABCDE-FGHJK","expiresAt":"2027-01-01T00:00:00.000Z"}';

function xmlParts(xml: string): { modulus: string; exponent: string } {
  const match =
    /^<RSAKeyValue><Modulus>([A-Za-z0-9+/=]+)<\/Modulus><Exponent>([A-Za-z0-9+/=]+)<\/Exponent><\/RSAKeyValue>$/.exec(
      xml,
    );
  if (!match?.[1] || !match[2]) throw new Error(`not an RSAKeyValue: ${xml}`);
  return { modulus: match[1], exponent: match[2] };
}

describe('generateSigningKeyPair', () => {
  it('makes an Ed25519 pair as SPKI and PKCS#8 PEM', () => {
    expect(ed25519.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(ed25519.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPublicKey(ed25519.publicKeyPem).asymmetricKeyType).toBe('ed25519');
  });

  it('makes an RSA-2048 pair with exponent 65537', () => {
    const key = createPublicKey(rsa.publicKeyPem);
    expect([key.asymmetricKeyType, key.asymmetricKeyDetails]).toEqual([
      'rsa',
      { modulusLength: 2048, publicExponent: 65537n },
    ]);
    expect(rsa.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('makes a new pair each time', () => {
    expect(generateSigningKeyPair('ed25519').publicKeyPem).not.toBe(ed25519.publicKeyPem);
  });
});

describe('Signer', () => {
  it('signs Ed25519 so that the published public key verifies it', () => {
    const signature = Buffer.from(signer.signEd25519(message), 'base64');
    expect(signature).toHaveLength(64);
    expect(verify(null, Buffer.from(message), ed25519.publicKeyPem, signature)).toBe(true);
    expect(verify(null, Buffer.from(`${message} `), ed25519.publicKeyPem, signature)).toBe(false);
  });

  it('shares one RSA signing among requests for the same bytes, in the thread pool', async () => {
    const bytes = Buffer.from(`${message} async`);
    const first = signer.signRsaSha256Async(bytes);
    expect(signer.signRsaSha256Async(Buffer.from(bytes))).toBe(first);
    expect(signer.signRsaSha256Async(Buffer.from(`${message} other`))).not.toBe(first);
    expect(await first).toBe(signer.signRsaSha256(bytes));
  });

  it('signs the same bytes given as string or Buffer', () => {
    expect(signer.signEd25519(Buffer.from(message))).toBe(signer.signEd25519(message));
    expect(signer.signRsaSha256(Buffer.from(message))).toBe(signer.signRsaSha256(message));
    expect(signer.signRsaSha512(Buffer.from(message))).toBe(signer.signRsaSha512(message));
  });

  it.each([
    ['signRsaSha256', 'sha256', 'sha512'],
    ['signRsaSha512', 'sha512', 'sha256'],
  ] as const)('%s is RSA PKCS#1 v1.5 with %s under the published public key', (method, hash, otherHash) => {
    const signature = Buffer.from(signer[method](message), 'base64');
    expect(signature).toHaveLength(256);
    expect(verify(hash, Buffer.from(message), rsa.publicKeyPem, signature)).toBe(true);
    expect(verify(otherHash, Buffer.from(message), rsa.publicKeyPem, signature)).toBe(false);
    expect(verify(hash, Buffer.from(`${message} `), rsa.publicKeyPem, signature)).toBe(false);
  });

  it("does not verify under another pair's public key", () => {
    const other = generateSigningKeyPair('ed25519');
    const signature = Buffer.from(signer.signEd25519(message), 'base64');
    expect(verify(null, Buffer.from(message), other.publicKeyPem, signature)).toBe(false);
  });
});

describe('rsaPublicKeyXml', () => {
  const xml = rsaPublicKeyXml(rsa.publicKeyPem);

  it('is .NET RSAKeyValue XML with exponent AQAB', () => {
    expect(xmlParts(xml).exponent).toBe('AQAB');
  });

  it("carries the key's 2048-bit modulus in plain base64", () => {
    const modulus = Buffer.from(xmlParts(xml).modulus, 'base64');
    const jwk = createPublicKey(rsa.publicKeyPem).export({ format: 'jwk' });
    expect(modulus).toHaveLength(256);
    expect(modulus.toString('base64url')).toBe(jwk.n);
    expect((modulus[0] ?? 0) & 0x80).toBe(0x80);
  });

  it('rebuilds a public key that verifies what the signer signed', () => {
    const { modulus, exponent } = xmlParts(xml);
    const rebuilt = createPublicKey({
      key: {
        kty: 'RSA',
        n: Buffer.from(modulus, 'base64').toString('base64url'),
        e: Buffer.from(exponent, 'base64').toString('base64url'),
      },
      format: 'jwk',
    });
    const signature = Buffer.from(signer.signRsaSha256(message), 'base64');
    expect(verify('sha256', Buffer.from(message), rebuilt, signature)).toBe(true);
  });

  it('refuses a key that is not RSA', () => {
    expect(() => rsaPublicKeyXml(ed25519.publicKeyPem)).toThrow('not an RSA public key');
  });
});
