import type {
  Customer,
  DataObject,
  FeatureValue,
  License,
  Machine,
  Policy,
  Reseller,
} from '../../../core/model.js';
import { effectiveRules, isFloatingMachine } from '../../../core/model.js';
import { isHidden } from './fields-to-return.js';

/** Prefixes of floating seats' machine codes. Clients compare `Mid.substring(9)` and, with overdraft, 19. */
export const FLOATING_PREFIX = 'floating:';
export const OVERDRAFT_PREFIX = 'floating:overdraft:';

/** Expiry shown for perpetual licenses: far off, yet inside what every SDK's date type can hold. */
export const PERPETUAL_EXPIRES = new Date(Date.UTC(9999, 0, 1));

const DAY_MS = 86_400_000;

/** Everything the license object is made of, read once per request. */
export interface LicenseFacts {
  license: License;
  policy: Policy;
  /** Machines holding a seat now, node-locked first. */
  machines: Machine[];
  customer: Customer | null;
  dataObjects: DataObject[];
  reseller: Reseller | null;
}

export interface ViewOptions {
  /** The product the caller named; echoed, since the C++ SDK checks it. */
  productId: number;
  modelVersion: 1 | 2 | 3;
  fieldsToReturn: number;
  /** The machine of this activation, if it holds a seat. */
  currentMachine: Machine | null;
  signDate: Date;
}

export interface Activation {
  mid: string;
  ip: string;
  time: Date;
  friendlyName: string | null;
  floatingExpires: Date | null;
}

/** The vendor's LicenseKey, independent of how it is serialized and signed. */
export interface CryptolensLicense {
  modelVersion: 1 | 2 | 3;
  productId: number;
  id: number;
  key: string | null;
  created: Date;
  expires: Date;
  period: number;
  features: boolean[];
  notes: string | null;
  block: boolean;
  globalId: number;
  customer: { id: number; name: string; email: string; companyName: string; created: Date } | null;
  activatedMachines: Activation[];
  trialActivation: boolean;
  maxNoOfMachines: number;
  allowedMachines: string | null;
  dataObjects: Array<{ id: number; name: string; stringValue: string; intValue: number }>;
  reseller: {
    id: number;
    inviteId: number;
    resellerUserId: number;
    created: Date;
    name: string;
    url: string;
    email: string;
    phone: string;
    description: string;
  } | null;
  signDate: Date;
}

export const midOf = (machine: Machine): string =>
  !isFloatingMachine(machine)
    ? machine.fingerprint
    : `${machine.isOverdraft ? OVERDRAFT_PREFIX : FLOATING_PREFIX}${machine.fingerprint}`;

/** Period in days: the license's term when it has one, else the span from creation to expiry. */
export function periodDays(license: License): number {
  if (license.termSeconds != null) return Math.round(license.termSeconds / 86_400);
  if (!license.expiresAt) return 0;
  return Math.max(0, Math.round((license.expiresAt.getTime() - license.createdAt.getTime()) / DAY_MS));
}

const isTruthy = (value: FeatureValue | null | undefined) =>
  value !== undefined && value !== null && value !== false && value !== 0 && value !== '';

/** F1…F8 are the license's features named f1…f8 (any case), falling back to the policy's defaults. */
export function flagsOf(license: License, policy: Policy): boolean[] {
  return Array.from({ length: 8 }, (_, index) => {
    const name = `f${index + 1}`;
    const field = policy.featureFields.find((f) => f.name.toLowerCase() === name);
    if (!field) return false;
    return isTruthy(license.features[field.name] ?? field.defaultValue);
  });
}

/**
 * Which activations the model version shows: version 3 lists every seat; older ones list node-locked seats,
 * or — for a floating activation — only that floating seat (the old .NET check wanted exactly one).
 */
function shownMachines(facts: LicenseFacts, options: ViewOptions): Machine[] {
  const current = options.currentMachine;
  if (isHidden(options.fieldsToReturn, 'activatedMachines')) return current ? [current] : [];
  if (options.modelVersion >= 3) return facts.machines;
  if (current && isFloatingMachine(current)) return [current];
  return facts.machines.filter((m) => !isFloatingMachine(m));
}

export function toCryptolensLicense(facts: LicenseFacts, options: ViewOptions): CryptolensLicense {
  const { license, policy } = facts;
  const mask = options.fieldsToReturn;
  const hide = <T>(field: Parameters<typeof isHidden>[1], value: T, hidden: T): T =>
    isHidden(mask, field) ? hidden : value;
  const { customer, reseller } = facts;
  return {
    modelVersion: options.modelVersion,
    productId: options.productId,
    id: hide('id', license.id, 0),
    key: hide('key', license.key, null),
    created: license.createdAt,
    expires: license.expiresAt ?? PERPETUAL_EXPIRES,
    period: periodDays(license),
    features: flagsOf(license, policy),
    notes: hide('notes', license.notes, null),
    block: license.isSuspended || (license.revokedAt !== null && license.revokedAt <= options.signDate),
    globalId: hide('globalId', license.id, 0),
    customer: hide(
      'customer',
      customer && {
        id: customer.id,
        name: customer.name,
        email: customer.email ?? '',
        companyName: customer.company ?? '',
        created: customer.createdAt,
      },
      null,
    ),
    activatedMachines: shownMachines(facts, options).map((m) => ({
      mid: midOf(m),
      ip: m.ip ?? '',
      time: m.createdAt,
      friendlyName: m.name,
      floatingExpires: m.leaseExpiresAt,
    })),
    trialActivation: license.hasTrialActivation ?? false,
    maxNoOfMachines: hide('maxNoOfMachines', effectiveRules(license, policy).maxMachines, 0),
    allowedMachines: hide('allowedMachines', license.allowedMachines.join('\n'), null),
    dataObjects: hide(
      'dataObjects',
      facts.dataObjects.map((d) => ({
        id: d.id,
        name: d.name,
        stringValue: d.stringValue,
        intValue: d.intValue,
      })),
      [],
    ),
    reseller: hide(
      'reseller',
      reseller && {
        id: reseller.id,
        inviteId: 0,
        resellerUserId: 0,
        created: reseller.createdAt,
        name: reseller.name,
        url: reseller.url ?? '',
        email: reseller.email ?? '',
        phone: reseller.phone ?? '',
        description: reseller.description ?? '',
      },
      null,
    ),
    signDate: options.signDate,
  };
}
