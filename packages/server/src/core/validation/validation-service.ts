import type { Actor } from '../access/actor.js';
import { assertScope, canAccessLicense, type Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { newEvent } from '../events/record-event.js';
import { licenseStatus } from '../licenses/license-status.js';
import type { LicenseView, LicenseWithStatus } from '../licenses/license-view.js';
import type { License, Machine, Policy } from '../model.js';
import type { BookkeepingQueue } from '../operations/bookkeeping-queue.js';
import type { Store } from '../ports.js';
import { evaluateLicense, type ValidationScope } from './evaluate-license.js';
import type { ValidationOutcome } from './validation-codes.js';

export interface Validation {
  outcome: ValidationOutcome;
  license: License | null;
  policy: Policy | null;
  machines: Machine[];
  /** The instant the outcome was decided at. */
  at: Date;
  /** The license with its status at that instant; null when no license was found. */
  state: LicenseWithStatus | null;
}

/** Answers "may this app run?" — the path every app start takes, so it only reads. */
export class ValidationService {
  constructor(private readonly deps: { store: Store; clock: Clock; bookkeeping: BookkeepingQueue }) {}

  /**
   * Validates the license a key names. Without a principal the key is its own credential: an unknown key gets
   * a NOT_FOUND answer (what the app shows its user), a known key must belong to a policy that allows keys as
   * credentials.
   */
  async validateKey(
    principal: Principal | null,
    actor: Actor,
    key: string,
    scope: ValidationScope,
  ): Promise<Validation> {
    // Without a credential the key itself is one, whose policy decides below.
    if (principal !== null) assertScope(principal, 'licenses:validate');
    const found = await this.deps.store.licenses.findWithSeats(key);
    // A key the caller may not see answers exactly as a key that does not exist: a token locked elsewhere,
    // or no credential at all when the license's policy wants a token.
    const isVisible =
      found !== null &&
      (principal ? canAccessLicense(principal, found.license) : found.policy?.allowLicenseAuth === true);
    if (!isVisible) return this.record(actor, null, null, [], scope, this.deps.clock.now());
    return this.decide(actor, found.license, found.policy, found.machines, scope);
  }

  async validateLicense(actor: Actor, license: License, scope: ValidationScope): Promise<Validation> {
    assertScope(actor.principal, 'licenses:validate');
    const { store } = this.deps;
    const [policy, machines] = await Promise.all([
      store.policies.findById(license.policyId),
      store.machines.listActive(license.id),
    ]);
    return this.decide(actor, license, policy, machines, scope);
  }

  /**
   * Decides once. A fingerprint without a seat may be one whose lease lapsed and was freed: only on that
   * answer is its latest machine read, to tell LEASE_EXPIRED from NO_MACHINE; a valid answer costs nothing more.
   */
  private async decide(
    actor: Actor,
    license: License,
    policy: Policy | null,
    machines: Machine[],
    scope: ValidationScope,
  ): Promise<Validation> {
    const now = this.deps.clock.now();
    let outcome = evaluateLicense({ license, policy, machines, scope, now });
    if (
      scope.fingerprint !== undefined &&
      (outcome.code === 'NO_MACHINE' || outcome.code === 'FINGERPRINT_MISMATCH')
    ) {
      const latestOfFingerprint = await this.deps.store.machines.findLatestByFingerprint(
        license.id,
        scope.fingerprint,
      );
      if (latestOfFingerprint)
        outcome = evaluateLicense({ license, policy, machines, scope, now, latestOfFingerprint });
    }
    return this.record(actor, license, policy, machines, scope, now, outcome);
  }

  /**
   * For a caller that already holds the license's view (license-view.ts) and names no fingerprint: decided at
   * the view's instant, so the verdict and the view the caller shows with it (Cryptolens GetKey) agree.
   */
  validateView(actor: Actor, view: LicenseView, scope: Omit<ValidationScope, 'fingerprint'>): Validation {
    assertScope(actor.principal, 'licenses:validate');
    const machines = [...view.seatHolders, ...view.lapsedLeases];
    return this.record(actor, view.license, view.policy, machines, scope, view.now);
  }

  /** Queues the outcome's event (off the response path) and gives the validation. */
  private record(
    actor: Actor,
    license: License | null,
    policy: Policy | null,
    machines: Machine[],
    scope: ValidationScope,
    at: Date,
    outcome = evaluateLicense({ license, policy, machines, scope, now: at }),
  ): Validation {
    const { bookkeeping } = this.deps;
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
    const state = license ? { license, status: licenseStatus(license, at) } : null;
    return { outcome, license, policy, machines, at, state };
  }
}
