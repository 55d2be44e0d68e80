import type { License } from '../model.js';

/**
 * What an optimistic activation (optimistic-activation.ts) requires to be unchanged on the license row when it
 * writes, having decided on a read taken without a lock. Every write that can change that decision changes
 * one of these in its own transaction:
 * - activationCount: each activation that takes a seat counts one, so a seat taken meanwhile shows;
 * - resetCount: a reset frees every seat and puts activationCount back to 0, from where it may climb back to
 *   the value read;
 * - updatedAt: every change of the license stamps it, and so does every way of taking a seat that counts no
 *   activation (a heartbeat reviving a lapsed lease, an import). Those writers stamp `changedAt`, never a
 *   time the row already holds, so the stamp differs even within one millisecond.
 * Writes that only free seats (deactivation, lapsed leases) need not touch it: the decision saw more seats
 * taken, never fewer. Policy edits are not in it either: a policy edit takes no seat, and one committed between
 * the read and the write stands as if it came just after the activation (a lowered limit does not take seats
 * back from the machines that hold them either).
 */
export type LicenseVersion = Pick<License, 'activationCount' | 'resetCount' | 'updatedAt'>;

export const versionOf = (license: License): LicenseVersion => ({
  activationCount: license.activationCount,
  resetCount: license.resetCount,
  updatedAt: license.updatedAt,
});

/**
 * The updatedAt a change of a license read under its lock stamps: now, or a millisecond after the stamp the
 * license holds when that is not before now (a change in the same millisecond, or by a server whose clock runs
 * ahead), so that an activation which read the license before this change sees it changed (LicenseVersion).
 */
export function changedAt(license: Pick<License, 'updatedAt'>, now: Date): Date {
  const last = license.updatedAt.getTime();
  return last < now.getTime() ? now : new Date(last + 1);
}
