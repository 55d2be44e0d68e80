import type { Actor } from '../access/actor.js';
import {
  assertNotLicenseLocked,
  assertProductAccess,
  assertScope,
  canAccessProduct,
  hideRefusal,
  type Principal,
  policyNotFound,
} from '../access/principal.js';
import { resolveFeatures } from '../catalog/feature-values.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { checkAllowedMachines } from '../machines/machine-identity.js';
import type { License, LicenseTemplate } from '../model.js';
import type { Store } from '../ports.js';
import { stripUndefined } from '../strip-undefined.js';
import type { LicenseService } from './license-service.js';

export interface LicenseTemplateInput {
  name?: string;
  policyId?: number;
  durationSeconds?: number | null;
  maxMachines?: number | null;
  features?: Record<string, unknown>;
  notes?: string | null;
  allowedMachines?: string[];
  hasTrialActivation?: boolean;
}

function check(template: Omit<LicenseTemplate, 'id' | 'createdAt'>): void {
  const fail = (field: string, message: string): never => {
    throw new DomainError('INVALID_INPUT', message, { field });
  };
  if (
    template.durationSeconds !== null &&
    !(Number.isSafeInteger(template.durationSeconds) && template.durationSeconds > 0)
  )
    fail('durationSeconds', 'durationSeconds is a whole number of seconds above 0, or null');
  if (
    template.maxMachines !== null &&
    !(Number.isSafeInteger(template.maxMachines) && template.maxMachines >= 0)
  )
    fail('maxMachines', 'maxMachines is 0 (unlimited) or more, or null');
}

/**
 * License templates: a policy plus the settings every license made from the template gets, so a shop or a
 * Cryptolens app (CreateKeyFromTemplate) can mint a license by naming one number.
 */
export const templateNotFound = (id: number) =>
  new DomainError('NOT_FOUND', `license template ${id} does not exist`);

/**
 * Templates belong to the product of their policy: a caller reaches a policy for templates when it is not
 * locked to one license and reaches that product. A product out of reach reads as a missing product.
 */
async function assertPolicyReach(store: Store, principal: Principal, policyId: number): Promise<void> {
  assertNotLicenseLocked(principal);
  const policy = await store.policies.findById(policyId);
  if (!policy) throw policyNotFound(policyId);
  assertProductAccess(principal, policy.productId);
}

/** The template, if the caller reaches its policy; one out of reach reads exactly as a missing one. */
async function reachableTemplate(store: Store, principal: Principal, id: number): Promise<LicenseTemplate> {
  const template = await store.licenseTemplates.findById(id);
  if (!template) throw templateNotFound(id);
  await hideRefusal(
    () => assertPolicyReach(store, principal, template.policyId),
    () => templateNotFound(id),
  );
  return template;
}

export class LicenseTemplateService {
  constructor(private readonly deps: { store: Store; clock: Clock; licenses: LicenseService }) {}

