import type { Actor } from '../access/actor.js';
import {
  assertMayIssueLicenses,
  assertMayReachCustomers,
  assertProductAccess,
  assertScope,
  canAccessLicense,
  canAccessProduct,
  licenseNotFound,
  type Principal,
  policyNotFound,
  seesEveryLicenseOf,
} from '../access/principal.js';
import { grantSeats } from '../access/token-limits.js';
import { withRelativeDefaults } from '../catalog/feature-defaults.js';
import { resolveFeatures } from '../catalog/feature-values.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { changedAt } from '../machines/license-version.js';
import { checkAllowedMachines } from '../machines/machine-identity.js';
import type { Customer, DataObject, License, LicenseRules, NamedUser, Policy, Reseller } from '../model.js';
import { effectiveRules } from '../model.js';
import { type ReachablePage, reachablePage } from '../paged.js';
import type { Repositories, Store } from '../ports.js';
import { stripUndefined } from '../strip-undefined.js';
import { trialActivationChange } from '../trials/trial-term.js';
import { addCalendarPeriod, type CalendarPeriod, checkCalendarPeriod } from './calendar-period.js';
import { assertExpressible } from './expressible-instant.js';
import { keySearchForm } from './key-search.js';
import { checkLicenseChange, type LicenseChangeGuards } from './license-change-checks.js';
import { generateLicenseKey } from './license-key.js';
import type { LicenseFilter, LicenseWithSeats, NewLicense } from './license-ports.js';
import { assertNotRevoked, licenseStatus } from './license-status.js';
import {
  type LicenseState,
  type LicenseView,
  type LicenseWithStatus,
  licenseState,
  licenseView,
} from './license-view.js';

export interface LicenseInput {
  /** A key to keep (imports); generated from the policy's format when absent. */
  key?: string;
  /** Products unlocked besides the policy's own. */
  extraProductIds?: number[];
  customerId?: number | null;
  email?: string | null;
  notes?: string | null;
  alias?: string | null;
  /** Overrides the lifetime the policy gives. */
  expiresAt?: Date | null;
  overrides?: Partial<{ [K in keyof LicenseRules]: LicenseRules[K] | null }>;
  isCleanable?: boolean;
  isSuspended?: boolean;
  features?: Record<string, unknown>;
  tags?: string[];
  allowedMachines?: string[];
  namedUsers?: NamedUser[];
  /** The length of one term (Cryptolens' Period); trial activation restarts it. */
  termSeconds?: number | null;
  hasTrialActivation?: boolean;
  resellerId?: number | null;
  /** Set only by TrialService: the machine a per-machine trial key belongs to. */
  trialFingerprint?: string;
  /** Each activation is valid this calendar period from the machine's first activation. */
  activationPeriod?: CalendarPeriod;
  /** The key's lifetime from creation; sets `expiresAt` unless that is given too. */
  termPeriod?: CalendarPeriod;
}

export type LicenseChanges = Omit<LicenseInput, 'key' | 'isSuspended' | 'trialFingerprint'> & {
  policyId?: number;
};

/** What a license names besides its own state (relationsOf). */
export interface LicenseRelations {
  customer: Customer | null;
  reseller: Reseller | null;
  dataObjects: DataObject[];
}

export const MAX_BATCH = 1000;
/** Keys differing only in case, dashes and spaces are rare; this many are read to tell them apart. */
const ALIKE_KEYS_READ = 100;
/** Licenses read at a time when walking a whole list (eachState). */
const STATE_BATCH = 500;
const NO_OVERRIDES = {
  maxMachines: null,
  maxDeactivations: null,
  isFloating: null,
  leaseSeconds: null,
  maxOverdraft: null,
  allowVm: null,
};

function normalizeEmail(email: string | null | undefined): string | null | undefined {
  return typeof email === 'string' ? email.trim().toLowerCase() : email;
}

function uniqueStrings(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
}

/** Calendar periods of a new license, checked; absent when not given so other licenses read back unchanged. */
function periodsOf(input: LicenseInput): Pick<License, 'activationPeriod' | 'termPeriod'> {
  return {
    ...(input.activationPeriod
      ? { activationPeriod: checkCalendarPeriod(input.activationPeriod, 'activationPeriod') }
      : {}),
    ...(input.termPeriod ? { termPeriod: checkCalendarPeriod(input.termPeriod, 'termPeriod') } : {}),
  };
}

