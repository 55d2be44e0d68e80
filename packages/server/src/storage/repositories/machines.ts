import type { Kysely } from 'kysely';
import type { MachineRepository } from '../../core/machines/machine-ports.js';
import { toMillisOrNull } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { Database } from '../schema/index.js';
import { guardedActivation } from './guarded-activation.js';
import { activeMachinesOf, toMachine, toMachineRow } from './machine-rows.js';

export function machineRepository(db: Kysely<Database>, adapter: DatabaseAdapter): MachineRepository {
  return {
    activateIfUnchanged: guardedActivation(db, adapter),
    async insert(input) {
      return toMachine(
        await db.insertInto('machines').values(toMachineRow(input)).returningAll().executeTakeFirstOrThrow(),
      );
    },
    async replace(id, input) {
      const row = await db
        .updateTable('machines')
        .set(toMachineRow(input))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toMachine(row);
    },
    async findById(id) {
      const row = await db.selectFrom('machines').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toMachine(row) : null;
    },
    async listActive(licenseId) {
      return (await activeMachinesOf(db, licenseId)).map(toMachine);
    },
    async findLatestByFingerprint(licenseId, fingerprint) {
      const row = await db
        .selectFrom('machines')
        .selectAll()
        .where('license_id', '=', licenseId)
        .where('fingerprint', '=', fingerprint)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toMachine(row) : null;
    },
    async list({ licenseId, includeDeactivated, after, limit }) {
      let query = db.selectFrom('machines').selectAll().orderBy('id').limit(limit);
      if (licenseId !== null) query = query.where('license_id', '=', licenseId);
      if (!includeDeactivated) query = query.where('deactivated_at', 'is', null);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(toMachine);
    },
    async touch(id, changes) {
      const set: { last_seen_at: number; lease_expires_at?: number | null; ip?: string | null } = {
        last_seen_at: changes.lastSeenAt.getTime(),
      };
      if (changes.leaseExpiresAt !== undefined) set.lease_expires_at = toMillisOrNull(changes.leaseExpiresAt);
      if (changes.ip !== undefined) set.ip = changes.ip;
      const row = await db
        .updateTable('machines')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toMachine(row);
    },
    async deactivate(id, at) {
      await db.updateTable('machines').set({ deactivated_at: at.getTime() }).where('id', '=', id).execute();
    },
    async deactivateAll(licenseId, at) {
      const result = await db
        .updateTable('machines')
        .set({ deactivated_at: at.getTime() })
        .where('license_id', '=', licenseId)
        .where('deactivated_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async lockLicensesWithLapsedLeases({ now, limit }) {
      // From the machines' side, along the partial index of live leases (migration 011): nothing lapsed costs
      // one index probe however many licenses there are.
      const lapsed = await db
        .selectFrom('machines')
        .select('license_id')
        .distinct()
        .where('deactivated_at', 'is', null)
        .where('lease_expires_at', '<=', now.getTime())
        .orderBy('license_id')
        .limit(limit)
        .execute();
      if (lapsed.length === 0) return [];
      // Locks what this sweep takes and leaves what another sweep or an activation holds to them.
      const locking = db
        .selectFrom('licenses')
        .select('id')
        .where(
          'id',
          'in',
          lapsed.map((row) => row.license_id),
        )
        .orderBy('id');
      return (await adapter.lockSkippingLocked(locking).execute()).map((row) => row.id);
    },
  };
}
