import { base64ToBytes, utf8Bytes } from './encoding.js';
import { KeywardError } from './errors.js';
import { loadNodeCrypto } from './node-crypto.js';

/** Checks an Ed25519 signature; apps on exotic runtimes may pass their own (e.g. from @noble/ed25519). */
export type Ed25519Verifier = (
  publicKeySpki: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
) => Promise<boolean>;

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/**
 * The public key as Keyward publishes it (`publicKeyPem` of GET /v1/signing-keys), or its base64 DER, or the
 * 32 raw key bytes in base64.
 */
export function parsePublicKey(key: string): Uint8Array<ArrayBuffer> {
  const body = key.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = base64ToBytes(body);
  } catch {
    throw new KeywardError('INVALID_INPUT', 'the public key is not PEM or base64');
  }
  if (bytes.length === 32) {
    const spki = new Uint8Array(SPKI_PREFIX.length + 32);
    spki.set(SPKI_PREFIX);
    spki.set(bytes, SPKI_PREFIX.length);
    return spki;
  }
  const hasPrefix = bytes.length === 44 && SPKI_PREFIX.every((b, i) => bytes[i] === b);
  if (!hasPrefix) throw new KeywardError('INVALID_INPUT', 'the public key is not an Ed25519 key');
  return bytes;
}

/** RFC 8032's first test key: importing it tells whether WebCrypto here speaks Ed25519. */
const PROBE_KEY = '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=';

const asBuffer = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

async function webCryptoVerifier(): Promise<Ed25519Verifier | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  try {
    await subtle.importKey('spki', parsePublicKey(PROBE_KEY), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
  const keys = new Map<string, Promise<CryptoKey>>();
  return async (spki, message, signature) => {
    const id = spki.join(',');
    let key = keys.get(id);
    if (!key) {
      key = subtle.importKey('spki', asBuffer(spki), { name: 'Ed25519' }, false, ['verify']);
      keys.set(id, key);
    }
    return subtle.verify({ name: 'Ed25519' }, await key, asBuffer(signature), asBuffer(message));
  };
}

async function nodeVerifier(): Promise<Ed25519Verifier | null> {
  const node = await loadNodeCrypto();
  if (!node) return null;
  return async (spki, message, signature) =>
    node.verify(
      null,
      message,
      node.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
      signature,
    );
}

let chosen: Promise<Ed25519Verifier> | null = null;

/** WebCrypto's Ed25519 where the runtime has it (browsers, Node 20), else Node's crypto module. */
export function defaultVerifier(): Promise<Ed25519Verifier> {
  chosen ??= (async () => {
    const verifier = (await webCryptoVerifier()) ?? (await nodeVerifier());
    if (!verifier) {
      chosen = null;
      throw new KeywardError('UNSUPPORTED', 'this runtime has no Ed25519; pass a `verifier` option');
    }
    return verifier;
  })();
  return chosen;
}

export async function verifySignature(
  verifier: Ed25519Verifier,
  publicKeySpki: Uint8Array,
  message: Uint8Array | string,
  signatureBase64: string,
): Promise<boolean> {
  let signature: Uint8Array;
  try {
    signature = base64ToBytes(signatureBase64);
  } catch {
    return false;
  }
  if (signature.length !== 64) return false;
  const bytes = typeof message === 'string' ? utf8Bytes(message) : message;
  try {
    return await verifier(publicKeySpki, bytes, signature);
  } catch {
    return false;
  }
}

export async function sha256(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return new Uint8Array(await subtle.digest('SHA-256', utf8Bytes(text)));
  const node = await loadNodeCrypto();
  if (!node)
    throw new KeywardError('UNSUPPORTED', 'this runtime has no SHA-256 (WebCrypto needs a secure context)');
  return new Uint8Array(node.createHash('sha256').update(text).digest());
}

/** AES-256-GCM; `sealed` is the ciphertext followed by the 16-byte tag (WebCrypto's layout). */
export async function decryptAesGcm(
  key: Uint8Array,
  iv: Uint8Array,
  sealed: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    const cryptoKey = await subtle.importKey('raw', asBuffer(key), { name: 'AES-GCM' }, false, ['decrypt']);
    return new Uint8Array(
      await subtle.decrypt({ name: 'AES-GCM', iv: asBuffer(iv) }, cryptoKey, asBuffer(sealed)),
    );
  }
  const node = await loadNodeCrypto();
  if (!node)
    throw new KeywardError('UNSUPPORTED', 'this runtime has no AES-GCM (WebCrypto needs a secure context)');
  const decipher = node.createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return new Uint8Array(
    Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]),
  );
}
