import type { Actor } from '../access/actor.js';
import {
  assertLicenseAccess,
  assertScope,
  canAccessLicense,
  licenseNotFound,
  type Principal,
} from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError, isDomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { assertNotBlocked } from '../licenses/license-status.js';
import type { License, Machine, Policy } from '../model.js';
import { effectiveRules, isFloatingMachine, wasFreedByLapse } from '../model.js';
import type { BookkeepingQueue } from '../operations/bookkeeping-queue.js';
import type { Repositories, Store } from '../ports.js';
import {
  type ActivationRequest,
  decideActivation,
  decideDeactivation,
  TRIAL_ACTIVATION_SETTING,
  type TrialActivationMode,
} from './decide-activation.js';
import { changedAt } from './license-version.js';
import { checkMachineIdentity } from './machine-identity.js';
import { optimisticActivation } from './optimistic-activation.js';
import { releaseLapsedLeases } from './release-lapsed-leases.js';

export interface ActivationResult {
  machine: Machine;
  license: License;
  /** False when the fingerprint already held a seat and nothing was consumed. */
  isNew: boolean;
}

/** An activation that may have been admitted without a seat (`machine` null); see `recordsUnlimitedMachines`. */
export type SeatResult = ActivationResult | { machine: null; license: License; isNew: false };

export type SeatPool = 'floating' | 'node-locked';

interface LockedLicense {
  license: License;
  policy: Policy;
  machines: Machine[];
}

/** Reads the product-wide trial activation setting; only licenses with trial activation need it. */
async function trialActivationModeOf(
  tx: Repositories,
  license: License,
  productId: number,
): Promise<TrialActivationMode> {
  if (!license.hasTrialActivation) return 'each_new_machine';
  const objects = await tx.dataObjects.list({ ownerType: 'product', ownerId: productId });
  const setting = objects.find((o) => o.name === TRIAL_ACTIVATION_SETTING);
  return setting?.stringValue.trim().toLowerCase() === 'first_activation'
    ? 'first_activation'
    : 'each_new_machine';
}

/** Machines a history read asks for at a time. */
const HISTORY_PAGE = 500;

/** Activation, heartbeat and deactivation: everything that takes or frees a seat. */
export const machineNotFound = (id: number) =>
  new DomainError('MACHINE_NOT_FOUND', `machine ${id} does not exist`);

/** Activation, heartbeat and deactivation: everything that takes or frees a seat. */
export class MachineService {
  constructor(private readonly deps: { store: Store; clock: Clock; bookkeeping: BookkeepingQueue }) {}

  /**
   * Locks the license for the rest of the transaction, then frees seats whose floating lease lapsed so the
   * count the decision sees is the true one.
   */
  private async lock(tx: Repositories, licenseId: number, actor: Actor, now: Date): Promise<LockedLicense> {
    const locked = await tx.licenses.lockWithSeats(licenseId);
    if (!locked) throw new DomainError('LICENSE_NOT_FOUND', 'no license has this key');
    const { license } = locked;
    const policy = locked.policy as Policy;
    const { remaining } = await releaseLapsedLeases(
      tx,
      { licenseId, productId: policy.productId },
      locked.machines,
      actor,
      now,
    );
    return { license, policy, machines: remaining };
  }

  async activate(actor: Actor, licenseId: number, request: ActivationRequest): Promise<ActivationResult> {
    const result = await this.activateSeat(actor, licenseId, { ...request, recordsUnlimitedMachines: true });
    if (!result.machine) throw new Error('an activation that records machines returned none');
    return result;
  }

