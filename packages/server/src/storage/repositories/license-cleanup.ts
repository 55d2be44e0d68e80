import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { CleanableSweep, LicenseCleanupRepository } from '../../core/licenses/license-ports.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { Database } from '../schema/index.js';

export function licenseCleanupRepository(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
): LicenseCleanupRepository {
  return {
    async deleteDueCleanable({ now, undatedGraceSeconds, limit }: CleanableSweep) {
      // Due when the expiry passed, or, without one, once the grace after creation passed. One expression
      // rather than an OR of both cases: SQLite 3.53's planner fails on that OR next to the partial index.
      const graceMillis = undatedGraceSeconds * 1000;
      const dueAt = sql<number>`coalesce(${sql.ref('expires_at')}, ${sql.ref('created_at')} + ${graceMillis})`;
      const isDue = (eb: ExpressionBuilder<Database, 'licenses'>) =>
        eb.and([eb('is_cleanable', '=', 1), eb(dueAt, '<=', now.getTime())]);
      // Locks what this sweep takes and skips what another sweep holds.
      const candidates = db.selectFrom('licenses').select('id').where(isDue).orderBy('id').limit(limit);
      const ids = (await adapter.lockSkippingLocked(candidates).execute()).map((row) => row.id);
      if (ids.length === 0) return [];
      // Data objects hang off their owner by type and id without a foreign key, so they go explicitly, and
      // before the licenses: deleting a license takes its machines with it (ON DELETE CASCADE). Every statement
      // re-checks the condition, so only licenses still due are touched, and each wholly.
      const stillDue = db.selectFrom('licenses').select('id').where('id', 'in', ids).where(isDue);
      await db
        .deleteFrom('data_objects')
        .where('owner_type', '=', 'machine')
        .where('owner_id', 'in', db.selectFrom('machines').select('id').where('license_id', 'in', stillDue))
        .execute();
      await db
        .deleteFrom('data_objects')
        .where('owner_type', '=', 'license')
        .where('owner_id', 'in', stillDue)
        .execute();
      const deleted = await db
        .deleteFrom('licenses')
        .where('id', 'in', ids)
        .where(isDue)
        .returning(['id', 'product_id'])
        .execute();
      return deleted.map((row) => ({ licenseId: row.id, productId: row.product_id }));
    },
  };
}
