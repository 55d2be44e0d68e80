import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export const SIGNING_ALGORITHMS = ['ed25519', 'rsa-2048'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKeyRecord {
  id: number;
  algorithm: SigningAlgorithm;
  publicKeyPem: string;
  /** PKCS#8 PEM sealed by SecretBox; never stored or logged in the clear. */
  sealedPrivateKey: string;
  createdAt: Date;
}

export function generateSigningKeyPair(algorithm: SigningAlgorithm): {
  publicKeyPem: string;
  privateKeyPem: string;
} {
  const pair =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return {
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The RSA public key as .NET's `RSAKeyValue` XML, the form Cryptolens apps embed. */
export function rsaPublicKeyXml(publicKeyPem: string): string {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  if (!jwk.n || !jwk.e) throw new Error('not an RSA public key');
  const b64 = (value: string) => Buffer.from(value, 'base64url').toString('base64');
  return `<RSAKeyValue><Modulus>${b64(jwk.n)}</Modulus><Exponent>${b64(jwk.e)}</Exponent></RSAKeyValue>`;
}

/** Signs in libuv's thread pool, off the event loop: an RSA-2048 signature costs about a millisecond of CPU. */
function signInPool(digest: string | null, data: Buffer, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) =>
    sign(digest, data, key, (error, signature) =>
      error ? reject(error) : resolve(signature.toString('base64')),
    ),
  );
}

/** How many RSA signatures are kept for reuse; at ~1 KB each a bounded, small amount of memory. */
const RSA_CACHE_ENTRIES = 4096;

/** Signs bytes with the server's keys. Private keys are parsed once and kept in memory only. */
export class Signer {
  private readonly ed25519: KeyObject;
  private readonly rsa: KeyObject;
  /**
   * RSA PKCS#1 v1.5 signatures are deterministic: the same bytes always get the same signature. So one is
   * reused exactly when the bytes it covers are identical (the map's key is those bytes, not a digest of
   * them), e.g. the same license fetched twice within the second its SignDate names. Requests in flight
   * share one signing; a failed signing is not kept. Kept in two generations, the older dropped whole when
   * the newer is full: evicting a Map's first key one at a time walks the holes its deleted entries leave.
   */
  private rsaRecent = new Map<string, Promise<string>>();
  private rsaOlder = new Map<string, Promise<string>>();

  constructor(privateKeysPem: Record<SigningAlgorithm, string>) {
    this.ed25519 = createPrivateKey(privateKeysPem.ed25519);
    this.rsa = createPrivateKey(privateKeysPem['rsa-2048']);
  }

  /** Ed25519 signature, base64. */
  signEd25519(data: Buffer | string): string {
    return sign(null, typeof data === 'string' ? Buffer.from(data) : data, this.ed25519).toString('base64');
  }

  /** RSA PKCS#1 v1.5 with SHA-256, base64. */
  signRsaSha256(data: Buffer | string): string {
    return sign('sha256', typeof data === 'string' ? Buffer.from(data) : data, this.rsa).toString('base64');
  }

  /** Ed25519 signature, base64, computed in the thread pool. */
  signEd25519Async(data: Buffer | string): Promise<string> {
    return signInPool(null, typeof data === 'string' ? Buffer.from(data) : data, this.ed25519);
  }

  /** RSA PKCS#1 v1.5 with SHA-256, base64, computed in the thread pool or reused for identical bytes. */
  signRsaSha256Async(data: Buffer): Promise<string> {
    const key = data.toString('latin1');
    const cached = this.rsaRecent.get(key) ?? this.rsaOlder.get(key);
    if (cached) return cached;
    const signing = signInPool('sha256', data, this.rsa);
    if (this.rsaRecent.size >= RSA_CACHE_ENTRIES / 2) {
      this.rsaOlder = this.rsaRecent;
      this.rsaRecent = new Map();
    }
    this.rsaRecent.set(key, signing);
    signing.catch(() => {
      for (const kept of [this.rsaRecent, this.rsaOlder]) if (kept.get(key) === signing) kept.delete(key);
    });
    return signing;
  }

  /** RSA PKCS#1 v1.5 with SHA-512, base64 (Cryptolens signs license metadata this way). */
  signRsaSha512(data: Buffer | string): string {
    return sign('sha512', typeof data === 'string' ? Buffer.from(data) : data, this.rsa).toString('base64');
  }
}
