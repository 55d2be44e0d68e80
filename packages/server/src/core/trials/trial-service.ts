import type { Actor } from '../access/actor.js';
import { assertScope } from '../access/principal.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import type { Clock } from '../clock.js';
import { DomainError, isDomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { LicenseService } from '../licenses/license-service.js';
import { isBlocked } from '../licenses/license-status.js';
import { decideActivation } from '../machines/decide-activation.js';
import { checkFingerprint, checkMachineName } from '../machines/machine-identity.js';
import type { License } from '../model.js';
import type { Store } from '../ports.js';

export const MAX_TRIAL_FINGERPRINT_LENGTH = 128;

/**
 * Per-machine trial keys (Cryptolens' CreateTrialKey): one per product and machine, time-limited, node-locked to
 * that machine from the start, made on the product's trial policy (its oldest policy if it has none).
 */
export class TrialService {
  constructor(
    private readonly deps: { store: Store; clock: Clock; catalog: CatalogService; licenses: LicenseService },
  ) {}

  /**
   * The machine's trial key: the one it already has while that is still a trial (time-limited, neither
   * suspended nor revoked), or a new one lasting `durationSeconds`. A machine whose trial was suspended,
   * revoked or turned into a perpetual license gets no second one.
   */
  async trialFor(
    actor: Actor,
    input: { productId: number; fingerprint: string; name?: string | null; durationSeconds: number },
  ): Promise<{ license: License; isNew: boolean }> {
    assertScope(actor.principal, 'licenses:write');
    const { fingerprint } = input;
    if (fingerprint === '' || fingerprint.length > MAX_TRIAL_FINGERPRINT_LENGTH) {
      throw new DomainError(
        'INVALID_INPUT',
        `a fingerprint has 1 to ${MAX_TRIAL_FINGERPRINT_LENGTH} characters`,
        {
          field: 'fingerprint',
        },
      );
    }
    checkFingerprint(fingerprint);
    checkMachineName(input.name);
    if (!(Number.isSafeInteger(input.durationSeconds) && input.durationSeconds > 0)) {
      throw new DomainError('INVALID_INPUT', 'a trial lasts a whole number of seconds above 0', {
        field: 'durationSeconds',
      });
    }
    const existing = await this.existingTrial(input.productId, fingerprint);
    if (existing) return { license: existing, isNew: false };
    const policy = await this.deps.catalog.defaultPolicy(input.productId, 'trial');
    const now = this.deps.clock.now();
    try {
      const [license] = await this.deps.licenses.createMany(
        actor,
        policy.id,
        [
          {
            expiresAt: new Date(now.getTime() + input.durationSeconds * 1000),
            termSeconds: input.durationSeconds,
            overrides: { maxMachines: 1 },
            trialFingerprint: fingerprint,
          },
        ],
        async (tx, [created], createdPolicy, at) => {
          const trial = created as License;
          // The trial is node-locked to the machine that asked for it: it takes the one seat at once.
          const decision = decideActivation({
            license: trial,
            policy: createdPolicy,
            machines: [],
            request: { fingerprint, name: input.name ?? null, lease: null },
            now: at,
          });
          if (decision.kind !== 'new') throw new Error('a fresh trial has no machines');
          const machine = await tx.machines.insert(decision.machine);
          const updated = await tx.licenses.update(trial.id, {
            ...decision.licenseChanges,
            activationCount: 1,
            updatedAt: at,
          });
          await tx.events.append(
            newEvent(
              'machine.activated',
              actor,
              at,
              { licenseId: trial.id, productId: createdPolicy.productId, machineId: machine.id },
              { isNew: true, fingerprint, isOverdraft: false, isTrial: true },
            ),
          );
          return [updated];
        },
      );
      return { license: license as License, isNew: true };
    } catch (error) {
      // Two first requests of one machine raced; the unique (product, fingerprint) index let one win, and
      // storage reports the loser's violation as CONFLICT.
      if (isDomainError(error) && error.code !== 'CONFLICT') throw error;
      const raced = await this.existingTrial(input.productId, fingerprint);
      if (raced) return { license: raced, isNew: false };
      throw error;
    }
  }

  private async existingTrial(productId: number, fingerprint: string): Promise<License | null> {
    const license = await this.deps.store.licenses.findTrial(productId, fingerprint);
    if (!license) return null;
    const now = this.deps.clock.now();
    const isStillTrial = !isBlocked(license, now) && license.expiresAt !== null;
    if (!isStillTrial) {
      throw new DomainError('CONFLICT', 'this machine has already used its trial', { field: 'fingerprint' });
    }
    return license;
  }
}