function expiryFromPolicy(policy: Policy, now: Date): Date | null {
  if (policy.durationSeconds === null || policy.expirationBasis !== 'CREATION') return null;
  return new Date(now.getTime() + policy.durationSeconds * 1000);
}

/** Creating, reading and changing licenses. Activation lives in MachineService. */
export class LicenseService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async create(actor: Actor, policyId: number, input: LicenseInput): Promise<License> {
    const [license] = await this.createMany(actor, policyId, [input]);
    return license as License;
  }

  /**
   * All or nothing: one transaction for the whole batch. `within` runs in that transaction after the inserts,
   * for use cases that create more alongside (a trial key's first machine).
   */
  async createMany(
    actor: Actor,
    policyId: number,
    inputs: LicenseInput[],
    within?: (tx: Repositories, created: License[], policy: Policy, now: Date) => Promise<License[]>,
  ): Promise<License[]> {
    assertScope(actor.principal, 'licenses:write');
    if (inputs.length === 0 || inputs.length > MAX_BATCH) {
      throw new DomainError('INVALID_INPUT', `a batch holds 1 to ${MAX_BATCH} licenses`, { field: 'count' });
    }
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const policy = await tx.policies.findById(policyId);
      // Locked credentials are refused before any id is looked at, so the refusal tells nothing.
      assertMayIssueLicenses(actor.principal, []);
      if (!policy || !canAccessProduct(actor.principal, policy.productId)) throw policyNotFound(policyId);
      assertMayIssueLicenses(
        actor.principal,
        inputs.flatMap((input) => input.extraProductIds ?? []),
      );
      if (inputs.some((input) => input.customerId != null)) assertMayReachCustomers(actor.principal);
      const created: License[] = [];
      for (const input of inputs) {
        const built = await this.buildLicense(tx, policy, input, now);
        assertExpressible(built.expiresAt, 'expiresAt');
        const license = await tx.licenses.insert(built);
        created.push(license);
        await tx.events.append(
          newEvent('license.created', actor, now, { licenseId: license.id, productId: policy.productId }),
        );
      }
      await grantSeats(
        tx,
        actor.tokenId,
        created.map((l) => effectiveRules(l, policy).maxMachines),
      );
      return within ? within(tx, created, policy, now) : created;
    });
  }

  private async buildLicense(
    tx: Repositories,
    policy: Policy,
    input: LicenseInput,
    now: Date,
  ): Promise<NewLicense> {
    const productIds = [
      policy.productId,
      ...(input.extraProductIds ?? []).filter((id) => id !== policy.productId),
    ];
    await this.assertProductsExist(tx, productIds);
    if (input.customerId != null) await this.assertCustomerExists(tx, input.customerId);
    if (input.resellerId != null) await this.assertResellerExists(tx, input.resellerId);
    return {
      ...(input.termSeconds != null ? { termSeconds: input.termSeconds } : {}),
      ...(input.hasTrialActivation ? { hasTrialActivation: true } : {}),
      ...(input.resellerId != null ? { resellerId: input.resellerId } : {}),
      ...(input.trialFingerprint !== undefined ? { trialFingerprint: input.trialFingerprint } : {}),
      ...periodsOf(input),
      key: input.key ?? generateLicenseKey(policy.keyFormat),
      policyId: policy.id,
      productIds: [...new Set(productIds)],
      customerId: input.customerId ?? null,
      email: normalizeEmail(input.email) ?? null,
      notes: input.notes ?? null,
      alias: input.alias ?? null,
      expiresAt:
        input.expiresAt !== undefined
          ? input.expiresAt
          : input.termPeriod
            ? addCalendarPeriod(now, input.termPeriod)
            : expiryFromPolicy(policy, now),
      firstActivatedAt: null,
      isSuspended: input.isSuspended ?? false,
      revokedAt: null,
      overrides: { ...NO_OVERRIDES, ...stripUndefined(input.overrides ?? {}) },
      isCleanable: input.isCleanable ?? false,
      activationCount: 0,
      deactivationCount: 0,
      resetCount: 0,
      features: resolveFeatures(
        policy.featureFields,
        await withRelativeDefaults(tx, policy, input.features ?? {}, now),
      ),
      tags: uniqueStrings(input.tags ?? []),
      allowedMachines: uniqueStrings(checkAllowedMachines(input.allowedMachines ?? [])),
      namedUsers: input.namedUsers ?? [],
      createdAt: now,
      updatedAt: now,
      lastValidatedAt: null,
    };
  }

  private async assertProductsExist(tx: Repositories, ids: number[]): Promise<void> {
    for (const id of new Set(ids)) {
      if (!(await tx.products.findById(id))) {
        throw new DomainError('NOT_FOUND', `product ${id} does not exist`, { field: 'productIds' });
      }
    }
  }

  private async assertResellerExists(tx: Repositories, id: number): Promise<void> {
    if (!(await tx.resellers.findById(id))) {
      throw new DomainError('NOT_FOUND', `reseller ${id} does not exist`, { field: 'resellerId' });
    }
  }

  private async assertCustomerExists(tx: Repositories, id: number): Promise<void> {
    if (!(await tx.customers.findById(id))) {
      throw new DomainError('NOT_FOUND', `customer ${id} does not exist`, { field: 'customerId' });
    }
  }

  async get(id: number): Promise<License> {
    const license = await this.deps.store.licenses.findById(id);
    if (!license) throw licenseNotFound();
    return license;
  }

  async getByKey(key: string): Promise<License> {
    const license = await this.deps.store.licenses.findByKey(key);
    if (!license) throw licenseNotFound();
    return license;
  }

  /**
   * The license a key names for this caller: the exact key, else the one key that differs from it only in
   * case, dashes and spaces. A license the caller may not reach is one that does not exist, also when it
   * would make the match ambiguous.
   */
  async findByKeyFor(principal: Principal | null, key: string): Promise<License> {
    const exact = await this.deps.store.licenses.findByKey(key);
    if (exact && canAccessLicense(principal, exact)) return exact;
    const form = keySearchForm(key.trim());
    if (form === '') throw licenseNotFound();
    const alike = (await this.deps.store.licenses.listBySearchForm(form, ALIKE_KEYS_READ)).filter((license) =>
      canAccessLicense(principal, license),
    );
    const [only, other] = alike;
    if (!only) throw licenseNotFound();
    if (other) {
      throw new DomainError(
        'INVALID_INPUT',
        'several keys differ from this one only in case, dashes or spaces: give the exact key',
        { field: 'key' },
      );
    }
    return only;
  }

  /**
   * The license an id or a key names, with its status now, if the caller may reach it; LICENSE_NOT_FOUND
   * otherwise. An all-digit text is an id first; imported keys may be all digits too, so it falls back to the
   * key. A read of a license: licenses:read.
   */
  async read(principal: Principal | null, idOrKey: string): Promise<LicenseWithStatus> {
    assertScope(principal, 'licenses:read');
    const byId = /^\d{1,10}$/.test(idOrKey) ? await this.find(principal, Number(idOrKey)) : null;
    const license = byId ?? (await this.findByKey(principal, idOrKey));
    if (!license) throw licenseNotFound();
    return this.stateOf(license);
  }

  /** The read model (license-view.ts) of a license the caller may reach; LICENSE_NOT_FOUND otherwise. */
  async view(principal: Principal | null, id: number): Promise<LicenseView> {
    assertScope(principal, 'licenses:read');
    const view = await this.findView(principal, id);
    if (!view) throw licenseNotFound();
    return view;
  }

  /**
   * Like view(), but null when there is no such license or the caller may not reach it, and asking no
   * scope of its own: a lookup that LimeLM's changes and reads of a key by pkey_id start with.
   */
  async findView(principal: Principal | null, id: number): Promise<LicenseView | null> {
    // One read of the license with its policy and machines (one round trip, or none from the read cache).
    return this.reachableView(principal, await this.deps.store.licenses.findWithSeatsById(id));
  }

  /** The view of a license read with its seats, or null when there is none or the caller may not reach it. */
  private reachableView(principal: Principal | null, found: LicenseWithSeats | null): LicenseView | null {
    if (!found?.policy || !canAccessLicense(principal, found.license)) return null;
    const { license, policy, machines } = found;
    return licenseView({ license, policy, machines, now: this.deps.clock.now() });
  }

  /** The license with this id if the caller may reach it; null otherwise, as for a missing one. */
  async find(principal: Principal | null, id: number): Promise<License | null> {
    const license = await this.deps.store.licenses.findById(id);
    return license && canAccessLicense(principal, license) ? license : null;
  }

  /** The license with exactly this key if the caller may reach it; null otherwise, as for a missing one. */
  async findByKey(principal: Principal | null, key: string): Promise<License | null> {
    const license = key === '' ? null : await this.deps.store.licenses.findByKey(key);
    return license && canAccessLicense(principal, license) ? license : null;
  }

  /**
   * The read models of licenses at one instant, in the order given, each with its policy and current
   * machines; licenses the caller may not reach are left out. What lists of licenses show: licenses:read.
   */
  async viewsOf(principal: Principal | null, licenses: readonly License[]): Promise<LicenseView[]> {
    assertScope(principal, 'licenses:read');
    return this.reachableViews(principal, licenses);
  }

  /** viewsOf without its scope, for the lookups findView and viewOf. */
  private async reachableViews(
    principal: Principal | null,
    licenses: readonly License[],
  ): Promise<LicenseView[]> {
    const { store } = this.deps;
    const reachable = licenses.filter((license) => canAccessLicense(principal, license));
    const policyIds = [...new Set(reachable.map((l) => l.policyId))];
    const policies = new Map(
      (await Promise.all(policyIds.map((id) => store.policies.findById(id)))).flatMap((p) =>
        p ? [[p.id, p] as const] : [],
      ),
    );
    const machines = await Promise.all(reachable.map((l) => store.machines.listActive(l.id)));
    const now = this.deps.clock.now();
    return reachable.flatMap((license, i) => {
      const policy = policies.get(license.policyId);
      return policy ? [licenseView({ license, policy, machines: machines[i] ?? [], now })] : [];
    });
  }

  /** A license with its status now: what changes and lists answer with, without the reads of a full view. */
  stateOf(license: License): LicenseWithStatus {
    return { license, status: licenseStatus(license, this.deps.clock.now()) };
  }

  /**
   * An app may present its license key as the credential when the license's policy allows it. Unknown keys
   * and keys whose policy forbids it get the same answer shape as bad tokens, so keys cannot be probed.
   */
  async credentialOf(key: string): Promise<Principal> {
    // One read (one round trip on PostgreSQL); the machines it brings along are not needed here.
    const found = await this.deps.store.licenses.findWithSeats(key);
    if (!found) throw new DomainError('UNAUTHENTICATED', 'the license key is unknown');
    if (!found.policy?.allowLicenseAuth) {
      throw new DomainError('FORBIDDEN', "this license's policy does not allow the key as a credential");
    }
    return { kind: 'license', license: found.license };
  }

  /**
   * The read model of a license the caller has just read or written (an activation's result, a page of a
   * list): only its policy and machines are read. It asks no scope: reading or writing the license asked one.
   */
  async viewOf(principal: Principal | null, license: License): Promise<LicenseView> {
    const [view] = await this.reachableViews(principal, [license]);
    if (!view) throw licenseNotFound();
    return view;
  }

  /**
   * The read model of the license with exactly this key, read with its policy and machines together (one
   * round trip on PostgreSQL); LICENSE_NOT_FOUND when there is none or the caller may not reach it.
   */
  async viewByKey(principal: Principal | null, key: string): Promise<LicenseView> {
    assertScope(principal, 'licenses:read');
    const view = await this.findViewByKey(principal, key);
    if (!view) throw licenseNotFound();
    return view;
  }

  /**
   * Like viewByKey(), but null when there is no such license or the caller may not reach it, and asking no
   * scope of its own: a lookup that Cryptolens GetKey (which validates the view it shows) and the data-object
   * methods of a machine code start with.
   */
  async findViewByKey(principal: Principal | null, key: string): Promise<LicenseView | null> {
    return this.reachableView(
      principal,
      key === '' ? null : await this.deps.store.licenses.findWithSeats(key),
    );
  }

  /**
   * The license with exactly this key (no case, dash or space folding: Cryptolens keys match exactly), when
   * the caller may reach it; LICENSE_NOT_FOUND otherwise.
   */
  async getByExactKey(principal: Principal | null, key: string): Promise<License> {
    const license = await this.findByKey(principal, key);
    if (!license) throw licenseNotFound();
    return license;
  }

  /**
   * The state (license-view.ts) of every license matching the filter that the caller may reach, lowest id
   * first, read in batches without their machines: for surfaces that filter a whole list by state. A read of
   * licenses: licenses:read, asked when the first state is.
   */
  async *eachState(principal: Principal | null, filter: LicenseFilter): AsyncGenerator<LicenseState> {
    assertScope(principal, 'licenses:read');
    const policies = new Map<number, Policy | null>();
    let after: number | null = null;
    for (;;) {
      const page = await this.list(filter, { after, limit: STATE_BATCH, order: 'asc' });
      const now = this.deps.clock.now();
      for (const license of page) {
        if (!canAccessLicense(principal, license)) continue;
        if (!policies.has(license.policyId))
          policies.set(license.policyId, await this.deps.store.policies.findById(license.policyId));
        const policy = policies.get(license.policyId);
        if (policy) yield licenseState({ license, policy, now });
      }
      const last = page[page.length - 1];
      if (page.length < STATE_BATCH || !last) return;
      after = last.id;
    }
  }

  /**
   * What a license names besides its own state, for surfaces that show them with it (Cryptolens' license
   * object): its customer, its reseller and its data objects. Whoever reaches the license sees them.
   */
  async relationsOf(principal: Principal | null, license: License): Promise<LicenseRelations> {
    if (!canAccessLicense(principal, license)) throw licenseNotFound();
    const { store } = this.deps;
    const [customer, reseller, dataObjects] = await Promise.all([
      license.customerId !== null ? store.customers.findById(license.customerId) : null,
      license.resellerId != null ? store.resellers.findById(license.resellerId) : null,
      store.dataObjects.list({ ownerType: 'license', ownerId: license.id }),
    ]);
    return { customer, reseller, dataObjects };
  }

  list(
    filter: LicenseFilter,
    page: { after: number | null; limit: number; order?: 'asc' | 'desc' },
  ): Promise<License[]> {
    return this.deps.store.licenses.list(
      { ...filter, email: normalizeEmail(filter.email) ?? undefined },
      { ...page, now: this.deps.clock.now() },
    );
  }

  /**
   * A page of the licenses matching the filter, each with its status now; licenses the caller may not reach
   * are left out (the cursor still moves past them). What the list of licenses shows: licenses:read.
   */
  async listReachable(
    principal: Principal | null,
    filter: LicenseFilter,
    page: { after: number | null; limit: number; order?: 'asc' | 'desc' },
  ): Promise<ReachablePage<LicenseWithStatus>> {
    assertScope(principal, 'licenses:read');
    const read = reachablePage(await this.list(filter, page), page.limit, (license) =>
      canAccessLicense(principal, license),
    );
    return { ...read, items: read.items.map((license) => this.stateOf(license)) };
  }

  /**
   * How many licenses a list with this filter holds, counted up to `max` (`isExact` false: more than `max`);
   * null when the caller's locks hide some of them, so a count would tell it about licenses it may not see.
   */
  async count(
    principal: Principal | null,
    filter: LicenseFilter,
    max: number,
  ): Promise<{ count: number; isExact: boolean } | null> {
    assertScope(principal, 'licenses:read');
    if (!seesEveryLicenseOf(principal, filter)) return null;
    const counted = await this.deps.store.licenses.countUpTo(
      { ...filter, email: normalizeEmail(filter.email) ?? undefined },
      { now: this.deps.clock.now(), max },
    );
    return counted > max ? { count: max, isExact: false } : { count: counted, isExact: true };
  }

  /** Runs a change on a locked license and records it as one event. */
  private async change(
    actor: Actor,
    id: number,
    type: string,
    work: (tx: Repositories, license: License, policy: Policy, now: Date) => Promise<Partial<License>>,
  ): Promise<License> {
    assertScope(actor.principal, 'licenses:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const license = await tx.licenses.lockById(id);
      if (!license || !canAccessLicense(actor.principal, license)) throw licenseNotFound();
      const policy = (await tx.policies.findById(license.policyId)) as Policy;
      const changes = await work(tx, license, policy, now);
      assertExpressible(changes.expiresAt, 'expiresAt');
      // Never a stamp the row holds already: an activation that read the license unlocked must see it changed.
      const updated = await tx.licenses.update(id, { ...changes, updatedAt: changedAt(license, now) });
      await tx.events.append(
        newEvent(
          type,
          actor,
          now,
          { licenseId: id, productId: policy.productId },
          { changes: describe(changes) },
        ),
      );
      return updated;
    });
  }

  /** `guards` asks for stricter rules than the native API's (see license-change-checks.ts). */
  update(
    actor: Actor,
    id: number,
    input: LicenseChanges,
    guards: LicenseChangeGuards = {},
  ): Promise<License> {
    return this.change(actor, id, 'license.updated', async (tx, license, current, now) => {
      const policy = input.policyId !== undefined ? await tx.policies.findById(input.policyId) : current;
      if (!policy || !canAccessProduct(actor.principal, policy.productId))
        throw policyNotFound(input.policyId);
      const changes: Partial<License> = stripUndefined({
        policyId: input.policyId,
        customerId: input.customerId,
        email: normalizeEmail(input.email),
        notes: input.notes,
        alias: input.alias,
        expiresAt: input.expiresAt,
        isCleanable: input.isCleanable,
        namedUsers: input.namedUsers,
        tags: input.tags && uniqueStrings(input.tags),
        allowedMachines: input.allowedMachines && uniqueStrings(checkAllowedMachines(input.allowedMachines)),
        termSeconds: input.termSeconds,
        hasTrialActivation: input.hasTrialActivation,
        resellerId: input.resellerId,
      });
      if (input.customerId !== undefined) assertMayReachCustomers(actor.principal);
      if (input.customerId != null) await this.assertCustomerExists(tx, input.customerId);
      if (input.resellerId != null) await this.assertResellerExists(tx, input.resellerId);
      if (input.extraProductIds !== undefined || input.policyId !== undefined) {
        const extras = input.extraProductIds ?? license.productIds.slice(1);
        const productIds = [...new Set([policy.productId, ...extras])];
        for (const productId of input.extraProductIds ?? []) assertProductAccess(actor.principal, productId);
        await this.assertProductsExist(tx, productIds);
        changes.productIds = productIds;
      }
      if (input.overrides) changes.overrides = { ...license.overrides, ...stripUndefined(input.overrides) };
      if (input.features || input.policyId !== undefined) {
        changes.features = resolveFeatures(policy.featureFields, input.features ?? {}, license.features);
      }
      await checkLicenseChange({ tx, actor, license, before: current, after: policy, changes, guards, now });
      return changes;
    });
  }

  /**
   * Switches trial activation. The term it restarts is decided (trial-term.ts) from the license as locked in
   * the same transaction as the write, so a term changed meanwhile is never overwritten by a stale one.
   */
  setTrialActivation(actor: Actor, id: number, isEnabled: boolean): Promise<License> {
    return this.change(actor, id, 'license.updated', async (_tx, license) =>
      trialActivationChange(license, isEnabled),
    );
  }

  suspend(actor: Actor, id: number): Promise<License> {
    return this.change(actor, id, 'license.suspended', async () => ({ isSuspended: true }));
  }

  /** Lifts a suspension; a revoked license stays revoked (license-status.ts). */
  reinstate(actor: Actor, id: number): Promise<License> {
    return this.change(actor, id, 'license.reinstated', async (_tx, license) => {
      assertNotRevoked(license);
      return { isSuspended: false };
    });
  }

  /** Revocation is final: a revoked key never validates again. */
  revoke(actor: Actor, id: number): Promise<License> {
    return this.change(actor, id, 'license.revoked', async (_tx, license, _policy, now) => {
      if (license.revokedAt) throw new DomainError('CONFLICT', 'the license is already revoked');
      return { revokedAt: now };
    });
  }

  /** Moves the expiry `seconds` later, counting from the current expiry, or from now if it already passed. */
  extend(actor: Actor, id: number, input: { seconds?: number; expiresAt?: Date }): Promise<License> {
    return this.change(actor, id, 'license.extended', async (_tx, license, _policy, now) => {
      if (input.expiresAt) return { expiresAt: input.expiresAt };
      if (input.seconds === undefined) {
        throw new DomainError('INVALID_INPUT', 'give seconds or expiresAt', { field: 'seconds' });
      }
      const base = license.expiresAt && license.expiresAt > now ? license.expiresAt : now;
      return { expiresAt: new Date(base.getTime() + input.seconds * 1000) };
    });
  }

  /** Frees every seat without touching the deactivation counter. */
  reset(actor: Actor, id: number): Promise<License> {
    return this.change(actor, id, 'license.reset', async (tx, license, _policy, now) => {
      await tx.machines.deactivateAll(id, now);
      return { activationCount: 0, resetCount: license.resetCount + 1 };
    });
  }

  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'licenses:write');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const license = await tx.licenses.lockById(id);
      if (!license || !canAccessLicense(actor.principal, license)) throw licenseNotFound();
      // Data objects are attached by owner type and id, without foreign keys, so they go explicitly.
      await tx.dataObjects.deleteOfLicense(id);
      await tx.licenses.delete(id);
      await tx.events.append(
        newEvent('license.deleted', actor, now, { licenseId: id, productId: license.productIds[0] ?? null }),
      );
    });
  }
}

/** Event payloads name what changed without copying secrets or whole feature maps. */
function describe(changes: Partial<License>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(changes)) {
    if (name === 'updatedAt') continue;
    out[name] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}
