import type { Actor } from '../actor.js';
import type { BookkeepingQueue } from '../bookkeeping-queue.js';
import type { Clock } from '../clock.js';
import { evaluateLicense, type ValidationScope } from '../evaluate-license.js';
import type { License, Machine, Policy } from '../model.js';
import type { Store } from '../ports.js';
import { newEvent } from '../record-event.js';
import type { ValidationOutcome } from '../validation-codes.js';

export interface Validation {
  outcome: ValidationOutcome;
  license: License | null;
  policy: Policy | null;
  machines: Machine[];
  /** The instant the outcome was decided at. */
  at: Date;
}

/** Answers "may this app run?" — the path every app start takes, so it only reads. */
export class ValidationService {
  constructor(private readonly deps: { store: Store; clock: Clock; bookkeeping: BookkeepingQueue }) {}

  async validateKey(actor: Actor, key: string, scope: ValidationScope): Promise<Validation> {
    return this.evaluate(actor, await this.deps.store.licenses.findByKey(key), scope);
  }

  async validateLicense(actor: Actor, license: License, scope: ValidationScope): Promise<Validation> {
    return this.evaluate(actor, license, scope);
  }

  private async evaluate(actor: Actor, license: License | null, scope: ValidationScope): Promise<Validation> {
    const { store, clock, bookkeeping } = this.deps;
    const [policy, machines] = license
      ? await Promise.all([store.policies.findById(license.policyId), store.machines.listActive(license.id)])
      : [null, []];
    const at = clock.now();
    const outcome = evaluateLicense({ license, policy, machines, scope, now: at });
    if (license) {
      const machine = scope.fingerprint
        ? machines.find((m) => m.fingerprint === scope.fingerprint)
        : undefined;
      bookkeeping.record(
        newEvent(
          outcome.valid ? 'license.validated' : 'license.validation_failed',
          actor,
          at,
          {
            licenseId: license.id,
            productId: policy?.productId ?? null,
            machineId: machine?.id ?? null,
            code: outcome.code,
          },
          { valid: outcome.valid },
        ),
        { touchLicense: true },
      );
    }
    return { outcome, license, policy, machines, at };
  }
}
