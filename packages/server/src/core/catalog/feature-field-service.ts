import type { Actor } from '../access/actor.js';
import { assertScope, type Principal, policyNotFound } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { FeatureField, FeatureType, FeatureValue, License, Policy } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import type { FeatureFieldDetails } from '../trials/trial-model.js';
import { checkFeatureName } from './feature-name.js';
import { coerceFeatureValue } from './feature-values.js';
import { canReachPolicy } from './policy-reach.js';
import { parseRelativeTime } from './relative-time.js';

export interface FeatureFieldView {
  field: FeatureField;
  details: FeatureFieldDetails;
}

export interface FeatureFieldInput {
  name: string;
  type: FeatureType;
  isRequired: boolean;
  defaultValue?: FeatureValue | null | undefined;
  description?: string | null | undefined;
  isAppReadable?: boolean | undefined;
  relativeDefault?: string | null | undefined;
}

export type FeatureFieldChanges = Partial<Omit<FeatureFieldInput, 'type'>>;

export const FEATURE_FIELD_REFUSALS = { exists: 'FEATURE_EXISTS' } as const;

/**
 * A policy's feature fields one at a time, each with a stable id that survives renames: renaming or deleting
 * a field carries the change to the values of every license of the policy. Fields added through the native
 * policy API get their id the first time they are listed here.
 */
