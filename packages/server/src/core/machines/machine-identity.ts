import { isIP } from 'node:net';
import { DomainError } from '../domain-error.js';

/**
 * What a machine may call itself, on every surface. A fingerprint identifies the machine inside texts that
 * Keyward signs, and Cryptolens' LinqSign signs its fields joined with commas and its lists in square
 * brackets, with nothing escaped (the client rebuilds the text from the values): a fingerprint holding a
 * comma or a bracket would let its owner re-cut the signed text into other fields. So a fingerprint holds no
 * separator, and no control, format or line-separator character either (they hide in logs and dashboards).
 * A friendly name is display text outside every field-joined signed text, so commas are fine in it; only
 * the invisible characters are refused.
 */

/** `details.reason` of the refusal, so a surface may word it in its own vendor's terms. */
export const FINGERPRINT_CHARACTERS = 'FINGERPRINT_CHARACTERS';
/** Characters that may never appear in a fingerprint (machine code). */
export const FINGERPRINT_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp},[\]]/u;
/** Characters that may never appear in a machine's friendly name. */
export const MACHINE_NAME_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export function isValidFingerprint(fingerprint: string): boolean {
  return !FINGERPRINT_FORBIDDEN.test(fingerprint);
}

/** Refuses a fingerprint (or an allowed machine, `field` names it) holding a forbidden character. */
export function checkFingerprint(fingerprint: string, field = 'fingerprint'): void {
  if (!isValidFingerprint(fingerprint)) {
    throw new DomainError(
      'INVALID_INPUT',
      `${field} may not contain control characters, commas or square brackets`,
      { field, reason: FINGERPRINT_CHARACTERS },
    );
  }
}

export function checkMachineName(name: string | null | undefined, field = 'name'): void {
  if (name && MACHINE_NAME_FORBIDDEN.test(name)) {
    throw new DomainError('INVALID_INPUT', `${field} may not contain control characters`, { field });
  }
}

/**
 * The address a machine was seen from, as stored: an IP literal or nothing. It comes from the connection or
 * a trusted proxy's header, never from the app, so text that is not an address is dropped, not refused.
 */
export function machineIp(ip: string | null | undefined): string | null {
  return ip && isIP(ip) !== 0 ? ip : null;
}

/** The one check of what an activation says about its machine; every activation path calls it first. */
export function checkMachineIdentity<T extends { fingerprint: string; name?: string | null | undefined }>(
  request: T & { ip?: string | null | undefined },
): T & { ip: string | null } {
  checkFingerprint(request.fingerprint);
  checkMachineName(request.name);
  return { ...request, ip: machineIp(request.ip) };
}

/** A license's allowed machines are fingerprints too; returns the list when every entry passes. */
export function checkAllowedMachines(fingerprints: string[]): string[] {
  for (const fingerprint of fingerprints) checkFingerprint(fingerprint, 'allowedMachines');
  return fingerprints;
}
