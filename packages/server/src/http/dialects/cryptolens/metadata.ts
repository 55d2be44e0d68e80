import type { LicenseState, LicenseView } from '../../../core/licenses/license-view.js';
import type { ValidationOutcome } from '../../../core/validation/validation-codes.js';
import { isHidden } from './fields-to-return.js';
import { unixSeconds } from './string-sign.js';

export interface LicenseStatus {
  isValid: boolean;
  /** 0 none, 1 expired, 2 blocked. */
  reasonForInvalidity: 0 | 1 | 2;
  trial: boolean;
  timeLimited: boolean;
  /** Whole days until expiry for time-limited licenses, else 0. */
  timeLeft: number;
}

export interface Metadata {
  activatedMachines: number;
  licenseStatus: LicenseStatus;
  usedFloatingMachines: number;
  signature?: string;
}

/**
 * The vendor's LicenseStatus, from core's verdict and the license's view: the same rules decide it as on every
 * other surface.
 */
export function licenseStatusOf(outcome: ValidationOutcome, view: LicenseState): LicenseStatus {
  const reasonForInvalidity =
    outcome.code === 'EXPIRED' ? 1 : outcome.code === 'SUSPENDED' || outcome.code === 'REVOKED' ? 2 : 0;
  return {
    isValid: outcome.valid,
    reasonForInvalidity: outcome.valid ? 0 : reasonForInvalidity,
    trial: view.trial.isTrial,
    timeLimited: view.daysLeft !== null,
    timeLeft: view.daysLeft ?? 0,
  };
}

/**
 * The metadata object. `activatedMachines` counts every seat held; `usedFloatingMachines` the live floating
 * leases, and only when the caller gave a FloatingTimeInterval (as documented). When signed, `signature` is
 * base64 of the JSON {Data, Signature, Date, Version}: Data is base64 of the PascalCase metadata JSON and
 * Signature is RSA PKCS#1 v1.5 SHA-512 over its bytes, which the .NET and Python SDKs verify.
 */
export function metadataOf(input: {
  status: LicenseStatus;
  seats: Pick<LicenseView, 'seatHolders' | 'floatingSeats'>;
  floatingTimeInterval: number;
  fieldsToReturn: number;
  now: Date;
  signSha512: ((bytes: Buffer) => string) | null;
}): Metadata | null {
  const mask = input.fieldsToReturn;
  if (isHidden(mask, 'metadata')) return null;
  const activatedMachines = isHidden(mask, 'metadataActivatedMachines') ? 0 : input.seats.seatHolders.length;
  const usedFloatingMachines =
    input.floatingTimeInterval > 0 && !isHidden(mask, 'metadataUsedFloatingMachines')
      ? input.seats.floatingSeats
      : 0;
  const metadata: Metadata = { activatedMachines, licenseStatus: input.status, usedFloatingMachines };
  if (!input.signSha512) return metadata;
  const s = input.status;
  const data = Buffer.from(
    JSON.stringify({
      ActivatedMachines: activatedMachines,
      LicenseStatus: {
        IsValid: s.isValid,
        ReasonForInvalidity: s.reasonForInvalidity,
        Trial: s.trial,
        TimeLimited: s.timeLimited,
        TimeLeft: s.timeLeft,
      },
      UsedFloatingMachines: usedFloatingMachines,
    }),
    'utf8',
  );
  const envelope = JSON.stringify({
    Data: data.toString('base64'),
    Signature: input.signSha512(data),
    Date: unixSeconds(input.now),
    Version: 1,
  });
  return { ...metadata, signature: Buffer.from(envelope, 'utf8').toString('base64') };
}