  async create(
    actor: Actor,
    input: LicenseTemplateInput & { name: string; policyId: number },
  ): Promise<LicenseTemplate> {
    assertScope(actor.principal, 'policies:write');
    await assertPolicyReach(this.deps.store, actor.principal, input.policyId);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const policy = await tx.policies.findById(input.policyId);
      if (!policy)
        throw new DomainError('NOT_FOUND', `policy ${input.policyId} does not exist`, { field: 'policyId' });
      const values = {
        name: input.name,
        policyId: input.policyId,
        durationSeconds: input.durationSeconds ?? null,
        maxMachines: input.maxMachines ?? null,
        features: resolveFeatures(policy.featureFields, input.features ?? {}),
        notes: input.notes ?? null,
        allowedMachines: [
          ...new Set(
            checkAllowedMachines((input.allowedMachines ?? []).map((m) => m.trim()).filter((m) => m !== '')),
          ),
        ],
        hasTrialActivation: input.hasTrialActivation ?? false,
      };
      check(values);
      const template = await tx.licenseTemplates.insert({ ...values, createdAt: now });
      await tx.events.append(
        newEvent(
          'license_template.created',
          actor,
          now,
          { productId: policy.productId },
          { templateId: template.id },
        ),
      );
      return template;
    });
  }

  async get(id: number): Promise<LicenseTemplate> {
    const template = await this.deps.store.licenseTemplates.findById(id);
    if (!template) throw templateNotFound(id);
    return template;
  }

  /** The template, for a caller reaching its policy's product; any other reads as missing. */
  async view(principal: Principal, id: number): Promise<LicenseTemplate> {
    assertScope(principal, 'policies:read');
    return reachableTemplate(this.deps.store, principal, id);
  }

  /**
   * The template with this id, or null, for a caller that may use it: one not locked to a single license
   * and reaching the product of the template's policy (as the native API's templates), FORBIDDEN otherwise.
   * The refusal comes once the template is known to exist, as Cryptolens answers (the vendor's order).
   */
  async find(principal: Principal, id: number): Promise<LicenseTemplate | null> {
    const template = await this.deps.store.licenseTemplates.findById(id);
    if (!template) return null;
    const policy = await this.deps.store.policies.findById(template.policyId);
    assertNotLicenseLocked(principal);
    if (!policy || !canAccessProduct(principal, policy.productId))
      throw new DomainError('FORBIDDEN', 'this credential does not reach the product of this template');
    return template;
  }

  list(query: { policyId: number | null; after: number | null; limit: number }): Promise<LicenseTemplate[]> {
    return this.deps.store.licenseTemplates.list(query);
  }

  /**
   * A page of templates without those of products the caller may not reach; `nextAfter` (the last id the page
   * read, null at the end) moves past hidden templates too. Templates are managed with policies, so reading
   * them needs policies:read; a caller locked to one license lists none.
   */
  async listReachable(
    principal: Principal,
    query: { policyId: number | null; after: number | null; limit: number },
  ): Promise<{ items: LicenseTemplate[]; nextAfter: number | null }> {
    assertScope(principal, 'policies:read');
    assertNotLicenseLocked(principal);
    const templates = await this.list(query);
    const productOfPolicy = new Map<number, number | null>();
    for (const { policyId } of templates) {
      if (!productOfPolicy.has(policyId))
        productOfPolicy.set(policyId, (await this.deps.store.policies.findById(policyId))?.productId ?? null);
    }
    const items = templates.filter((t) => {
      const productId = productOfPolicy.get(t.policyId);
      return productId != null && canAccessProduct(principal, productId);
    });
    const last = templates.at(-1);
    return { items, nextAfter: templates.length === query.limit && last ? last.id : null };
  }

  /** A new policy, like the template itself, must be within the caller's reach. */
  async update(actor: Actor, id: number, changes: LicenseTemplateInput): Promise<LicenseTemplate> {
    assertScope(actor.principal, 'policies:write');
    await reachableTemplate(this.deps.store, actor.principal, id);
    if (changes.policyId !== undefined)
      await assertPolicyReach(this.deps.store, actor.principal, changes.policyId);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = await tx.licenseTemplates.findById(id);
      if (!current) throw new DomainError('NOT_FOUND', `license template ${id} does not exist`);
      const policyId = changes.policyId ?? current.policyId;
      const policy = await tx.policies.findById(policyId);
      if (!policy)
        throw new DomainError('NOT_FOUND', `policy ${policyId} does not exist`, { field: 'policyId' });
      const next = {
        ...current,
        ...stripUndefined(changes),
        features:
          changes.features !== undefined || changes.policyId !== undefined
            ? resolveFeatures(
                policy.featureFields,
                changes.features ?? {},
                changes.features ? {} : current.features,
              )
            : current.features,
        allowedMachines:
          changes.allowedMachines !== undefined
            ? [
                ...new Set(
                  checkAllowedMachines(changes.allowedMachines.map((m) => m.trim()).filter((m) => m !== '')),
                ),
              ]
            : current.allowedMachines,
      };
      check(next);
      const { id: _id, createdAt: _createdAt, ...values } = next;
      const template = (await tx.licenseTemplates.update(id, values)) as LicenseTemplate;
      await tx.events.append(
        newEvent('license_template.updated', actor, now, { productId: policy.productId }, { templateId: id }),
      );
      return template;
    });
  }

  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'policies:write');
    await reachableTemplate(this.deps.store, actor.principal, id);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.licenseTemplates.delete(id)))
        throw new DomainError('NOT_FOUND', `license template ${id} does not exist`);
      await tx.events.append(newEvent('license_template.deleted', actor, now, {}, { templateId: id }));
    });
  }

  /** Mints one license from the template. */
  async createLicense(actor: Actor, templateId: number): Promise<License> {
    assertScope(actor.principal, 'licenses:write');
    const template = await this.get(templateId);
    const now = this.deps.clock.now();
    return this.deps.licenses.create(actor, template.policyId, {
      ...(template.durationSeconds !== null
        ? {
            expiresAt: new Date(now.getTime() + template.durationSeconds * 1000),
            termSeconds: template.durationSeconds,
          }
        : {}),
      ...(template.maxMachines !== null ? { overrides: { maxMachines: template.maxMachines } } : {}),
      features: template.features,
      notes: template.notes,
      allowedMachines: template.allowedMachines,
      hasTrialActivation: template.hasTrialActivation,
    });
  }
}
