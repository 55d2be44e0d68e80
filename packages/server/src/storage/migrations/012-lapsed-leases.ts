import { type Kysely, sql } from 'kysely';

/**
 * Live floating leases by their end, for the sweep that frees lapsed ones (LeaseSweepService): finding what
 * lapsed reads only leases, however many licenses and node-locked machines there are.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index machines_live_lease on machines (lease_expires_at, license_id) where deactivated_at is null and lease_expires_at is not null`.execute(
    db,
  );
}
