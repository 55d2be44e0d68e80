import type { CalendarPeriod, PeriodUnit } from '../../../core/licenses/calendar-period.js';
import type { LicenseView } from '../../../core/licenses/license-view.js';
import type { License, Machine, Policy } from '../../../core/model.js';

export interface KeyDetail {
  key: {
    activateCount: number;
    activateLimit: number;
    unit: PeriodUnit | null;
    duration: number | null;
    expiredAt: string | null;
    isExpired: boolean;
    /** Not in AuthTool's documented answer: change-status's value (1 enabled, 0 disabled). */
    status: 0 | 1;
    /** Not in AuthTool's documented answer: the alias the key was created with. */
    alias: string | null;
  };
  devices: Array<{
    uid: string;
    expireAt: string | null;
    activeAt: string;
    isExpired: boolean;
    status: 0 | 1;
  }>;
}

const WHOLE_UNITS: Array<[PeriodUnit, number]> = [
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
];

/** Keys made outside AuthTool carry seconds, not a period; shown in the largest unit that divides them. */
function periodFromSeconds(seconds: number | null): CalendarPeriod | null {
  if (seconds === null || seconds <= 0) return null;
  const whole = WHOLE_UNITS.find(([, size]) => seconds % size === 0);
  return whole ? { count: seconds / whole[1], unit: whole[0] } : null;
}

/** The validity a key was sold with: per activation for multi-activate keys, from creation for single ones. */
function validityOf(license: License, policy: Policy): CalendarPeriod | null {
  return (
    license.activationPeriod ??
    license.termPeriod ??
    periodFromSeconds(policy.activationValiditySeconds ?? policy.durationSeconds)
  );
}

/** `GET key/{key}/detail`: the key and every device ever activated on it, newest state as core sees it. */
export function presentKeyDetail(view: LicenseView, machines: Machine[]): KeyDetail {
  const { license, policy } = view;
  const validity = validityOf(license, policy);
  return {
    key: {
      activateCount: license.activationCount,
      activateLimit: view.rules.maxMachines,
      unit: validity?.unit ?? null,
      duration: validity?.count ?? null,
      expiredAt: license.expiresAt?.toISOString() ?? null,
      isExpired: view.isExpired,
      status: view.isBlocked ? 0 : 1,
      alias: license.alias,
    },
    devices: machines.map((machine) => {
      const status = view.activationOf(machine);
      return {
        uid: machine.fingerprint,
        expireAt: status.expiresAt?.toISOString() ?? null,
        activeAt: machine.createdAt.toISOString(),
        isExpired: status.isExpired,
        status: status.isActive ? 1 : 0,
      };
    }),
  };
}
