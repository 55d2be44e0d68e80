import type { LicenseRelations } from '../../../core/licenses/license-service.js';
import type { LicenseState, LicenseView } from '../../../core/licenses/license-view.js';
import type { FeatureValue, Machine } from '../../../core/model.js';
import { isFloatingMachine } from '../../../core/model.js';
import { isHidden } from './fields-to-return.js';

/** Prefixes of floating seats' machine codes. Clients compare `Mid.substring(9)` and, with overdraft, 19. */
export const FLOATING_PREFIX = 'floating:';
export const OVERDRAFT_PREFIX = 'floating:overdraft:';

/** Expiry shown for perpetual licenses: far off, yet inside what every SDK's date type can hold. */
export const PERPETUAL_EXPIRES = new Date(Date.UTC(9999, 0, 1));

/** How the caller asked for the license object; the object is signed at the view's instant. */
export interface LicenseObjectOptions {
  /** The product the caller named; echoed, since the C++ SDK checks it. */
  productId: number;
  modelVersion: 1 | 2 | 3;
  fieldsToReturn: number;
  /** The machine of this activation, if it holds a seat. */
  currentMachine: Machine | null;
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

const isTruthy = (value: FeatureValue | null | undefined) =>
  value !== undefined && value !== null && value !== false && value !== 0 && value !== '';

/** F1…F8 are the license's features named f1…f8 (any case), falling back to the policy's defaults. */
export function flagsOf({ license, policy }: LicenseState): boolean[] {
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
function shownMachines(view: LicenseView, options: LicenseObjectOptions): Machine[] {
  const current = options.currentMachine;
  if (isHidden(options.fieldsToReturn, 'activatedMachines')) return current ? [current] : [];
  if (options.modelVersion >= 3) return view.seatHolders;
  if (current && isFloatingMachine(current)) return [current];
  return view.seatHolders.filter((m) => !isFloatingMachine(m));
}

/** The vendor's license object of a license's view: every state in it is the view's, none derived here. */
export function toCryptolensLicense(
  view: LicenseView,
  relations: LicenseRelations,
  options: LicenseObjectOptions,
): CryptolensLicense {
  const { license } = view;
  const mask = options.fieldsToReturn;
  const hide = <T>(field: Parameters<typeof isHidden>[1], value: T, hidden: T): T =>
    isHidden(mask, field) ? hidden : value;
  const { customer, reseller } = relations;
  return {
    modelVersion: options.modelVersion,
    productId: options.productId,
    id: hide('id', license.id, 0),
    key: hide('key', license.key, null),
    created: license.createdAt,
    expires: license.expiresAt ?? PERPETUAL_EXPIRES,
    period: view.termDays,
    features: flagsOf(view),
    notes: hide('notes', license.notes, null),
    block: view.isBlocked,
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
    activatedMachines: shownMachines(view, options).map((m) => ({
      mid: midOf(m),
      ip: m.ip ?? '',
      time: m.createdAt,
      friendlyName: m.name,
      floatingExpires: m.leaseExpiresAt,
    })),
    trialActivation: view.trial.restartsOnActivation,
    maxNoOfMachines: hide('maxNoOfMachines', view.rules.maxMachines, 0),
    allowedMachines: hide('allowedMachines', license.allowedMachines.join('\n'), null),
    dataObjects: hide(
      'dataObjects',
      relations.dataObjects.map((d) => ({
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
    signDate: view.now,
  };
}
