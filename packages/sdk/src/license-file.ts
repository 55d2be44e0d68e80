import { decryptAesGcm, type Ed25519Verifier, sha256, verifySignature } from './crypto.js';
import { base64ToBytes, base64ToText, utf8Text } from './encoding.js';
import { KeywardError, VerificationError } from './errors.js';
import type { FeatureValue, ValidationCode } from './types.js';

export const LICENSE_FILE_BEGIN = '-----BEGIN KEYWARD LICENSE FILE-----';
export const LICENSE_FILE_END = '-----END KEYWARD LICENSE FILE-----';
const SIGNATURE_CONTEXT = 'keyward-license-file.v1.';

/** What a license file states, once its signature is checked (and it is decrypted). */
export interface LicenseFilePayload {
  type: 'license-file';
  issuedAt: string;
  expiresAt: string;
  ttlSeconds: number;
  nonce: string | null;
  validation: { valid: boolean; code: ValidationCode };
  license: {
    id: number;
    key: string;
    policyId: number;
    productIds: number[];
    /**
     * The license's machine limit; 0: none, so a file naming no machine is valid on any. Files of a license
     * with a limit always name their machine; files without this field are refused unless they name it.
     */
    maxMachines?: number;
    expiresAt: string | null;
    features: Record<string, FeatureValue>;
  };
  machine: {
    id: number;
    fingerprint: string;
    activatedAt: string;
    expiresAt: string | null;
    leaseExpiresAt: string | null;
  } | null;
}

interface Envelope {
  format: string;
  version: number;
  algorithm: string;
  encryption: 'none' | 'aes-256-gcm';
  iv: string;
  payload: string;
  signature: string;
}

const invalid = (message: string, cause?: unknown) =>
  new VerificationError('LICENSE_FILE_INVALID', `not a genuine Keyward license file: ${message}`, { cause });

function readEnvelope(file: string): Envelope {
  const text = file.trim();
  const begin = text.indexOf(LICENSE_FILE_BEGIN);
  const end = text.indexOf(LICENSE_FILE_END);
  if (begin < 0 || end < begin) throw invalid('the BEGIN/END lines are missing');
  let envelope: Envelope;
  try {
    envelope = JSON.parse(base64ToText(text.slice(begin + LICENSE_FILE_BEGIN.length, end))) as Envelope;
  } catch (cause) {
    throw invalid('the armored text does not hold the envelope', cause);
  }
  if (
    envelope?.format !== 'keyward-license-file' ||
    envelope.version !== 1 ||
    envelope.algorithm !== 'ed25519' ||
    (envelope.encryption !== 'none' && envelope.encryption !== 'aes-256-gcm') ||
    typeof envelope.payload !== 'string' ||
    typeof envelope.iv !== 'string' ||
    typeof envelope.signature !== 'string'
  ) {
    throw invalid('unknown format or version');
  }
  return envelope;
}

/** The key a file encrypted to a machine is sealed with (the server derives the same). */
export async function licenseFileKey(licenseKey: string, fingerprint: string): Promise<Uint8Array> {
  return sha256(`keyward-license-file.v1|${licenseKey}|${fingerprint}`);
}

/**
 * Checks a license file's signature, decrypts it if it is encrypted to the machine (`bindTo` needed), and
 * checks that it is for this license, machine and product: with `bindTo.fingerprint`, the file must name
 * that machine, or name none and state that the license has no machine limit. Expiry and clock checks are
 * the caller's (they need the installation's clock state).
 */
export async function openLicenseFile(
  file: string,
  publicKeySpki: Uint8Array,
  verifier: Ed25519Verifier,
  bindTo: { key?: string; fingerprint?: string; productId?: number } = {},
): Promise<LicenseFilePayload> {
  const envelope = readEnvelope(file);
  const signed = `${SIGNATURE_CONTEXT}${envelope.encryption}.${envelope.iv}.${envelope.payload}`;
  if (!(await verifySignature(verifier, publicKeySpki, signed, envelope.signature))) {
    throw new VerificationError('SIGNATURE_INVALID', 'the license file is not signed by the license server');
  }
  let payload: LicenseFilePayload;
  try {
    if (envelope.encryption === 'none') {
      payload = JSON.parse(base64ToText(envelope.payload)) as LicenseFilePayload;
    } else {
      if (!bindTo.key || !bindTo.fingerprint) {
        throw new KeywardError(
          'LICENSE_FILE_MISMATCH',
          'the file is encrypted: give the key and fingerprint',
        );
      }
      let plain: Uint8Array;
      try {
        plain = await decryptAesGcm(
          await licenseFileKey(bindTo.key, bindTo.fingerprint),
          base64ToBytes(envelope.iv),
          base64ToBytes(envelope.payload),
        );
      } catch (cause) {
        throw new VerificationError(
          'LICENSE_FILE_MISMATCH',
          'the file is encrypted to another machine or key',
          {
            cause,
          },
        );
      }
      payload = JSON.parse(utf8Text(plain)) as LicenseFilePayload;
    }
  } catch (error) {
    if (error instanceof KeywardError) throw error;
    throw invalid('the payload is not JSON', error);
  }
  if (payload.type !== 'license-file' || !payload.license || Number.isNaN(Date.parse(payload.expiresAt))) {
    throw invalid('the payload is not a license file');
  }
  if (bindTo.key !== undefined && payload.license.key !== bindTo.key) {
    throw new VerificationError('LICENSE_FILE_MISMATCH', 'the file is for another license');
  }
  if (bindTo.fingerprint !== undefined) {
    if (payload.machine && payload.machine.fingerprint !== bindTo.fingerprint) {
      throw new VerificationError('LICENSE_FILE_MISMATCH', 'the file is for another machine');
    }
    // A file naming no machine is good anywhere only when the license itself is limited to no machines.
    if (!payload.machine && payload.license.maxMachines !== 0) {
      throw new VerificationError(
        'LICENSE_FILE_MISMATCH',
        'the file names no machine, and the license is limited to its activated machines',
      );
    }
  }
  if (bindTo.productId !== undefined && !payload.license.productIds?.includes(bindTo.productId)) {
    throw new VerificationError('LICENSE_FILE_MISMATCH', 'the file is for another product');
  }
  return payload;
}
