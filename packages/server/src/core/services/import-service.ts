import { randomUUID } from 'node:crypto';
import { type Actor, serverActor } from '../actor.js';
import type { CalendarPeriod } from '../calendar-period.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { checkFeatureName } from '../feature-name.js';
import type { ImportCounts, ImportJob, ImportKind, ImportTally } from '../import-ports.js';
import { isValidFingerprint, MACHINE_NAME_FORBIDDEN, machineIp } from '../machine-identity.js';
import type { FeatureField, FeatureValue, License, Policy } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import { type NewEvent, newEvent } from '../record-event.js';
import type { SecretBox } from '../secrets.js';

export type ImportOutcome = 'created' | 'updated' | 'skipped';

export interface ImportedProduct {
  externalId: string;
  name: string;
  createdAt?: Date | undefined;
  /** Keep this id when it is free (a Cryptolens ProductId compiled into apps). */
  preferredId?: number | undefined;
}

export interface ImportedPolicy {
  externalId: string;
  productExternalId: string;
  name: string;
  maxMachines: number;
  maxDeactivations: number;
  allowVm: boolean;
  isFloating?: boolean;
  leaseSeconds?: number;
  featureFields: FeatureField[];
  keyFormat: string;
}

export interface ImportedCustomer {
  externalId: string;
  name: string;
  email: string | null;
  company: string | null;
  createdAt?: Date | undefined;
}

export interface ImportedMachine {
  fingerprint: string;
  name?: string | null | undefined;
  ip?: string | null | undefined;
  platform?: string | null | undefined;
  createdAt?: Date | undefined;
  /** A floating seat's lease. */
  leaseExpiresAt?: Date | null | undefined;
  expiresAt?: Date | null | undefined;
}

export interface ImportedDataObject {
  name: string;
  intValue: number;
  stringValue: string;
}

export interface ImportedLicense {
  key: string;
  policyExternalId: string;
  customerExternalId?: string | null | undefined;
  email?: string | null | undefined;
  notes?: string | null | undefined;
  alias?: string | null | undefined;
  expiresAt: Date | null;
  isSuspended: boolean;
  /** Seat limit override; null inherits the policy's. */
  maxMachines?: number | null | undefined;
  maxDeactivations?: number | null | undefined;
  isFloating?: boolean | null | undefined;
  features?: Record<string, FeatureValue> | undefined;
  tags?: string[] | undefined;
  allowedMachines?: string[] | undefined;
  createdAt?: Date | undefined;
  termSeconds?: number | null | undefined;
  hasTrialActivation?: boolean | undefined;
  /** Each new machine's activation is valid this long (AuthTool's multi-activation keys). */
  activationPeriod?: CalendarPeriod | undefined;
  activationCount?: number | undefined;
  deactivationCount?: number | undefined;
  machines?: ImportedMachine[] | undefined;
  dataObjects?: ImportedDataObject[] | undefined;
}

export const importActor = (kind: string): Actor => serverActor(`import:${kind}`);

export const emptyTally = (): ImportTally => ({ created: 0, updated: 0, skipped: 0 });

