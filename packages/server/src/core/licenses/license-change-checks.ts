import type { Actor } from '../access/actor.js';
import { grantSeats } from '../access/token-limits.js';
import { DomainError } from '../domain-error.js';
import type { License, Policy } from '../model.js';
import { effectiveRules, holdsSeat } from '../model.js';
import type { Repositories } from '../ports.js';

/**
 * Stricter rules a caller may ask for when changing a license. The native API leaves them off (a license
 * over its seat limit reports TOO_MANY_MACHINES); LimeLM's contract has them on.
 */
export interface LicenseChangeGuards {
  /** Refuse a seat limit below the seats in use (LimeLM 120). */
  keepSeatsForActiveMachines?: boolean;
  /** Refuse switching between floating and node-locked while machines are active (LimeLM 153). */
  keepKindWhileActive?: boolean;
}

export const LICENSE_CHANGE_REFUSALS = {
  seatsBelowUsed: 'SEATS_BELOW_USED',
  kindChangeWithMachines: 'KIND_CHANGE_WITH_MACHINES',
} as const;

/**
 * Checks a license change inside its transaction, with the license locked: seats a token grants count
 * against its allowance, and the caller's guards hold against the machines active right now.
 */
export async function checkLicenseChange(input: {
  tx: Repositories;
  actor: Actor;
  license: License;
  before: Policy;
  after: Policy;
  changes: Partial<License>;
  guards: LicenseChangeGuards;
  now: Date;
}): Promise<void> {
  const { tx, actor, license, before, after, changes, guards, now } = input;
  const overrides = changes.overrides ?? license.overrides;
  const seatsBefore = effectiveRules(license, before).maxMachines;
  const seatsAfter = effectiveRules({ ...license, overrides }, after).maxMachines;
  if (seatsBefore !== 0 && (seatsAfter === 0 || seatsAfter > seatsBefore)) {
    await grantSeats(tx, actor.tokenId, [seatsAfter === 0 ? 0 : seatsAfter - seatsBefore]);
  }
  if (!guards.keepSeatsForActiveMachines && !guards.keepKindWhileActive) return;
  const active = (await tx.machines.listActive(license.id)).filter((m) => holdsSeat(m, now));
  if (guards.keepSeatsForActiveMachines && seatsAfter !== 0 && seatsAfter < active.length) {
    throw new DomainError(
      'CONFLICT',
      `the license has ${active.length} active machines; its seat limit cannot go below that`,
      { reason: LICENSE_CHANGE_REFUSALS.seatsBelowUsed, used: active.length },
    );
  }
  const floatingBefore = license.overrides.isFloating ?? before.isFloating;
  const floatingAfter = overrides.isFloating ?? after.isFloating;
  if (guards.keepKindWhileActive && floatingBefore !== floatingAfter && active.length > 0) {
    throw new DomainError(
      'CONFLICT',
      'the license has active machines; deactivate them before switching between floating and node-locked',
      { reason: LICENSE_CHANGE_REFUSALS.kindChangeWithMachines, used: active.length },
    );
  }
}
