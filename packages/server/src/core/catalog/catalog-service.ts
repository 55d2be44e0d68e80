import type { Actor } from '../access/actor.js';
import {
  assertNotLicenseLocked,
  assertProductAccess,
  assertScope,
  canAccessProduct,
  hideRefusal,
  type Principal,
  policyNotFound,
  productNotFound,
} from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { DEFAULT_KEY_FORMAT, randomSlotCount } from '../licenses/license-key.js';
import type { ExpirationBasis, FeatureField, Policy, Product } from '../model.js';
import { type ReachablePage, reachablePage } from '../paged.js';
import type { Store } from '../ports.js';
import { stripUndefined } from '../strip-undefined.js';
import { checkFeatureName } from './feature-name.js';
import { coerceFeatureValue } from './feature-values.js';
import { canReachCatalogProduct, canReachPolicy } from './policy-reach.js';

export interface PolicyInput {
  name?: string;
  maxMachines?: number;
  maxDeactivations?: number;
  isFloating?: boolean;
  leaseSeconds?: number;
  maxOverdraft?: number;
  allowVm?: boolean;
  durationSeconds?: number | null;
  expirationBasis?: ExpirationBasis;
  activationValiditySeconds?: number | null;
  isTrial?: boolean;
  allowLicenseAuth?: boolean;
  keyFormat?: string;
  featureFields?: FeatureField[];
}

export const POLICY_DEFAULTS = {
  maxMachines: 1,
  maxDeactivations: -1,
  isFloating: false,
  leaseSeconds: 900,
  maxOverdraft: 0,
  allowVm: true,
  durationSeconds: null,
  expirationBasis: 'CREATION',
  activationValiditySeconds: null,
  isTrial: false,
  allowLicenseAuth: true,
  keyFormat: DEFAULT_KEY_FORMAT,
  featureFields: [],
} as const satisfies Omit<Required<PolicyInput>, 'name'>;

export function checkPolicy(policy: Omit<Policy, 'id' | 'productId' | 'createdAt'>): void {
  const fail = (field: string, message: string): never => {
    throw new DomainError('INVALID_INPUT', message, { field });
  };
  if (randomSlotCount(policy.keyFormat) < 16) fail('keyFormat', 'keyFormat needs at least 16 X placeholders');
  if (policy.maxDeactivations < -1) fail('maxDeactivations', 'maxDeactivations is -1 (unlimited) or more');
  if (policy.isFloating && policy.leaseSeconds < 1)
    fail('leaseSeconds', 'a floating policy needs leaseSeconds');
  const names = new Set<string>();
  for (const field of policy.featureFields) {
    checkFeatureName(field.name, 'featureFields');
    if (names.has(field.name)) fail('featureFields', `feature "${field.name}" is defined twice`);
    names.add(field.name);
    if (field.defaultValue !== null) field.defaultValue = coerceFeatureValue(field, field.defaultValue);
  }
}

/** Products read at a time when walking them all (eachProduct). */
const PRODUCT_BATCH = 500;

