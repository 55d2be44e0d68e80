import type { NewPolicy } from '../core/catalog/catalog-ports.js';
import type { NewLicense } from '../core/licenses/license-ports.js';
import type { NewMachine } from '../core/machines/decide-activation.js';
import type { Policy } from '../core/model.js';
import { aLicense, aMachine, aPolicy } from './domain-fixtures.js';

export { NO_OVERRIDES } from './domain-fixtures.js';

/** Rows for the storage suites, complete and valid, each changeable per test. */

/** Instants with milliseconds, so a round trip that drops or rounds them fails. */
export const T0 = new Date('2026-03-04T05:06:07.089Z');
export const at = (ms: number) => new Date(T0.getTime() + ms);

let counter = 0;
/** A number no other call in this process got: for ids and names that must not collide. */
export const nextNumber = () => ++counter;
export const unique = (prefix: string) =>
  `${prefix}-${nextNumber()}-${Math.random().toString(36).slice(2, 8)}`;

/** The domain fixtures without their ids, stamped T0: what a storage suite inserts. */
export function policyInput(productId: number, changes: Partial<NewPolicy> = {}): NewPolicy {
  const { id: _id, ...policy } = aPolicy({
    productId,
    name: 'Standard',
    maxMachines: 3,
    leaseSeconds: 900,
    allowLicenseAuth: false,
    createdAt: T0,
  });
  return { ...policy, ...changes };
}

export function licenseInput(policy: Policy, changes: Partial<NewLicense> = {}): NewLicense {
  const { id: _id, ...license } = aLicense({
    key: unique('KEY'),
    policyId: policy.id,
    productIds: [policy.productId],
    createdAt: T0,
    updatedAt: T0,
  });
  return { ...license, ...changes };
}

export function machineInput(
  licenseId: number,
  fingerprint: string,
  changes: Partial<NewMachine> = {},
): NewMachine {
  const { id: _id, ...machine } = aMachine({ licenseId, fingerprint, createdAt: T0, lastSeenAt: T0 });
  return { ...machine, ...changes };
}

/** Either database's unique violation reaches the domain as a CONFLICT (storage/unique-violations.ts). */
export const UNIQUE_VIOLATION = { name: 'DomainError', code: 'CONFLICT' };
