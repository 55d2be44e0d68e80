import { isLeaseLapsed, type License, type Machine } from '../model.js';

/** Where one activation of a license stands, for surfaces that list a key's devices with their state. */
export interface ActivationStatus {
  /** When the activation stops working: its own validity or the license's expiry, whichever comes first. */
  expiresAt: Date | null;
  isExpired: boolean;
  /** Still registered (not deactivated or reset away) and not expired. */
  isActive: boolean;
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a <= b ? a : b;
}

/**
 * The same rules evaluateLicense applies to a fingerprint: an activation ends with its own validity and with
 * the license's expiry. Suspension is the license's state, not the activation's, so it is not folded in here.
 */
export function activationStatus(
  license: Pick<License, 'expiresAt'>,
  machine: Pick<Machine, 'expiresAt' | 'deactivatedAt' | 'leaseExpiresAt'>,
  now: Date,
): ActivationStatus {
  const expiresAt = earliest(machine.expiresAt, license.expiresAt);
  const isExpired = expiresAt !== null && expiresAt <= now;
  const isActive = machine.deactivatedAt === null && !isExpired && !isLeaseLapsed(machine, now);
  return { expiresAt, isExpired, isActive };
}