export function countInto(counts: ImportCounts, entity: string, outcome: ImportOutcome, n = 1): void {
  counts[entity] ??= emptyTally();
  (counts[entity] as ImportTally)[outcome] += n;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sameTime = (a: Date | null | undefined, b: Date | null | undefined) =>
  (a?.getTime() ?? null) === (b?.getTime() ?? null);
const sorted = (values: string[]) => [...new Set(values)].sort();

/** JSON with object keys in order, so two spellings of one input compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Whether a rerun reads what the job read: the same file text, key list, products and URL. */
const sameInput = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  canonicalJson(a) === canonicalJson(b);

/** The event types of the changes an import's counts record, per kind of record. */
const RECORD_CHANGES: Record<string, Partial<Record<ImportOutcome, string>>> = {
  products: { created: 'product.created' },
  policies: { created: 'policy.created' },
  customers: { created: 'customer.created', updated: 'customer.updated' },
  licenses: { created: 'license.imported', updated: 'license.updated' },
};

/**
 * The kinds of change an import made, as the event types a webhook filter names: its summary reaches the
 * endpoints that listen for them (core/webhook-event-filter.ts).
 */
export function importRecordTypes(counts: ImportCounts): string[] {
  const types = new Set<string>();
  for (const [entity, changes] of Object.entries(RECORD_CHANGES))
    for (const [outcome, type] of Object.entries(changes))
      if ((counts[entity]?.[outcome as ImportOutcome] ?? 0) > 0) types.add(type as string);
  return [...types].sort();
}

/**
 * How long a job is held by its runner between progress saves (it renews every third of this, however long a
 * page takes); a lapsed lease means the runner stopped. Server processes look for lapsed jobs every
 * IMPORT_RESUME_INTERVAL_MS, so a job whose process died is taken over within the sum of both: 45 s, the
 * "within a minute" docs/import.md promises.
 */
export const IMPORT_LEASE_MS = 30_000;
export const IMPORT_RESUME_INTERVAL_MS = 15_000;

/**
 * Writes what an import read from another service, idempotently: every record is linked to the Keyward
 * record made from it (per source), licenses are matched by their exact key, machines by fingerprint and data
 * objects by name, so a second run updates or skips instead of duplicating. Imported machines keep their
 * fingerprints and take their seats without the activation rules (they were activated at the vendor).
 */
export class ImportService {
  constructor(private readonly deps: { store: Store; clock: Clock; secretBox: SecretBox }) {}

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
      const rules = {
        name: input.name,
        maxMachines: input.maxMachines,
        maxDeactivations: input.maxDeactivations,
        allowVm: input.allowVm,
        isFloating: input.isFloating ?? false,
        leaseSeconds: input.leaseSeconds ?? 900,
        featureFields: input.featureFields,
      };
      const linked = await tx.imports.findLink(source, 'policy', input.externalId);
      const existing = linked === null ? null : await tx.policies.findById(linked);
      if (existing) {
        const changed = (Object.keys(rules) as Array<keyof typeof rules>).some(
          (k) => !sameJson(existing[k], rules[k]),
        );
        if (!changed) return { id: existing.id, outcome: 'skipped' as const };
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
      const wanted = this.licenseValues(input, policy, customerId);
      let license = await tx.licenses.findByKey(key);
      if (license) {
        const ours = await tx.imports.findLink(source, 'license', key);
        if (ours !== license.id) {
          // A key that exists here already and did not come from this source is left alone.
          countInto(counts, 'licenses', 'skipped');
          return counts;
        }
        const changes = this.licenseChanges(license, wanted);
        if (Object.keys(changes).length > 0) {
          license = await tx.licenses.update(license.id, { ...changes, updatedAt: now });
          countInto(counts, 'licenses', 'updated');
        } else countInto(counts, 'licenses', 'skipped');
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
      await this.importMachines(tx, license, input.machines ?? [], now, counts);
      await this.importDataObjects(tx, license, input.dataObjects ?? [], counts);
      return counts;
    });
  }

  private licenseValues(input: ImportedLicense, policy: Policy, customerId: number | null) {
    return {
      policyId: policy.id,
      customerId,
      email: input.email?.trim().toLowerCase() || null,
      notes: input.notes ?? null,
      expiresAt: input.expiresAt,
      isSuspended: input.isSuspended,
      overrides: {
        maxMachines: input.maxMachines ?? null,
        maxDeactivations: input.maxDeactivations ?? null,
        isFloating: input.isFloating ?? null,
        leaseSeconds: null,
        maxOverdraft: null,
        allowVm: null,
      },
      features: input.features ?? {},
      tags: sorted(input.tags ?? []),
      // Fingerprints the rule refuses could never activate here; they are left behind like empty ones.
      allowedMachines: [...new Set((input.allowedMachines ?? []).filter(isValidFingerprint))],
    };
  }

  private licenseChanges(license: License, wanted: ReturnType<ImportService['licenseValues']>) {
    const changes: Partial<Omit<License, 'id' | 'createdAt'>> = {};
    if (license.policyId !== wanted.policyId) changes.policyId = wanted.policyId;
    if (license.customerId !== wanted.customerId) changes.customerId = wanted.customerId;
    if (license.email !== wanted.email) changes.email = wanted.email;
    if (license.notes !== wanted.notes) changes.notes = wanted.notes;
    if (!sameTime(license.expiresAt, wanted.expiresAt)) changes.expiresAt = wanted.expiresAt;
    if (license.isSuspended !== wanted.isSuspended) changes.isSuspended = wanted.isSuspended;
    if (!sameJson(license.overrides, wanted.overrides)) changes.overrides = wanted.overrides;
    if (!sameJson(license.features, wanted.features)) changes.features = wanted.features;
    if (!sameJson(sorted(license.tags), wanted.tags)) changes.tags = wanted.tags;
    if (!sameJson(license.allowedMachines, wanted.allowedMachines))
      changes.allowedMachines = wanted.allowedMachines;
    return changes;
  }

  private async importMachines(
    tx: Repositories,
    license: License,
    machines: ImportedMachine[],
    now: Date,
    counts: ImportCounts,
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

  // Jobs ---------------------------------------------------------------------------------------------

  /**
   * Starts a job, or takes over the unfinished job of the same kind and source when it was started with the
   * same input (its checkpoint tells the runner where to continue). Refused while another runner's lease on
   * that job still runs.
   *
   * Input that differs from the unfinished job's (a CSV file fixed after a failure, another key list or
   * product filter) starts a new job that reads it from the start and names the job it replaces; that job is
   * never continued. Records the replaced job wrote are matched by the links of the source (licenses by key),
   * so the new job updates or skips them and duplicates nothing.
   */
  async startJob(input: {
    kind: ImportKind;
    source: string;
    options: Record<string, unknown>;
    credential: string | null;
    owner?: string;
  }): Promise<{
    job: ImportJob;
    owner: string;
    /** The unfinished job found, as it was before this run continued or replaced it. */
    earlier: ImportJob | null;
    resumed: boolean;
  }> {
    const owner = input.owner ?? randomUUID();
    const now = this.deps.clock.now();
    const leaseUntil = new Date(now.getTime() + IMPORT_LEASE_MS);
    const sealed = input.credential === null ? null : this.deps.secretBox.seal(input.credential);
    return this.deps.store.transaction(async (tx) => {
      const unfinished = await tx.imports.findUnfinished(input.kind, input.source);
      const running = (or = '') =>
        new DomainError('CONFLICT', `import ${unfinished?.id} from this source is running${or}`, {
          importId: unfinished?.id,
        });
      if (unfinished && sameInput(unfinished.options, input.options)) {
        if (!(await tx.imports.claim(unfinished.id, owner, now, leaseUntil))) throw running();
        await tx.imports.saveProgress(unfinished.id, owner, {
          checkpoint: unfinished.checkpoint,
          counts: unfinished.counts,
          progressDone: unfinished.progressDone,
          progressTotal: unfinished.progressTotal,
          updatedAt: now,
          leaseUntil,
          ...(sealed ? { sealedCredential: sealed } : {}),
        });
        const job = (await tx.imports.findJob(unfinished.id)) as ImportJob;
        return { job, owner, earlier: unfinished, resumed: true };
      }
      const job = await tx.imports.insertJob({
        kind: input.kind,
        source: input.source,
        status: 'running',
        options: input.options,
        checkpoint: null,
        counts: {},
        progressDone: 0,
        progressTotal: null,
        createdAt: now,
        updatedAt: now,
        sealedCredential: sealed,
        owner,
        leaseUntil,
        replacesJobId: unfinished?.id ?? null,
      });
      if (!unfinished) return { job, owner, earlier: null, resumed: false };
      // Conditional on nobody holding it: of two reruns at once, the second finds it replaced and gives up
      // (its new job rolls back with this transaction).
      if (!(await tx.imports.replace(unfinished.id, job.id, now, `replaced by import ${job.id}`)))
        throw running(' or was replaced by another run just now');
      // A job that was running (its runner stopped) ends here: it is summed up like any job that ends.
      if (unfinished.status === 'running')
        await tx.events.append(await this.summaryEvent(tx, unfinished.id, now));
      return { job, owner, earlier: unfinished, resumed: false };
    });
  }

  /** Takes over a job whose runner stopped (its lease lapsed); false when another runner holds it. */
  async claimJob(id: number, owner: string): Promise<boolean> {
    const now = this.deps.clock.now();
    return this.deps.store.imports.claim(id, owner, now, new Date(now.getTime() + IMPORT_LEASE_MS));
  }

  listAbandonedJobs(limit = 10): Promise<ImportJob[]> {
    return this.deps.store.imports.listAbandoned(this.deps.clock.now(), limit);
  }

  async credentialOf(id: number): Promise<string | null> {
    const sealed = await this.deps.store.imports.sealedCredential(id);
    return sealed === null ? null : this.deps.secretBox.open(sealed);
  }

  /** Saves progress and renews the lease; throws when another runner took the job over. */
  async checkpoint(
    job: Pick<ImportJob, 'id' | 'checkpoint' | 'counts' | 'progressDone' | 'progressTotal'>,
    owner: string,
  ): Promise<void> {
    const now = this.deps.clock.now();
    const saved = await this.deps.store.imports.saveProgress(job.id, owner, {
      checkpoint: job.checkpoint,
      counts: job.counts,
      progressDone: job.progressDone,
      progressTotal: job.progressTotal,
      updatedAt: now,
      leaseUntil: new Date(now.getTime() + IMPORT_LEASE_MS),
    });
    if (!saved) throw new DomainError('CONFLICT', `import ${job.id} was taken over by another runner`);
  }

  /** Lets go of a job that stops unfinished (shutdown), so the next run may take it over at once. */
  async releaseJob(
    job: Pick<ImportJob, 'id' | 'checkpoint' | 'counts' | 'progressDone' | 'progressTotal'>,
    owner: string,
  ): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.imports.saveProgress(job.id, owner, {
      checkpoint: job.checkpoint,
      counts: job.counts,
      progressDone: job.progressDone,
      progressTotal: job.progressTotal,
      updatedAt: now,
      leaseUntil: now,
    });
  }

  /** Ends the job and records its summary, the one event webhook endpoints hear of an import by default. */
  async finishJob(
    job: Pick<ImportJob, 'id' | 'counts' | 'progressDone'>,
    owner: string,
    error: string | null,
  ): Promise<ImportJob> {
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const finished = await tx.imports.finish(job.id, owner, {
        status: error === null ? 'succeeded' : 'failed',
        counts: job.counts,
        progressDone: job.progressDone,
        error,
        updatedAt: now,
        finishedAt: now,
      });
      if (finished) await tx.events.append(await this.summaryEvent(tx, job.id, now));
    });
    return this.getJob(job.id);
  }

  /**
   * `import.completed` or `import.failed` with the job's counts, the kinds of change it made and the products
   * of its source, so that endpoints which do not take every imported record still hear of them at once.
   */
  private async summaryEvent(tx: Repositories, id: number, now: Date): Promise<NewEvent> {
    const job = (await tx.imports.findJob(id)) as ImportJob;
    return newEvent(
      job.status === 'succeeded' ? 'import.completed' : 'import.failed',
      importActor(job.kind),
      now,
      {},
      {
        importId: job.id,
        kind: job.kind,
        source: job.source,
        status: job.status,
        error: job.error,
        counts: job.counts,
        recordTypes: importRecordTypes(job.counts),
        productIds: await tx.imports.listLinkedIds(job.source, 'product'),
      },
    );
  }

  async getJob(id: number): Promise<ImportJob> {
    const job = await this.deps.store.imports.findJob(id);
    if (!job) throw new DomainError('NOT_FOUND', `import ${id} does not exist`);
    return job;
  }

  listJobs(input: { before: number | null; limit: number }): Promise<ImportJob[]> {
    return this.deps.store.imports.listJobs(input);
  }

  /**
   * Runs a job's work in the background: it outlives the request that started it, so it must not join (or
   * wait for) that request's transaction.
   */
  inBackground<T>(work: () => T): T {
    return this.deps.store.detached(work);
  }
}
