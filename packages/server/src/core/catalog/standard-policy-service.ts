import type { Actor } from '../access/actor.js';
import {
  assertMayIssueLicenses,
  assertScope,
  canAccessProduct,
  productNotFound,
} from '../access/principal.js';
import type { Clock } from '../clock.js';
import { isDomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Policy } from '../model.js';
import type { Store } from '../ports.js';
import { type CatalogService, POLICY_DEFAULTS } from './catalog-service.js';
import { STANDARD_POLICIES, type StandardPolicyKind } from './standard-policies.js';

/** Thrown inside the transaction that lost the race to make a product's standard policies, to undo its own. */
class ClaimLost extends Error {}

const KINDS: StandardPolicyKind[] = ['regular', 'trial'];

/**
 * A product is usable by callers that name only the product, without setting it up first: the first key
 * issued for a product that has no policy at all makes the standard ones (standard-policies.ts), once. A
 * product with policies of its own keeps them; one whose policies were all deleted gets the standard ones
 * again.
 */
export class StandardPolicyService {
  constructor(private readonly deps: { store: Store; clock: Clock; catalog: CatalogService }) {}

  /**
   * The policy a key of `kind` gets on this product (CatalogService.defaultPolicy), making the standard
   * policies first when the product has none. Several processes may race to make them: the database keeps one
   * record per product and kind, and a loser undoes its own and takes the winner's.
   */
  async policyFor(actor: Actor, productId: number, kind: StandardPolicyKind): Promise<Policy> {
    assertScope(actor.principal, 'licenses:write');
    if (!canAccessProduct(actor.principal, productId)) throw productNotFound(productId, 'productId');
    const existing = await this.defaultPolicy(productId, kind);
    if (existing) return existing;
    // Only a caller who may issue keys here makes policies, and it is refused before anything is written.
    assertMayIssueLicenses(actor.principal, [productId]);
    const now = this.deps.clock.now();
    try {
      await this.deps.store.transaction(async (tx) => {
        if (!(await tx.products.findById(productId))) throw productNotFound(productId, 'productId');
        if ((await tx.policies.list({ productId, after: null, limit: 1 })).length > 0) return;
        for (const each of KINDS) {
          const purpose = `standard-${each}`;
          const policy = await tx.policies.insert({
            ...POLICY_DEFAULTS,
            ...STANDARD_POLICIES[each],
            featureFields: STANDARD_POLICIES[each].featureFields ?? [],
            productId,
            createdAt: now,
          });
          if (!(await tx.managedPolicies.claim(productId, purpose, policy.id))) throw new ClaimLost();
          await tx.events.append(
            newEvent(
              'policy.created',
              actor,
              now,
              { productId },
              { policyId: policy.id, managedFor: purpose },
            ),
          );
        }
      });
    } catch (error) {
      if (!(error instanceof ClaimLost)) throw error;
    }
    const made = await this.defaultPolicy(productId, kind);
    if (!made) throw productNotFound(productId, 'productId');
    return made;
  }

  private async defaultPolicy(productId: number, kind: StandardPolicyKind): Promise<Policy | null> {
    try {
      return await this.deps.catalog.defaultPolicy(productId, kind);
    } catch (error) {
      if (isDomainError(error) && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }
}
