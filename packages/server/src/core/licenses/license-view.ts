import { type ActivationStatus, activationStatus } from '../machines/activation-status.js';
import type { License, LicenseRules, Machine, Policy } from '../model.js';
import { effectiveRules, holdsSeat, isFloatingMachine, isLeaseLapsed } from '../model.js';
import { type TrialState, termDays, trialStateOf } from '../trials/trial-term.js';
import {
  daysLeft,
  isBlocked,
  isExpired,
  isRevoked,
  type LicenseStatus,
  licenseStatus,
} from './license-status.js';

/**
 * The license read model: everything derived from a license, its policy and its machines at one instant.
 * Every surface renders from it (native API, Cryptolens, LimeLM, AuthTool, webhooks, the dashboard) instead of
 * deriving state itself, so the same license shows the same state everywhere; it is also the one thing a cache
 * of licenses holds.
 */
export interface LicenseView {
  license: License;
  policy: Policy;
  /** The instant the view was taken at. */
  now: Date;
  /** One status, in precedence: revoked, suspended, expired, active (license-status.ts). */
  status: LicenseStatus;
  isRevoked: boolean;
  /** A revocation dated after `now`: the license works until then, and nothing can lift it. */
  revokesAt: Date | null;
  isSuspended: boolean;
  /** Revoked or suspended: apps must stop (Cryptolens Block, LimeLM revoked, AuthTool status 0). */
  isBlocked: boolean;
  isExpired: boolean;
  /** Whole days until expiry, 0 once expired; null when perpetual. */
  daysLeft: number | null;
  /** The license's overrides over its policy's rules. */
  rules: LicenseRules;
  trial: TrialState;
  /** One term in whole days (Cryptolens' Period): the license's own term, else creation to expiry. */
  termDays: number;
  /** Machines holding a seat now: node-locked ones first, then floating ones, each in activation order. */
  seatHolders: Machine[];
  nodeLockedSeats: number;
  floatingSeats: number;
  /** Machines still registered whose floating lease ran out: their seats are free, not yet swept. */
  lapsedLeases: Machine[];
  /** Each registered machine's own state (its validity and the license's expiry). */
  activationOf(machine: Machine): ActivationStatus;
}

/** The fields of the view that depend on machines. */
type SeatFields = 'seatHolders' | 'nodeLockedSeats' | 'floatingSeats' | 'lapsedLeases' | 'activationOf';

/**
 * The view without its seats: what a license's state is from the license and its policy alone. A list that
 * filters many licenses by their state (Cryptolens GetKeys' SearchQuery) takes this instead of reading every
 * license's machines; a LicenseView is one too, with the same values.
 */
export type LicenseState = Omit<LicenseView, SeatFields>;

/**
 * A license with its status at one instant: what needs neither its policy nor its machines, which is what
 * changes and long lists answer with.
 */
export type LicenseWithStatus = Pick<LicenseView, 'license' | 'status'>;

export interface LicenseViewInput {
  license: License;
  policy: Policy;
  /** The license's registered machines (deactivated ones are ignored). */
  machines: readonly Machine[];
  now: Date;
}

export function licenseState({ license, policy, now }: Omit<LicenseViewInput, 'machines'>): LicenseState {
  return {
    license,
    policy,
    now,
    status: licenseStatus(license, now),
    isRevoked: isRevoked(license, now),
    revokesAt: license.revokedAt && license.revokedAt > now ? license.revokedAt : null,
    isSuspended: license.isSuspended,
    isBlocked: isBlocked(license, now),
    isExpired: isExpired(license, now),
    daysLeft: daysLeft(license, now),
    rules: effectiveRules(license, policy),
    trial: trialStateOf(license, policy),
    termDays: termDays(license),
  };
}

export function licenseView({ license, policy, machines, now }: LicenseViewInput): LicenseView {
  const registered = machines.filter((m) => m.deactivatedAt === null);
  const live = registered.filter((m) => holdsSeat(m, now));
  const byId = (a: Machine, b: Machine) => a.id - b.id;
  const nodeLocked = live.filter((m) => !isFloatingMachine(m)).sort(byId);
  const floating = live.filter(isFloatingMachine).sort(byId);
  const state = licenseState({ license, policy, now });
  // Field by field: V8 builds an object literal that starts with a spread slowly (~6 µs here, against ~0.5),
  // and this runs on every validation.
  return {
    license,
    policy,
    now,
    status: state.status,
    isRevoked: state.isRevoked,
    revokesAt: state.revokesAt,
    isSuspended: state.isSuspended,
    isBlocked: state.isBlocked,
    isExpired: state.isExpired,
    daysLeft: state.daysLeft,
    rules: state.rules,
    trial: state.trial,
    termDays: state.termDays,
    seatHolders: nodeLocked.concat(floating),
    nodeLockedSeats: nodeLocked.length,
    floatingSeats: floating.length,
    lapsedLeases: registered.filter((m) => isLeaseLapsed(m, now)),
    activationOf: (machine) => activationStatus(license, machine, now),
  };
}
