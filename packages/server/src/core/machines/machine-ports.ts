import type { DomainEvent, License, Machine } from '../model.js';
import type { NewMachine } from './decide-activation.js';
import type { LicenseVersion } from './license-version.js';

/** Machines: the seats of a license, taken by activation and freed by deactivation or a lapsed lease. */

/** A new machine's activation, decided on an unlocked read of its license (optimistic-activation.ts). */
export interface GuardedActivation {
  licenseId: number;
  /** The license's version the decision was taken on: nothing is written unless the row still has it. */
  expected: LicenseVersion;
  machine: NewMachine;
  /** The license's new updatedAt, as an activation under the lock stamps it. */
  at: Date;
  /** The `machine.activated` event, recorded with the new machine's id. */
  event: Omit<DomainEvent, 'id' | 'machineId'>;
}

export interface MachineRepository {
  /**
   * Writes a guarded activation at once: counts it on the license (activationCount + 1, updatedAt), inserts
   * the machine, records the event and queues its webhook deliveries, only while the license row still has
   * the expected version; null, with nothing written, when it does not (or the license is gone). Atomic by
   * itself, so it runs through Store.atomicWrite: one statement on PostgreSQL, where a writer holding the
   * license row makes it wait and then find the version changed.
   */
  activateIfUnchanged(input: GuardedActivation): Promise<{ machine: Machine; license: License } | null>;
  insert(input: NewMachine): Promise<Machine>;
  replace(id: number, input: NewMachine): Promise<Machine>;
  findById(id: number): Promise<Machine | null>;
  /** Machines of the license that are not deactivated. */
  listActive(licenseId: number): Promise<Machine[]>;
  /** The newest machine of the license with this fingerprint, deactivated or not. */
  findLatestByFingerprint(licenseId: number, fingerprint: string): Promise<Machine | null>;
  list(input: {
    licenseId: number | null;
    includeDeactivated: boolean;
    after: number | null;
    limit: number;
  }): Promise<Machine[]>;
  touch(
    id: number,
    changes: { lastSeenAt: Date; leaseExpiresAt?: Date | null; ip?: string | null },
  ): Promise<Machine>;
  deactivate(id: number, at: Date): Promise<void>;
  deactivateAll(licenseId: number, at: Date): Promise<number>;
  /**
   * Up to `limit` licenses holding a floating lease that lapsed by `now`, lowest id first, locked for the
   * rest of the transaction; on PostgreSQL licenses another transaction holds are skipped (SKIP LOCKED).
   */
  lockLicensesWithLapsedLeases(input: { now: Date; limit: number }): Promise<number[]>;
}

/** The repository above, as `Repositories` holds it. */
export interface MachineRepositories {
  machines: MachineRepository;
}