/** Products and their policies. */
export class CatalogService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async createProduct(actor: Actor, input: { name: string; code?: string | null }): Promise<Product> {
    assertScope(actor.principal, 'products:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const product = await tx.products.insert({
        name: input.name,
        code: input.code ?? null,
        createdAt: now,
      });
      await tx.events.append(
        newEvent('product.created', actor, now, { productId: product.id }, { name: product.name }),
      );
      return product;
    });
  }

  async getProduct(id: number): Promise<Product> {
    const product = await this.deps.store.products.findById(id);
    if (!product) throw productNotFound(id);
    return product;
  }

  /**
   * The product a caller names, for surfaces that tell a product locked away from the caller from one that
   * does not exist (Cryptolens answers "Access denied." for the first): FORBIDDEN when the caller's locks
   * exclude it, decided before its existence is looked at so the refusal reveals nothing; null when missing.
   */
  async findProductOrDeny(principal: Principal | null, id: number): Promise<Product | null> {
    if (!canAccessProduct(principal, id))
      throw new DomainError('FORBIDDEN', 'this credential does not reach this product', {
        field: 'productId',
      });
    return this.deps.store.products.findById(id);
  }

  /** A product the caller reaches, read: products:read; one out of reach answers as a missing one. */
  async readProduct(principal: Principal | null, id: number): Promise<Product> {
    assertScope(principal, 'products:read');
    assertProductAccess(principal, id);
    return this.getProduct(id);
  }

  /**
   * A page of products, oldest first, keeping those the caller reaches (the cursor still moves past the
   * others): products:read.
   */
  async productPage(
    principal: Principal | null,
    page: { after: number | null; limit: number },
  ): Promise<ReachablePage<Product>> {
    assertScope(principal, 'products:read');
    return reachablePage(await this.listProducts(page), page.limit, (p) => canAccessProduct(principal, p.id));
  }

  listProducts(page: { after: number | null; limit: number }): Promise<Product[]> {
    return this.deps.store.products.list(page);
  }

  /** Every product the caller reaches, lowest id first, read in batches: products:read, asked when the first is. */
  async *eachProduct(principal: Principal | null): AsyncGenerator<Product> {
    assertScope(principal, 'products:read');
    let after: number | null = null;
    for (;;) {
      const page = await this.deps.store.products.list({ after, limit: PRODUCT_BATCH });
      for (const product of page) if (canAccessProduct(principal, product.id)) yield product;
      const last = page[page.length - 1];
      if (page.length < PRODUCT_BATCH || !last) return;
      after = last.id;
    }
  }

  async updateProduct(
    actor: Actor,
    id: number,
    changes: { name?: string; code?: string | null },
  ): Promise<Product> {
    assertScope(actor.principal, 'products:write');
    assertNotLicenseLocked(actor.principal);
    assertProductAccess(actor.principal, id);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const product = await tx.products.update(id, changes);
      if (!product) throw new DomainError('NOT_FOUND', `product ${id} does not exist`);
      await tx.events.append(newEvent('product.updated', actor, now, { productId: id }, { changes }));
      return product;
    });
  }

  async deleteProduct(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'products:write');
    assertNotLicenseLocked(actor.principal);
    assertProductAccess(actor.principal, id);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.products.findById(id)))
        throw new DomainError('NOT_FOUND', `product ${id} does not exist`);
      // Licenses of other products may unlock this one too (add-ons, AuthTool packages).
      const licenses = await tx.licenses.countUpTo({ productId: id }, { now, max: 1000 });
      if (licenses > 0) {
        const counted =
          licenses > 1000 ? 'more than 1,000 licenses' : `${licenses} license${licenses === 1 ? '' : 's'}`;
        throw new DomainError(
          'CONFLICT',
          `product ${id} is still unlocked by ${counted}; delete the licenses or remove the product from them first`,
        );
      }
      const policies = await tx.policies.list({ productId: id, after: null, limit: 1 });
      if (policies.length > 0) throw new DomainError('CONFLICT', 'delete the policies of the product first');
      await tx.products.delete(id);
      await tx.events.append(newEvent('product.deleted', actor, now, { productId: id }));
    });
  }

  async createPolicy(
    actor: Actor,
    input: PolicyInput & { productId: number; name: string },
  ): Promise<Policy> {
    assertScope(actor.principal, 'policies:write');
    assertNotLicenseLocked(actor.principal);
    assertProductAccess(actor.principal, input.productId);
    const now = this.deps.clock.now();
    const values = { ...POLICY_DEFAULTS, featureFields: [], ...stripUndefined(input) };
    checkPolicy(values);
    return this.deps.store.transaction(async (tx) => {
      if (!(await tx.products.findById(input.productId))) {
        throw new DomainError('NOT_FOUND', `product ${input.productId} does not exist`, {
          field: 'productId',
        });
      }
      const policy = await tx.policies.insert({ ...values, productId: input.productId, createdAt: now });
      await tx.events.append(
        newEvent('policy.created', actor, now, { productId: policy.productId }, { policyId: policy.id }),
      );
      return policy;
    });
  }

  async getPolicy(id: number): Promise<Policy> {
    const policy = await this.deps.store.policies.findById(id);
    if (!policy) throw policyNotFound(id);
    return policy;
  }

  /**
   * The policy a license gets when a caller names only its product (Cryptolens knows no policies): the oldest
   * policy of the kind asked for — trial or not — else the product's oldest policy.
   */
  async defaultPolicy(productId: number, kind: 'regular' | 'trial' = 'regular'): Promise<Policy> {
    const policies = await this.deps.store.policies.list({ productId, after: null, limit: 1000 });
    const policy = policies.find((p) => p.isTrial === (kind === 'trial')) ?? policies[0];
    if (!policy)
      throw new DomainError('NOT_FOUND', `product ${productId} has no policy`, { field: 'productId' });
    return policy;
  }

  /** A policy of a product the caller reaches, read: policies:read; one out of reach answers as a missing one. */
  async readPolicy(principal: Principal | null, id: number): Promise<Policy> {
    assertScope(principal, 'policies:read');
    return this.reachablePolicy(principal, id);
  }

  /**
   * A page of policies, oldest first, of one product or all, keeping those of products the caller reaches
   * (the cursor still moves past the others): policies:read.
   */
  async policyPage(
    principal: Principal | null,
    query: { productId: number | null; after: number | null; limit: number },
  ): Promise<ReachablePage<Policy>> {
    assertScope(principal, 'policies:read');
    return reachablePage(await this.listPolicies(query), query.limit, (p) =>
      canAccessProduct(principal, p.productId),
    );
  }

  /** The policy with this id, refused as a missing one when the caller does not reach its product. */
  private async reachablePolicy(principal: Principal | null, id: number): Promise<Policy> {
    const policy = await this.getPolicy(id);
    await hideRefusal(
      () => assertProductAccess(principal, policy.productId),
      () => policyNotFound(id),
    );
    return policy;
  }

  listPolicies(query: { productId: number | null; after: number | null; limit: number }): Promise<Policy[]> {
    return this.deps.store.policies.list(query);
  }

  async updatePolicy(actor: Actor, id: number, changes: PolicyInput): Promise<Policy> {
    assertScope(actor.principal, 'policies:write');
    assertNotLicenseLocked(actor.principal);
    await this.reachablePolicy(actor.principal, id);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = await tx.policies.findById(id);
      if (!current) throw new DomainError('NOT_FOUND', `policy ${id} does not exist`);
      const next = { ...current, ...stripUndefined(changes) };
      checkPolicy(next);
      const policy = await tx.policies.update(id, {
        ...stripUndefined(changes),
        featureFields: next.featureFields,
      });
      await tx.events.append(
        newEvent('policy.updated', actor, now, { productId: current.productId }, { policyId: id, changes }),
      );
      return policy as Policy;
    });
  }

  async deletePolicy(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'policies:write');
    assertNotLicenseLocked(actor.principal);
    await this.reachablePolicy(actor.principal, id);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const policy = await tx.policies.findById(id);
      if (!policy) throw new DomainError('NOT_FOUND', `policy ${id} does not exist`);
      const licenses = await tx.policies.countLicenses(id);
      if (licenses > 0) {
        throw new DomainError(
          'CONFLICT',
          `policy ${id} still has ${licenses} license${licenses === 1 ? '' : 's'}; delete them or move them to another policy first`,
        );
      }
      await tx.policies.delete(id);
      await tx.events.append(
        newEvent('policy.deleted', actor, now, { productId: policy.productId }, { policyId: id }),
      );
    });
  }

  /** The policy with this id if the caller reaches it (policy-reach.ts); null otherwise, as for a missing one. */
  async findPolicy(principal: Principal | null, id: number): Promise<Policy | null> {
    const policy = await this.deps.store.policies.findById(id);
    return policy && (await canReachPolicy(this.deps.store, principal, policy)) ? policy : null;
  }

  /** The product with this id if the caller reaches it as a catalog entry; null otherwise. */
  async findProduct(principal: Principal | null, id: number): Promise<Product | null> {
    if (!canReachCatalogProduct(principal, id)) return null;
    return this.deps.store.products.findById(id);
  }

  /**
   * A page of the products the caller reaches as catalog entries, by id. A credential locked to products
   * reads just those, so its pages are as full as anyone's.
   */
  async listReachableProducts(
    principal: Principal | null,
    page: { after: number | null; limit: number },
  ): Promise<Product[]> {
    assertScope(principal, 'products:read');
    if (principal.kind === 'license' || principal.token.licenseId !== null) return [];
    const locked = principal.token.productIds;
    if (locked.length === 0) return this.deps.store.products.list(page);
    const ids = [...new Set(locked)]
      .filter((id) => page.after === null || id > page.after)
      .sort((a, b) => a - b);
    const products: Product[] = [];
    for (const id of ids) {
      if (products.length === page.limit) break;
      const product = await this.deps.store.products.findById(id);
      if (product) products.push(product);
    }
    return products;
  }

  /**
   * The ids of every policy the caller reaches; null when it reaches them all (no lock). A credential locked to
   * one license reaches that license's policy only. Telling which policies there are is a read of policies.
   */
  async reachablePolicyIds(principal: Principal): Promise<number[] | null> {
    assertScope(principal, 'policies:read');
    if (principal.kind === 'license') return [principal.license.policyId];
    const { licenseId, productIds } = principal.token;
    if (licenseId !== null) {
      const license = await this.deps.store.licenses.findById(licenseId);
      return license ? [license.policyId] : [];
    }
    if (productIds.length === 0) return null;
    const ids: number[] = [];
    for (const productId of productIds) {
      for (let after: number | null = null; ; ) {
        const page = await this.deps.store.policies.list({ productId, after, limit: 1000 });
        ids.push(...page.map((p) => p.id));
        if (page.length < 1000) break;
        after = (page[page.length - 1] as Policy).id;
      }
    }
    return ids;
  }
}
