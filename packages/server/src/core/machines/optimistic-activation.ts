import type { Actor } from '../access/actor.js';
import { isDomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { LicenseWithSeats } from '../licenses/license-ports.js';
import { isLeaseLapsed } from '../model.js';
import { type ActivationDecision, type ActivationRequest, decideActivation } from './decide-activation.js';
import { versionOf } from './license-version.js';
import type { GuardedActivation } from './machine-ports.js';

/**
 * The most common activation, a new machine taking a free seat, decided on a read of the license taken without
 * its lock: the guarded write that records it (machines.activateIfUnchanged), or null when the locked path
 * (MachineService.activateSeat) must decide instead. That path decides anew under the lock, so whatever this
 * leaves to it behaves exactly as before, and so does an activation whose write finds the license changed.
 *
 * Left to the locked path:
 * - no license, or none with a policy: the locked path gives the answer;
 * - a refusal: decided again under the lock, which also records the refused activation;
 * - floating leases that lapsed: they are freed first, each with its event;
 * - trial activation: it reads the product's setting and restarts the term;
 * - a fingerprint that holds its seat already, a lapsed row revived, an activation not recorded;
 * - the license's first activation, which stamps firstActivatedAt (and an expiry counted from it): a write of
 *   the license's own fields stays where the license is locked; it happens once per license.
 * What is left is the same decision with nothing else to write, so the guarded write gives the same answer
 * and records the same event as the locked path would.
 */
export function optimisticActivation(input: {
  found: LicenseWithSeats | null;
  request: ActivationRequest;
  actor: Actor;
  now: Date;
}): GuardedActivation | null {
  const { found, request, actor, now } = input;
  if (!found?.policy) return null;
  const { license, policy, machines } = found;
  if (license.hasTrialActivation || machines.some((machine) => isLeaseLapsed(machine, now))) return null;
  let decision: ActivationDecision;
  try {
    decision = decideActivation({ license, policy, machines, request, now });
  } catch (error) {
    if (isDomainError(error)) return null;
    throw error;
  }
  if (decision.kind !== 'new' || decision.revive || Object.keys(decision.licenseChanges).length > 0) {
    return null;
  }
  const { machine } = decision;
  const { machineId: _notYetKnown, ...event } = newEvent(
    'machine.activated',
    actor,
    now,
    { licenseId: license.id, productId: policy.productId },
    { isNew: true, fingerprint: machine.fingerprint, isOverdraft: machine.isOverdraft },
  );
  return { licenseId: license.id, expected: versionOf(license), machine, at: now, event };
}
