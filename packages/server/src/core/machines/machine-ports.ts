import type { Machine } from '../model.js';
import type { NewMachine } from './decide-activation.js';

/** Machines: the seats of a license, taken by activation and freed by deactivation or a lapsed lease. */

export interface MachineRepository {
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
