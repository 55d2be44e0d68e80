import type { Kysely, Selectable } from 'kysely';
import type { SignInCounter, SignInCounterRepository } from '../../core/access/dashboard-ports.js';
import { fromMillisOrNull, toMillisOrNull } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { SignInCountersTable } from '../schema/dashboard.js';
import type { Database } from '../schema/index.js';

const toCounter = (row: Selectable<SignInCountersTable>): SignInCounter => ({
  key: row.key,
  failureCount: Number(row.failure_count),
  lastFailureAt: fromMillisOrNull(row.last_failure_at),
  lastSuccessAt: fromMillisOrNull(row.last_success_at),
});

export function signInCounterRepository(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
): SignInCounterRepository {
  return {
    async lock(keys, at) {
      // One order for everyone, so two transactions locking overlapping sets cannot deadlock.
      const sorted = [...new Set(keys)].sort();
      if (sorted.length === 0) return [];
      // Rows first: a lock on a row that does not exist yet would hold nothing (SQLite's transaction already
      // holds the write lock; on PostgreSQL a second inserter waits for the first to commit).
      await db
        .insertInto('sign_in_counters')
        .values(
          sorted.map((key) => ({
            key,
            failure_count: 0,
            last_failure_at: null,
            last_success_at: null,
            updated_at: at.getTime(),
          })),
        )
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const counters = db
        .selectFrom('sign_in_counters')
        .selectAll()
        .where('key', 'in', sorted)
        .orderBy('key');
      return (await adapter.lockForUpdate(counters).execute()).map(toCounter);
    },
    async save(counter, at) {
      const values = {
        failure_count: counter.failureCount,
        last_failure_at: toMillisOrNull(counter.lastFailureAt),
        last_success_at: toMillisOrNull(counter.lastSuccessAt),
        updated_at: at.getTime(),
      };
      await db
        .insertInto('sign_in_counters')
        .values({ key: counter.key, ...values })
        .onConflict((oc) => oc.column('key').doUpdateSet(values))
        .execute();
    },
    async deleteStale({ failuresBefore, successesBefore }) {
      const result = await db
        .deleteFrom('sign_in_counters')
        // Every row changed since `failuresBefore` may hold a live failure or success: the index skips them.
        .where('updated_at', '<', failuresBefore.getTime())
        .where((eb) =>
          eb.or([eb('last_failure_at', 'is', null), eb('last_failure_at', '<', failuresBefore.getTime())]),
        )
        .where((eb) =>
          eb.or([eb('last_success_at', 'is', null), eb('last_success_at', '<', successesBefore.getTime())]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