export class FeatureFieldService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** The policy's fields with their details, creating missing details and dropping ones of removed fields. */
  private async sync(tx: Repositories, policy: Policy): Promise<FeatureFieldView[]> {
    const rows = await tx.featureFieldDetails.listByPolicy(policy.id);
    for (const stale of rows.filter((r) => !policy.featureFields.some((f) => f.name === r.name))) {
      await tx.featureFieldDetails.delete(stale.id);
    }
    const views: FeatureFieldView[] = [];
    for (const field of policy.featureFields) {
      const details =
        rows.find((r) => r.name === field.name) ??
        (await tx.featureFieldDetails.insert({
          policyId: policy.id,
          name: field.name,
          description: null,
          isAppReadable: true,
          relativeDefault: null,
        }));
      views.push({ field, details });
    }
    return views;
  }

  private async lockedPolicy(tx: Repositories, policyId: number): Promise<Policy> {
    await tx.featureFieldDetails.lockPolicy(policyId);
    const policy = await tx.policies.findById(policyId);
    if (!policy)
      throw new DomainError('NOT_FOUND', `policy ${policyId} does not exist`, { field: 'policyId' });
    return policy;
  }

  /** The policy's fields, read with policies:read by a caller reaching the policy; missing otherwise. */
  async list(principal: Principal | null, policyId: number): Promise<FeatureFieldView[]> {
    assertScope(principal, 'policies:read');
    const policy = await this.deps.store.policies.findById(policyId);
    if (!policy || !(await canReachPolicy(this.deps.store, principal, policy)))
      throw policyNotFound(policyId);
    return this.deps.store.transaction(async (tx) => this.sync(tx, await this.lockedPolicy(tx, policyId)));
  }

  /** The field with this id, and its policy; NOT_FOUND when the id or its field no longer exists. */
  async get(id: number): Promise<FeatureFieldView & { policy: Policy }> {
    const details = await this.deps.store.featureFieldDetails.findById(id);
    const policy = details ? await this.deps.store.policies.findById(details.policyId) : null;
    const field = policy?.featureFields.find((f) => f.name === details?.name);
    if (!details || !policy || !field)
      throw new DomainError('NOT_FOUND', `feature field ${id} does not exist`);
    return { field, details, policy };
  }

  async add(actor: Actor, policyId: number, input: FeatureFieldInput): Promise<FeatureFieldView> {
    assertScope(actor.principal, 'policies:write');
    checkFeatureName(input.name);
    if (input.relativeDefault) parseRelativeTime(input.relativeDefault);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const policy = await this.lockedPolicy(tx, policyId);
      await this.sync(tx, policy);
      if (policy.featureFields.some((f) => f.name === input.name)) throw exists(input.name);
      const field: FeatureField = {
        name: input.name,
        type: input.type,
        isRequired: input.isRequired,
        defaultValue:
          input.defaultValue == null
            ? null
            : coerceFeatureValue({ ...fieldShape(input) }, input.defaultValue),
      };
      await tx.policies.update(policy.id, { featureFields: [...policy.featureFields, field] });
      const details = await tx.featureFieldDetails.insert({
        policyId,
        name: input.name,
        description: input.description ?? null,
        isAppReadable: input.isAppReadable ?? true,
        relativeDefault: input.relativeDefault ?? null,
      });
      await tx.events.append(
        newEvent(
          'policy.updated',
          actor,
          now,
          { productId: policy.productId },
          { policyId, addedFeature: field.name },
        ),
      );
      return { field, details };
    });
  }

  async edit(actor: Actor, id: number, changes: FeatureFieldChanges): Promise<FeatureFieldView> {
    assertScope(actor.principal, 'policies:write');
    if (changes.name !== undefined) checkFeatureName(changes.name);
    if (changes.relativeDefault) parseRelativeTime(changes.relativeDefault);
    const { policy: unlocked } = await this.get(id);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const policy = await this.lockedPolicy(tx, unlocked.id);
      const views = await this.sync(tx, policy);
      const current = views.find((v) => v.details.id === id);
      if (!current) throw new DomainError('NOT_FOUND', `feature field ${id} does not exist`);
      const name = changes.name ?? current.field.name;
      if (name !== current.field.name && policy.featureFields.some((f) => f.name === name))
        throw exists(name);
      const field: FeatureField = {
        ...current.field,
        name,
        isRequired: changes.isRequired ?? current.field.isRequired,
        defaultValue:
          changes.defaultValue === undefined
            ? current.field.defaultValue
            : changes.defaultValue === null
              ? null
              : coerceFeatureValue(current.field, changes.defaultValue),
      };
      await tx.policies.update(policy.id, {
        featureFields: policy.featureFields.map((f) => (f.name === current.field.name ? field : f)),
      });
      if (name !== current.field.name) {
        await this.rewriteValues(tx, policy.id, now, (features) =>
          renameKey(features, current.field.name, name),
        );
      }
      const details = await tx.featureFieldDetails.update(id, {
        name,
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.isAppReadable !== undefined ? { isAppReadable: changes.isAppReadable } : {}),
        ...(changes.relativeDefault !== undefined ? { relativeDefault: changes.relativeDefault } : {}),
      });
      await tx.events.append(
        newEvent(
          'policy.updated',
          actor,
          now,
          { productId: policy.productId },
          { policyId: policy.id, editedFeature: name },
        ),
      );
      return { field, details };
    });
  }

  /** Removes the field from the policy and its value from every license of the policy. */
  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'policies:write');
    const { policy: unlocked } = await this.get(id);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const policy = await this.lockedPolicy(tx, unlocked.id);
      const current = (await this.sync(tx, policy)).find((v) => v.details.id === id);
      if (!current) throw new DomainError('NOT_FOUND', `feature field ${id} does not exist`);
      const name = current.field.name;
      await tx.policies.update(policy.id, {
        featureFields: policy.featureFields.filter((f) => f.name !== name),
      });
      await this.rewriteValues(tx, policy.id, now, (features) => renameKey(features, name, null));
      await tx.featureFieldDetails.delete(id);
      await tx.events.append(
        newEvent(
          'policy.updated',
          actor,
          now,
          { productId: policy.productId },
          { policyId: policy.id, deletedFeature: name },
        ),
      );
    });
  }

  /** Applies `rewrite` to the feature values of every license of the policy, in pages. */
  private async rewriteValues(
    tx: Repositories,
    policyId: number,
    now: Date,
    rewrite: (features: License['features']) => License['features'] | null,
  ): Promise<void> {
    let after: number | null = null;
    for (;;) {
      const page: License[] = await tx.licenses.list({ policyId }, { after, limit: 500, now });
      for (const license of page) {
        const features = rewrite(license.features);
        if (features) await tx.licenses.update(license.id, { features, updatedAt: now });
      }
      if (page.length < 500) return;
      after = (page[page.length - 1] as License).id;
    }
  }
}

function fieldShape(input: FeatureFieldInput): FeatureField {
  return { name: input.name, type: input.type, isRequired: input.isRequired, defaultValue: null };
}

function exists(name: string): DomainError {
  return new DomainError('CONFLICT', `the policy already has a feature named "${name}"`, {
    reason: FEATURE_FIELD_REFUSALS.exists,
  });
}

/** The values with `from` renamed to `to` (or removed when `to` is null); null when nothing changes. */
function renameKey(
  features: License['features'],
  from: string,
  to: string | null,
): License['features'] | null {
  if (!(from in features)) return null;
  const { [from]: value, ...rest } = features;
  return to === null || value === undefined ? rest : { ...rest, [to]: value };
}
