import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { Signer } from './signing-keys.js';

/**
 * Keyward's offline license file: a signed statement "this license (on this machine) is valid until
 * `expiresAt`", which an app checks with the Ed25519 public key it embeds, without the network. The file is
 * an armored base64 envelope; the payload may be encrypted to the machine (AES-256-GCM under a key both the
 * app and the server derive from the license key and the machine's fingerprint), so that a file copied to
 * another machine cannot even be read there. packages/sdk/README.md documents the format for client
 * implementations; the SDK's license-file.ts is the reference reader.
 */

export const LICENSE_FILE_FORMAT = 'keyward-license-file';
export const LICENSE_FILE_VERSION = 1;
/** The signature covers this text, then `<encryption>.<iv>.<payload>` exactly as they appear in the envelope. */
export const LICENSE_FILE_SIGNATURE_CONTEXT = 'keyward-license-file.v1.';
export const LICENSE_FILE_BEGIN = '-----BEGIN KEYWARD LICENSE FILE-----';
export const LICENSE_FILE_END = '-----END KEYWARD LICENSE FILE-----';
export const LICENSE_FILE_ENCRYPTIONS = ['none', 'aes-256-gcm'] as const;
export type LicenseFileEncryption = (typeof LICENSE_FILE_ENCRYPTIONS)[number];

/** The machine-bound key: SHA-256 of `keyward-license-file.v1|<license key>|<fingerprint>`. */
export function licenseFileKey(licenseKey: string, fingerprint: string): Buffer {
  return createHash('sha256').update(`keyward-license-file.v1|${licenseKey}|${fingerprint}`).digest();
}

export function licenseFileSignedText(
  encryption: LicenseFileEncryption,
  iv: string,
  payload: string,
): string {
  return `${LICENSE_FILE_SIGNATURE_CONTEXT}${encryption}.${iv}.${payload}`;
}

/**
 * Signs (and, with `encryptTo`, first encrypts) a payload into the armored file text. The signature covers
 * the ciphertext, so an app checks authenticity before it decrypts anything.
 */
export function sealLicenseFile(
  signer: Signer,
  payload: Record<string, unknown>,
  encryptTo?: { licenseKey: string; fingerprint: string },
): string {
  const plain = Buffer.from(JSON.stringify(payload));
  let encryption: LicenseFileEncryption = 'none';
  let iv = '';
  let body = plain.toString('base64');
  if (encryptTo) {
    encryption = 'aes-256-gcm';
    const nonce = randomBytes(12);
    const cipher = createCipheriv(
      'aes-256-gcm',
      licenseFileKey(encryptTo.licenseKey, encryptTo.fingerprint),
      nonce,
    );
    const sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    iv = nonce.toString('base64');
    body = sealed.toString('base64');
  }
  const envelope = {
    format: LICENSE_FILE_FORMAT,
    version: LICENSE_FILE_VERSION,
    algorithm: 'ed25519',
    encryption,
    iv,
    payload: body,
    signature: signer.signEd25519(licenseFileSignedText(encryption, iv, body)),
  };
  const encoded = Buffer.from(JSON.stringify(envelope)).toString('base64');
  const lines = encoded.match(/.{1,64}/g) ?? [];
  return `${LICENSE_FILE_BEGIN}\n${lines.join('\n')}\n${LICENSE_FILE_END}\n`;
}
