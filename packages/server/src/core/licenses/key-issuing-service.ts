import type { Actor } from '../access/actor.js';
import { assertMayIssueLicenses, assertScope } from '../access/principal.js';
import { POLICY_DEFAULTS, type PolicyInput } from '../catalog/catalog-service.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { License, Policy } from '../model.js';
import type { Store } from '../ports.js';
import type { CalendarPeriod } from './calendar-period.js';
import type { LicenseInput, LicenseService } from './license-service.js';

/**
 * The two kinds of keys sold without choosing a policy (AuthTool's single- and multiple-activate keys):
 * - single-activation: one machine; the key is valid `validity` from its creation;
 * - multi-activation: up to `maxMachines` machines, each valid `validity` from its own first activation,
 *   none beyond the key's `expiresAt`.
 * Neither kind lets a machine give its seat back: seats come back only when the whole key is reset.
 */
export type KeyKind = 'single-activation' | 'multi-activation';

export interface KeyBatchInput {
  kind: KeyKind;
  /** Every product the keys unlock; the first one's policy for this kind is used (and made on first use). */
  productIds: number[];
  count: number;
  validity: CalendarPeriod;
  /** Multi-activation only. */
  maxMachines?: number;
  /** Multi-activation only: the last instant any activation of the key works. */
  expiresAt?: Date;
  alias: string | null;
  isCleanable: boolean;
}

/** The policy each product keeps per kind, made from these settings on first use and editable afterwards. */
export const KIND_POLICIES: Record<KeyKind, PolicyInput & { name: string }> = {
  'single-activation': {
    name: 'Single-activation keys',
    maxMachines: 1,
    maxDeactivations: 0,
    keyFormat: 'XXXX-XXXX-XXXX-XXXX',
  },
  'multi-activation': {
    name: 'Multi-activation keys',
    maxMachines: 2,
    maxDeactivations: 0,
    keyFormat: 'XXXX-XXXX-XXXX-XXXX',
  },
};

/** Thrown inside the transaction that lost the race to record a product's policy, to roll its insert back. */
class ClaimLost extends Error {}

/** Issues batches of keys of a kind, each key tied to one or more products. */
export class KeyIssuingService {
  constructor(private readonly deps: { store: Store; clock: Clock; licenses: LicenseService }) {}

  async issue(actor: Actor, input: KeyBatchInput): Promise<License[]> {
    assertScope(actor.principal, 'licenses:write');
    // Every product, before any of their policies is made: a refused batch leaves no trace.
    assertMayIssueLicenses(actor.principal, input.productIds);
    const [productId, ...extraProductIds] = input.productIds;
    if (productId === undefined) {
      throw new DomainError('INVALID_INPUT', 'name at least one product', { field: 'productIds' });
    }
    const base: LicenseInput = { extraProductIds, alias: input.alias, isCleanable: input.isCleanable };
    let license: LicenseInput;
    if (input.kind === 'single-activation') {
      license = { ...base, termPeriod: input.validity, overrides: { maxMachines: 1 } };
    } else {
      const { maxMachines, expiresAt } = input;
      if (maxMachines === undefined || !Number.isSafeInteger(maxMachines) || maxMachines < 1) {
        throw new DomainError('INVALID_INPUT', 'a multi-activation key needs maxMachines of 1 or more', {
          field: 'maxMachines',
        });
      }
      if (!expiresAt || expiresAt <= this.deps.clock.now()) {
        throw new DomainError('INVALID_INPUT', 'a multi-activation key needs an expiry in the future', {
          field: 'expiresAt',
        });
      }
      license = { ...base, activationPeriod: input.validity, expiresAt, overrides: { maxMachines } };
    }
    const policy = await this.policyFor(actor, productId, input.kind);
    return this.deps.licenses.createMany(
      actor,
      policy.id,
      Array.from({ length: input.count }, () => license),
    );
  }

  /**
   * The product's policy for the kind, made on first use. Two processes may race to make it: the database
   * keeps one record per product and kind, the loser rolls its policy back and takes the winner's.
   */
  async policyFor(actor: Actor, productId: number, kind: KeyKind): Promise<Policy> {
    assertScope(actor.principal, 'licenses:write');
    const known = await this.recorded(productId, kind);
    if (known) return known;
    const now = this.deps.clock.now();
    try {
      return await this.deps.store.transaction(async (tx) => {
        const recorded = await tx.managedPolicies.find(productId, kind);
        const existing = recorded === null ? null : await tx.policies.findById(recorded);
        if (existing) return existing;
        if (!(await tx.products.findById(productId))) {
          throw new DomainError('NOT_FOUND', `product ${productId} does not exist`, { field: 'productIds' });
        }
        const policy = await tx.policies.insert({
          ...POLICY_DEFAULTS,
          featureFields: [],
          ...KIND_POLICIES[kind],
          productId,
          createdAt: now,
        });
        if (!(await tx.managedPolicies.claim(productId, kind, policy.id))) throw new ClaimLost();
        await tx.events.append(
          newEvent('policy.created', actor, now, { productId }, { policyId: policy.id, managedFor: kind }),
        );
        return policy;
      });
    } catch (error) {
      const winner = await this.recorded(productId, kind);
      if (winner) return winner;
      throw error;
    }
  }

  private async recorded(productId: number, kind: KeyKind): Promise<Policy | null> {
    const id = await this.deps.store.managedPolicies.find(productId, kind);
    return id === null ? null : this.deps.store.policies.findById(id);
  }
}