  /** Like `activate`, for callers that may ask not to record machines of unlimited licenses. */
  async activateSeat(actor: Actor, licenseId: number, asked: ActivationRequest): Promise<SeatResult> {
    // Before anything is read or recorded: a refused caller leaves no refused-activation event either.
    assertScope(actor.principal, 'machines:write');
    // Every surface's activation passes here: what the machine calls itself is checked once, for all.
    const request = checkMachineIdentity(asked);
    const now = this.deps.clock.now();
    try {
      const optimistic = await this.activateOptimistically(actor, licenseId, request, now);
      if (optimistic) return optimistic;
      return await this.deps.store.transaction(async (tx): Promise<SeatResult> => {
        const { license, policy, machines } = await this.lock(tx, licenseId, actor, now);
        const trialActivationMode = await trialActivationModeOf(tx, license, policy.productId);
        const decision = decideActivation({ license, policy, machines, request, now, trialActivationMode });
        const subject = { licenseId, productId: policy.productId };
        if (decision.kind === 'unrecorded') {
          await tx.events.append(
            newEvent('machine.activated', actor, now, subject, {
              isNew: false,
              isRecorded: false,
              fingerprint: request.fingerprint,
            }),
          );
          return { machine: null, license, isNew: false };
        }
        if (decision.kind === 'existing') {
          const machine = await tx.machines.touch(decision.machine.id, {
            lastSeenAt: now,
            leaseExpiresAt: decision.leaseExpiresAt,
            ip: request.ip ?? decision.machine.ip,
          });
          await tx.events.append(
            newEvent(
              'machine.activated',
              actor,
              now,
              { ...subject, machineId: machine.id },
              { isNew: false },
            ),
          );
          return { machine, license, isNew: false };
        }
        const machine = decision.revive
          ? await tx.machines.replace(decision.revive.id, decision.machine)
          : await tx.machines.insert(decision.machine);
        const updated = await tx.licenses.update(licenseId, {
          ...decision.licenseChanges,
          activationCount: license.activationCount + 1,
          updatedAt: now,
        });
        await tx.events.append(
          newEvent(
            'machine.activated',
            actor,
            now,
            { ...subject, machineId: machine.id },
            { isNew: true, fingerprint: machine.fingerprint, isOverdraft: machine.isOverdraft },
          ),
        );
        return { machine, license: updated, isNew: true };
      });
    } catch (error) {
      if (isDomainError(error) && error.code !== 'LICENSE_NOT_FOUND') {
        this.deps.bookkeeping.record(
          newEvent(
            'machine.activation_refused',
            actor,
            now,
            { licenseId, code: error.code },
            { fingerprint: request.fingerprint },
          ),
          { touchLicense: false },
        );
      }
      throw error;
    }
  }

  /**
   * A new machine on a license nothing else is happening to, without the license lock: one read and one
   * guarded write (two round trips on PostgreSQL, instead of a transaction of about nine holding the row lock
   * across them; on SQLite both in one member of the group commit, as the locked path's transaction was). Null
   * when optimisticActivation leaves it to the locked path, or when the license changed between the read and
   * the write; nothing was written then, and the locked path runs as if this had not been tried.
   */
  private async activateOptimistically(
    actor: Actor,
    licenseId: number,
    request: ActivationRequest,
    now: Date,
  ): Promise<ActivationResult | null> {
    return this.deps.store.atomicWrite(async (tx) => {
      const found = await tx.licenses.findWithSeatsById(licenseId);
      const write = optimisticActivation({ found, request, actor, now });
      const written = write && (await tx.machines.activateIfUnchanged(write));
      return written ? { ...written, isNew: true } : null;
    });
  }

