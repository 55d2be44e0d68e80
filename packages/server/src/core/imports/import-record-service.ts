import type { Actor } from '../access/actor.js';
import { checkFeatureName } from '../catalog/feature-name.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { changedAt } from '../machines/license-version.js';
import { isValidFingerprint, MACHINE_NAME_FORBIDDEN, machineIp } from '../machines/machine-identity.js';
import type { License } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import { countInto } from './import-counts.js';
import type { ImportCounts } from './import-ports.js';
import {
  importedLicenseChanges,
  importedLicenseValues,
  importedPolicyRules,
  policyRulesChanged,
} from './import-record-changes.js';
import type {
  ImportedCustomer,
  ImportedDataObject,
  ImportedLicense,
  ImportedMachine,
  ImportedPolicy,
  ImportedProduct,
  ImportOutcome,
} from './imported-records.js';

/**
 * Writes what an import read from another service, idempotently: every record is linked to the Keyward
 * record made from it (per source), licenses are matched by their exact key, machines by fingerprint and data
 * objects by name, so a second run updates or skips instead of duplicating. Imported machines keep their
 * fingerprints and take their seats without the activation rules (they were activated at the vendor).
 */
export class ImportRecordService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async upsertProduct(
    source: string,
    actor: Actor,
    input: ImportedProduct,
  ): Promise<{ id: number; outcome: ImportOutcome }> {
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const linked = await tx.imports.findLink(source, 'product', input.externalId);
      const existing = linked === null ? null : await tx.products.findById(linked);
      if (existing) {
        if (existing.name === input.name) return { id: existing.id, outcome: 'skipped' as const };
        await tx.products.update(existing.id, { name: input.name });
        return { id: existing.id, outcome: 'updated' as const };
      }
      const createdAt = input.createdAt ?? now;
      let id: number;
      if (
        input.preferredId !== undefined &&
        (await tx.imports.insertProductWithId({ id: input.preferredId, name: input.name, createdAt }))
      )
        id = input.preferredId;
      else id = (await tx.products.insert({ name: input.name, code: null, createdAt })).id;
      await tx.imports.saveLink(source, 'product', input.externalId, id, now);
      await tx.events.append(newEvent('product.created', actor, now, { productId: id }, { source }));
      return { id, outcome: 'created' as const };
    });
  }

  /** Imports into a product that exists here already (chosen by the operator) instead of making one. */
  async adoptProduct(source: string, externalId: string, productId: number): Promise<void> {
    if (!(await this.deps.store.products.findById(productId)))
      throw new DomainError('NOT_FOUND', `product ${productId} does not exist`, { field: 'productId' });
    await this.deps.store.imports.saveLink(source, 'product', externalId, productId, this.deps.clock.now());
  }

  async upsertPolicy(
    source: string,
    actor: Actor,
    input: ImportedPolicy,
  ): Promise<{ id: number; outcome: ImportOutcome }> {
    const now = this.deps.clock.now();
    // Imports write policies without the catalog's checks; the feature-name rule holds for them too.
    for (const field of input.featureFields) checkFeatureName(field.name, 'featureFields');
    return this.deps.store.transaction(async (tx) => {
      const productId = await tx.imports.findLink(source, 'product', input.productExternalId);
      if (productId === null)
        throw new DomainError('NOT_FOUND', `the product ${input.productExternalId} was not imported`);
      const rules = importedPolicyRules(input);
      const linked = await tx.imports.findLink(source, 'policy', input.externalId);
      const existing = linked === null ? null : await tx.policies.findById(linked);
      if (existing) {
        if (!policyRulesChanged(existing, rules)) return { id: existing.id, outcome: 'skipped' as const };
        await tx.policies.update(existing.id, rules);
        return { id: existing.id, outcome: 'updated' as const };
      }
      const policy = await tx.policies.insert({
        ...rules,
        productId,
        maxOverdraft: 0,
        durationSeconds: null,
        expirationBasis: 'CREATION',
        activationValiditySeconds: null,
        isTrial: false,
        allowLicenseAuth: false,
        keyFormat: input.keyFormat,
        createdAt: now,
      });
      await tx.imports.saveLink(source, 'policy', input.externalId, policy.id, now);
      await tx.events.append(
        newEvent('policy.created', actor, now, { productId }, { policyId: policy.id, source }),
      );
      return { id: policy.id, outcome: 'created' as const };
    });
  }

  async upsertCustomer(
    source: string,
    actor: Actor,
    input: ImportedCustomer,
  ): Promise<{ id: number; outcome: ImportOutcome }> {
    const now = this.deps.clock.now();
    const email = input.email?.trim().toLowerCase() || null;
    return this.deps.store.transaction(async (tx) => {
      const linked = await tx.imports.findLink(source, 'customer', input.externalId);
      const existing = linked === null ? null : await tx.customers.findById(linked);
      if (existing) {
        if (existing.name === input.name && existing.email === email && existing.company === input.company)
          return { id: existing.id, outcome: 'skipped' as const };
        await tx.customers.update(existing.id, { name: input.name, email, company: input.company });
        return { id: existing.id, outcome: 'updated' as const };
      }
      const customer = await tx.customers.insert({
        name: input.name,
        email,
        company: input.company,
        createdAt: input.createdAt ?? now,
      });
      await tx.imports.saveLink(source, 'customer', input.externalId, customer.id, now);
      await tx.events.append(
        newEvent('customer.created', actor, now, {}, { customerId: customer.id, source }),
      );
      return { id: customer.id, outcome: 'created' as const };
    });
  }

  /** One license with its machines and data objects, in one transaction; returns what happened to each kind. */
  async upsertLicense(source: string, actor: Actor, input: ImportedLicense): Promise<ImportCounts> {
    const key = input.key.trim();
    if (key === '' || key.length > 500)
      throw new DomainError('INVALID_INPUT', 'an imported key has 1 to 500 characters', { field: 'key' });
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const counts: ImportCounts = {};
      const policyId = await tx.imports.findLink(source, 'policy', input.policyExternalId);
      const policy = policyId === null ? null : await tx.policies.findById(policyId);
      if (!policy)
        throw new DomainError('NOT_FOUND', `the policy ${input.policyExternalId} was not imported`);
      const customerId =
        input.customerExternalId == null
          ? null
          : await tx.imports.findLink(source, 'customer', input.customerExternalId);
      const wanted = importedLicenseValues(input, policy, customerId);
      let license = await tx.licenses.findByKey(key);
      // Whether this transaction wrote the license, so that it carries a stamp no earlier read saw.
      let isStamped = true;
      if (license) {
        const ours = await tx.imports.findLink(source, 'license', key);
        if (ours !== license.id) {
          // A key that exists here already and did not come from this source is left alone.
          countInto(counts, 'licenses', 'skipped');
          return counts;
        }
        const changes = importedLicenseChanges(license, wanted);
        if (Object.keys(changes).length > 0) {
          license = await tx.licenses.update(license.id, { ...changes, updatedAt: changedAt(license, now) });
          countInto(counts, 'licenses', 'updated');
        } else {
          isStamped = false;
          countInto(counts, 'licenses', 'skipped');
        }
      } else {
        const createdAt = input.createdAt ?? now;
        license = await tx.licenses.insert({
          ...wanted,
          key,
          productIds: [policy.productId],
          alias: input.alias ?? null,
          firstActivatedAt: null,
          revokedAt: null,
          isCleanable: false,
          activationCount: input.activationCount ?? 0,
          deactivationCount: input.deactivationCount ?? 0,
          resetCount: 0,
          namedUsers: [],
          createdAt,
          updatedAt: now,
          lastValidatedAt: null,
          ...(input.termSeconds != null ? { termSeconds: input.termSeconds } : {}),
          ...(input.hasTrialActivation ? { hasTrialActivation: true } : {}),
          ...(input.activationPeriod ? { activationPeriod: input.activationPeriod } : {}),
        });
        await tx.imports.saveLink(source, 'license', key, license.id, now);
        await tx.events.append(
          newEvent(
            'license.imported',
            actor,
            now,
            { licenseId: license.id, productId: policy.productId },
            { source },
          ),
        );
        countInto(counts, 'licenses', 'created');
      }
      await this.importMachines(tx, license, input.machines ?? [], now, counts, isStamped);
      await this.importDataObjects(tx, license, input.dataObjects ?? [], counts);
      return counts;
    });
  }

  private async importMachines(
    tx: Repositories,
    license: License,
    machines: ImportedMachine[],
    now: Date,
    counts: ImportCounts,
    isStamped: boolean,
  ): Promise<void> {
    if (machines.length === 0) return;
    const active = await tx.machines.listActive(license.id);
    const known = new Set(active.map((m) => m.fingerprint));
    let added = 0;
    for (const machine of machines) {
      const fingerprint = machine.fingerprint.trim();
      if (fingerprint === '' || !isValidFingerprint(fingerprint) || known.has(fingerprint)) {
        countInto(counts, 'machines', 'skipped');
        continue;
      }
      known.add(fingerprint);
      const createdAt = machine.createdAt ?? now;
      await tx.machines.insert({
        licenseId: license.id,
        fingerprint,
        name: machine.name && !MACHINE_NAME_FORBIDDEN.test(machine.name) ? machine.name : null,
        ip: machineIp(machine.ip),
        platform: machine.platform ?? null,
        isVm: false,
        username: null,
        createdAt,
        lastSeenAt: createdAt,
        leaseExpiresAt: machine.leaseExpiresAt ?? null,
        isOverdraft: false,
        expiresAt: machine.expiresAt ?? null,
        deactivatedAt: null,
      });
      added += 1;
      countInto(counts, 'machines', 'created');
    }
    if (added > 0) {
      const first = machines.reduce<Date | null>(
        (min, m) => (m.createdAt && (!min || m.createdAt < min) ? m.createdAt : min),
        null,
      );
      await tx.licenses.update(license.id, {
        activationCount: Math.max(license.activationCount, active.length + added),
        ...(license.firstActivatedAt === null ? { firstActivatedAt: first ?? now } : {}),
        // Seats taken without counting each (the count may stay): the stamp tells an activation that read the
        // license before this import (LicenseVersion) that its count of seats is stale.
        ...(isStamped ? {} : { updatedAt: changedAt(license, now) }),
      });
    }
  }

  private async importDataObjects(
    tx: Repositories,
    license: License,
    objects: ImportedDataObject[],
    counts: ImportCounts,
  ): Promise<void> {
    if (objects.length === 0) return;
    const existing = await tx.dataObjects.list({ ownerType: 'license', ownerId: license.id });
    for (const object of objects) {
      const found = existing.find((d) => d.name === object.name);
      if (!found) {
        existing.push(await tx.dataObjects.insert({ ownerType: 'license', ownerId: license.id, ...object }));
        countInto(counts, 'dataObjects', 'created');
      } else if (found.intValue !== object.intValue || found.stringValue !== object.stringValue) {
        await tx.dataObjects.update(found.id, { intValue: object.intValue, stringValue: object.stringValue });
        countInto(counts, 'dataObjects', 'updated');
      } else countInto(counts, 'dataObjects', 'skipped');
    }
  }
}
