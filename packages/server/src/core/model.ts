/** Domain types shared by every surface. Dates are `Date`; ids are integers assigned by storage. */

import type { CalendarPeriod } from './licenses/calendar-period.js';

export const FEATURE_TYPES = ['string', 'integer', 'boolean', 'date'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];
/** A feature value as stored: dates are ISO-8601 strings. */
export type FeatureValue = string | number | boolean;

export interface FeatureField {
  name: string;
  type: FeatureType;
  isRequired: boolean;
  defaultValue: FeatureValue | null;
}

export const EXPIRATION_BASES = ['CREATION', 'FIRST_ACTIVATION'] as const;
export type ExpirationBasis = (typeof EXPIRATION_BASES)[number];

/** Operating systems a named user may be restricted to (LimeLM's numbering, 0 = any). */
export const PLATFORMS = ['any', 'windows', 'macos', 'linux', 'bsd'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface Product {
  id: number;
  name: string;
  code: string | null;
  createdAt: Date;
}

/** The settings a license inherits from its policy unless it overrides them. */
export interface LicenseRules {
  /** 0 = unlimited. */
  maxMachines: number;
  /** -1 = unlimited. */
  maxDeactivations: number;
  isFloating: boolean;
  leaseSeconds: number;
  maxOverdraft: number;
  allowVm: boolean;
}

export interface Policy extends LicenseRules {
  id: number;
  productId: number;
  name: string;
  /** Key lifetime; null = perpetual. */
  durationSeconds: number | null;
  expirationBasis: ExpirationBasis;
  /** Each activation is valid this long from its first activation; null = as long as the license. */
  activationValiditySeconds: number | null;
  isTrial: boolean;
  /** Apps may use the license key itself as credential for validate/activate/heartbeat/deactivate. */
  allowLicenseAuth: boolean;
  /** Pattern of generated keys: `X` is a random character, anything else is kept. */
  keyFormat: string;
  featureFields: FeatureField[];
  createdAt: Date;
}

export interface NamedUser {
  username: string;
  platform: Platform;
}

export interface License {
  id: number;
  key: string;
  policyId: number;
  /** Every product the key unlocks; the policy's product is first. */
  productIds: number[];
  customerId: number | null;
  email: string | null;
  notes: string | null;
  alias: string | null;
  expiresAt: Date | null;
  firstActivatedAt: Date | null;
  isSuspended: boolean;
  revokedAt: Date | null;
  /** Overrides of the policy's rules; null inherits. */
  overrides: { [K in keyof LicenseRules]: LicenseRules[K] | null };
  isCleanable: boolean;
  activationCount: number;
  deactivationCount: number;
  resetCount: number;
  features: Record<string, FeatureValue>;
  tags: string[];
  /** Fingerprints that may activate even when every seat is taken. */
  allowedMachines: string[];
  namedUsers: NamedUser[];
  createdAt: Date;
  updatedAt: Date;
  lastValidatedAt: Date | null;
  /** The length of one term of the license (Cryptolens' Period); absent when never set. */
  termSeconds?: number | null;
  /** Each activation of a new machine restarts the term: expiry = now + termSeconds (trial activation). */
  hasTrialActivation?: boolean;
  /** The machine a per-machine trial key was issued to: one trial per product and machine. */
  trialFingerprint?: string | null;
  resellerId?: number | null;
  /**
   * Each machine's activation is valid this calendar period from that machine's first activation (a month is
   * a calendar month); wins over the policy's activationValiditySeconds. Absent when never set.
   */
  activationPeriod?: CalendarPeriod | null;
  /** The lifetime the key was issued with, counted from its creation; `expiresAt` was set from it. */
  termPeriod?: CalendarPeriod | null;
}

export interface Machine {
  id: number;
  licenseId: number;
  fingerprint: string;
  name: string | null;
  ip: string | null;
  platform: string | null;
  isVm: boolean;
  username: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  /** Floating leases only: the seat is free again after this instant unless refreshed. */
  leaseExpiresAt: Date | null;
  isOverdraft: boolean;
  /** Per-activation validity; null = as long as the license. */
  expiresAt: Date | null;
  deactivatedAt: Date | null;
}

export interface Customer {
  id: number;
  name: string;
  email: string | null;
  company: string | null;
  createdAt: Date;
  /** Absent when empty. */
  notes?: string | null;
}

export const DATA_OBJECT_OWNERS = ['license', 'machine', 'product'] as const;
export type DataObjectOwner = (typeof DATA_OBJECT_OWNERS)[number];

export interface DataObject {
  id: number;
  ownerType: DataObjectOwner;
  ownerId: number;
  name: string;
  intValue: number;
  stringValue: string;
}

export interface DomainEvent {
  id: number;
  type: string;
  licenseId: number | null;
  productId: number | null;
  machineId: number | null;
  tokenId: number | null;
  code: string | null;
  ip: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** Who sells a vendor's licenses on its behalf; licenses may name one. */
export interface Reseller {
  id: number;
  name: string;
  url: string | null;
  email: string | null;
  phone: string | null;
  description: string | null;
  createdAt: Date;
}

/** A recipe for licenses: a policy plus the license settings every license made from it gets. */
export interface LicenseTemplate {
  id: number;
  name: string;
  policyId: number;
  /** Lifetime of the licenses made from it; null gives what the policy gives. */
  durationSeconds: number | null;
  /** Seat limit override; null inherits the policy's. */
  maxMachines: number | null;
  features: Record<string, FeatureValue>;
  notes: string | null;
  allowedMachines: string[];
  hasTrialActivation: boolean;
  createdAt: Date;
}

/** A note a vendor broadcasts to its apps, e.g. "version 2 is out", read by channel. */
export interface Message {
  id: number;
  channel: string;
  content: string;
  createdAt: Date;
}

/** Floating seats hold a lease; node-locked seats do not. The two pools are counted separately. */
export function isFloatingMachine(machine: Pick<Machine, 'leaseExpiresAt'>): boolean {
  return machine.leaseExpiresAt !== null;
}

/** A license's effective rules: its overrides over its policy's values. */
export function effectiveRules(license: License, policy: Policy): LicenseRules {
  const o = license.overrides;
  return {
    maxMachines: o.maxMachines ?? policy.maxMachines,
    maxDeactivations: o.maxDeactivations ?? policy.maxDeactivations,
    isFloating: o.isFloating ?? policy.isFloating,
    leaseSeconds: o.leaseSeconds ?? policy.leaseSeconds,
    maxOverdraft: o.maxOverdraft ?? policy.maxOverdraft,
    allowVm: o.allowVm ?? policy.allowVm,
  };
}

/** A floating lease ran out: its seat is free, whether or not a sweep or an activation has freed it yet. */
export function isLeaseLapsed(machine: Pick<Machine, 'leaseExpiresAt'>, now: Date): boolean {
  return machine.leaseExpiresAt !== null && machine.leaseExpiresAt <= now;
}

/**
 * A machine freed because its lease lapsed. Freeing records the deactivation at the instant the lease ran
 * out (see release-lapsed-leases.ts); any other deactivation records the instant it happened, which is the
 * lease's end only by a coincidence to the millisecond.
 */
export function wasFreedByLapse(machine: Pick<Machine, 'leaseExpiresAt' | 'deactivatedAt'>): boolean {
  return (
    machine.leaseExpiresAt !== null &&
    machine.deactivatedAt !== null &&
    machine.deactivatedAt.getTime() === machine.leaseExpiresAt.getTime()
  );
}

/**
 * A machine holds a seat while it is not deactivated and its lease (if any) runs. A machine whose own
 * validity (`expiresAt`) ran out keeps its seat: it was granted to that device, which now validates as
 * EXPIRED, and a new device must not take it over (a multiple-activate key counts devices, not time).
 */
export function holdsSeat(machine: Machine, now: Date): boolean {
  if (machine.deactivatedAt) return false;
  return !isLeaseLapsed(machine, now);
}