  /**
   * Keeps a machine alive; a floating lease is renewed, or re-taken if it lapsed and a seat is free — also once
   * the lapsed lease was freed (by the sweep or another activation), so a late heartbeat gets the same answer
   * whenever the sweep ran.
   */
  async heartbeat(
    actor: Actor,
    machineId: number,
    options: { leaseSeconds?: number } = {},
  ): Promise<Machine> {
    assertScope(actor.principal, 'machines:write');
    const now = this.deps.clock.now();
    const found = await this.deps.store.machines.findById(machineId);
    if (!found || (found.deactivatedAt && !wasFreedByLapse(found)))
      throw new DomainError('MACHINE_NOT_FOUND', `machine ${machineId} is not active`);
    return this.deps.store.transaction(async (tx) => {
      const { license, policy, machines } = await this.lock(tx, found.licenseId, actor, now);
      const machine = (await tx.machines.findById(machineId)) as Machine;
      const rules = effectiveRules(license, policy);
      // Read again under the lock: deactivated meanwhile, other than by its lease lapsing, it stays so.
      if (machine.deactivatedAt && !wasFreedByLapse(machine))
        throw new DomainError('MACHINE_NOT_FOUND', `machine ${machineId} is not active`);
      if (!machine.leaseExpiresAt) return tx.machines.touch(machineId, { lastSeenAt: now });
      const leaseSeconds = options.leaseSeconds ?? rules.leaseSeconds;
      const decision = decideActivation({
        license,
        policy,
        machines,
        now,
        request: {
          fingerprint: machine.fingerprint,
          name: machine.name,
          ip: machine.ip,
          platform: machine.platform,
          isVm: machine.isVm,
          username: machine.username,
          lease: { seconds: leaseSeconds, maxOverdraft: rules.maxOverdraft },
        },
      });
      if (decision.kind === 'existing') {
        // The fingerprint's live seat, which is this machine unless its lapsed lease was freed and the same
        // fingerprint took a seat again since.
        return tx.machines.touch(decision.machine.id, {
          lastSeenAt: now,
          leaseExpiresAt: decision.leaseExpiresAt,
        });
      }
      if (decision.kind === 'unrecorded') throw new Error('a floating lease is always recorded');
      // The lease lapsed and was reclaimed above; the machine takes a seat again as a fresh lease.
      const revived = await tx.machines.insert(decision.machine);
      // A seat taken without counting an activation: the stamp tells an optimistic activation that read the
      // license before this one (LicenseVersion) that its count of seats is stale.
      await tx.licenses.update(license.id, { updatedAt: changedAt(license, now) });
      await tx.events.append(
        newEvent(
          'machine.activated',
          actor,
          now,
          {
            licenseId: license.id,
            productId: policy.productId,
            machineId: revived.id,
          },
          { isNew: true, revivedFrom: machineId },
        ),
      );
      return revived;
    });
  }

  async deactivate(actor: Actor, machineId: number): Promise<void> {
    assertScope(actor.principal, 'machines:write');
    const now = this.deps.clock.now();
    const found = await this.deps.store.machines.findById(machineId);
    if (!found || found.deactivatedAt)
      throw new DomainError('MACHINE_NOT_FOUND', `machine ${machineId} is not active`);
    await this.deps.store.transaction(async (tx) => {
      const license = await tx.licenses.lockById(found.licenseId);
      const machine = await tx.machines.findById(machineId);
      if (!license || !machine || machine.deactivatedAt) {
        throw new DomainError('MACHINE_NOT_FOUND', `machine ${machineId} is not active`);
      }
      await this.freeSeat(tx, actor, license, machine, now);
    });
  }

