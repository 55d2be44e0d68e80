import type { Actor } from '../access/actor.js';
import { assertAccountWide, assertScope } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Policy, Product } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import { stripUndefined } from '../strip-undefined.js';
import type { PolicyProfile } from '../trials/trial-model.js';
import { checkPolicy, POLICY_DEFAULTS, type PolicyInput } from './catalog-service.js';

export type ProfileInput = Partial<Omit<PolicyProfile, 'policyId'>>;

/**
 * A product with its first policy, or a policy with its profile, written in one transaction: surfaces whose
 * vendor creates them in one call (LimeLM's prod.create, prod.createVers, prod.editVers) never leave half
 * of it behind.
 */
export class ProductSetupService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async createProduct(
    actor: Actor,
    input: { name: string; policy: PolicyInput & { name: string }; profile: ProfileInput },
  ): Promise<{ product: Product; policy: Policy; profile: PolicyProfile }> {
    // A product with its first policy: both kinds of thing are written.
    assertScope(actor.principal, 'products:write');
    assertScope(actor.principal, 'policies:write');
    // A new product is outside every lock, so only a credential without product or license locks makes one.
    assertAccountWide(actor.principal);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const product = await tx.products.insert({ name: input.name, code: null, createdAt: now });
      await tx.events.append(
        newEvent('product.created', actor, now, { productId: product.id }, { name: product.name }),
      );
      const { policy, profile } = await this.insertPolicy(
        tx,
        actor,
        product.id,
        input.policy,
        input.profile,
        now,
      );
      return { product, policy, profile };
    });
  }

  async createPolicy(
    actor: Actor,
    productId: number,
    policy: PolicyInput & { name: string },
    profile: ProfileInput,
  ): Promise<{ policy: Policy; profile: PolicyProfile }> {
    assertScope(actor.principal, 'policies:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      if (!(await tx.products.findById(productId))) {
        throw new DomainError('NOT_FOUND', `product ${productId} does not exist`, { field: 'productId' });
      }
      return this.insertPolicy(tx, actor, productId, policy, profile, now);
    });
  }

  async updatePolicy(
    actor: Actor,
    id: number,
    changes: PolicyInput,
    profileChanges: ProfileInput,
  ): Promise<{ policy: Policy; profile: PolicyProfile }> {
    assertScope(actor.principal, 'policies:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = await tx.policies.findById(id);
      if (!current) throw new DomainError('NOT_FOUND', `policy ${id} does not exist`);
      checkPolicy({ ...current, ...stripUndefined(changes) });
      const policy = (await tx.policies.update(id, stripUndefined(changes))) as Policy;
      const existing = (await tx.policyProfiles.find(id)) ?? {
        policyId: id,
        trialSeconds: 0,
        whereIsKey: null,
        buyUrl: null,
      };
      const profile = await tx.policyProfiles.upsert({
        ...existing,
        ...stripUndefined(profileChanges),
        policyId: id,
      });
      await tx.events.append(
        newEvent(
          'policy.updated',
          actor,
          now,
          { productId: current.productId },
          { policyId: id, changes, profileChanges },
        ),
      );
      return { policy, profile };
    });
  }

  private async insertPolicy(
    tx: Repositories,
    actor: Actor,
    productId: number,
    input: PolicyInput & { name: string },
    profileInput: ProfileInput,
    now: Date,
  ): Promise<{ policy: Policy; profile: PolicyProfile }> {
    const values = { ...POLICY_DEFAULTS, featureFields: [], ...stripUndefined(input) };
    checkPolicy(values);
    const policy = await tx.policies.insert({ ...values, productId, createdAt: now });
    const profile = await tx.policyProfiles.upsert({
      policyId: policy.id,
      trialSeconds: profileInput.trialSeconds ?? 0,
      whereIsKey: profileInput.whereIsKey ?? null,
      buyUrl: profileInput.buyUrl ?? null,
    });
    await tx.events.append(newEvent('policy.created', actor, now, { productId }, { policyId: policy.id }));
    return { policy, profile };
  }
}