  /**
   * Gives back the seat a fingerprint holds in one pool, for protocols that name machines only by fingerprint
   * (Cryptolens). `refuseWhenBlocked`: a suspended or revoked license may not free seats. `allowMissing`: a
   * fingerprint without a live seat is no error (Cryptolens releases floating leases that way); the answer
   * says whether a seat was freed.
   */
  async deactivateFingerprint(
    actor: Actor,
    licenseId: number,
    fingerprint: string,
    options: { pool: SeatPool; refuseWhenBlocked: boolean; allowMissing: boolean },
  ): Promise<boolean> {
    assertScope(actor.principal, 'machines:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const license = await tx.licenses.lockById(licenseId);
      if (!license) throw new DomainError('LICENSE_NOT_FOUND', 'no license has this key');
      if (options.refuseWhenBlocked) assertNotBlocked(license, now);
      const machine = (await tx.machines.listActive(licenseId)).find(
        (m) => m.fingerprint === fingerprint && isFloatingMachine(m) === (options.pool === 'floating'),
      );
      if (!machine) {
        if (options.allowMissing) return false;
        throw new DomainError('MACHINE_NOT_FOUND', 'no active machine has this fingerprint');
      }
      await this.freeSeat(tx, actor, license, machine, now);
      return true;
    });
  }

  /**
   * Deactivates a live machine of the license locked in `tx`: the one body every deactivation passes through,
   * so the deactivation limit (decideDeactivation), the counter and the event are the same whichever way the
   * machine was named.
   */
  private async freeSeat(
    tx: Repositories,
    actor: Actor,
    license: License,
    machine: Machine,
    now: Date,
  ): Promise<void> {
    const policy = (await tx.policies.findById(license.policyId)) as Policy;
    const { countsTowardLimit } = decideDeactivation({ license, policy, machine });
    await tx.machines.deactivate(machine.id, now);
    if (countsTowardLimit) {
      await tx.licenses.update(license.id, {
        deactivationCount: license.deactivationCount + 1,
        updatedAt: now,
      });
    }
    await tx.events.append(
      newEvent(
        'machine.deactivated',
        actor,
        now,
        { licenseId: license.id, productId: policy.productId, machineId: machine.id },
        { fingerprint: machine.fingerprint, countsTowardLimit },
      ),
    );
  }

  async get(id: number): Promise<Machine> {
    const machine = await this.deps.store.machines.findById(id);
    if (!machine) throw machineNotFound(id);
    return machine;
  }

  /**
   * The machines of a license the caller reaches (a license it may not reach is one that does not exist), or
   * of every license for a credential locked to nothing.
   */
  async list(
    principal: Principal | null,
    query: { licenseId: number | null; includeDeactivated: boolean; after: number | null; limit: number },
  ): Promise<Machine[]> {
    assertScope(principal, 'machines:read');
    if (query.licenseId !== null) {
      const license = await this.deps.store.licenses.findById(query.licenseId);
      if (!license) throw licenseNotFound();
      assertLicenseAccess(principal, license);
    } else if (
      principal.kind === 'license' ||
      principal.token.licenseId !== null ||
      principal.token.productIds.length > 0
    ) {
      throw new DomainError('INVALID_INPUT', 'this credential must give licenseId', { field: 'licenseId' });
    }
    return this.deps.store.machines.list(query);
  }

  /** A machine of a license the caller may reach, read: machines:read; MACHINE_NOT_FOUND otherwise. */
  async read(principal: Principal | null, id: number): Promise<Machine> {
    assertScope(principal, 'machines:read');
    const machine = await this.find(principal, id);
    if (!machine) throw machineNotFound(id);
    return machine;
  }

  /** A machine, deactivated or not, of a license the caller may reach; null otherwise, as for a missing one. */
  async find(principal: Principal | null, id: number): Promise<Machine | null> {
    const machine = await this.deps.store.machines.findById(id);
    if (!machine) return null;
    const license = await this.deps.store.licenses.findById(machine.licenseId);
    return license && canAccessLicense(principal, license) ? machine : null;
  }

  /** A machine still registered (not deactivated) on a license the caller may reach; null otherwise. */
  async findActivation(principal: Principal | null, id: number): Promise<Machine | null> {
    const machine = await this.find(principal, id);
    return machine && machine.deactivatedAt === null ? machine : null;
  }

  /**
   * Every machine ever registered on a license the caller may reach, deactivated and reset ones included,
   * oldest first; LICENSE_NOT_FOUND when the caller may not reach the license. A read of machines, as list().
   */
  async history(principal: Principal | null, licenseId: number): Promise<Machine[]> {
    assertScope(principal, 'machines:read');
    const license = await this.deps.store.licenses.findById(licenseId);
    if (!license || !canAccessLicense(principal, license)) throw licenseNotFound();
    const machines: Machine[] = [];
    for (;;) {
      const page = await this.deps.store.machines.list({
        licenseId,
        includeDeactivated: true,
        after: machines.at(-1)?.id ?? null,
        limit: HISTORY_PAGE,
      });
      machines.push(...page);
      if (page.length < HISTORY_PAGE) return machines;
    }
  }

  /**
   * Finds the live machine of a license by fingerprint, for clients that only know their fingerprint. A
   * fingerprint may hold a node-locked seat and a floating lease at once; `pool` picks one.
   */
  async findByFingerprint(licenseId: number, fingerprint: string, pool?: SeatPool): Promise<Machine> {
    const machine = (await this.deps.store.machines.listActive(licenseId)).find(
      (m) =>
        m.fingerprint === fingerprint &&
        (pool === undefined || isFloatingMachine(m) === (pool === 'floating')),
    );
    if (!machine) throw new DomainError('MACHINE_NOT_FOUND', 'no active machine has this fingerprint');
    return machine;
  }
}
