import type { Kysely, Selectable } from 'kysely';
import type { VerifiedTrial } from '../../core/trials/trial-model.js';
import type { VerifiedTrialRepository } from '../../core/trials/trial-ports.js';
import { fromFlag, fromMillis, toFlag } from '../columns.js';
import type { Database } from '../schema/index.js';
import type { TrialsTable } from '../schema/trials.js';

const toTrial = (row: Selectable<TrialsTable>): VerifiedTrial => ({
  id: row.id,
  policyId: row.policy_id,
  fingerprint: row.fingerprint,
  ip: row.ip,
  platform: row.platform,
  isVm: fromFlag(row.is_vm),
  startedAt: fromMillis(row.started_at),
  expiresAt: fromMillis(row.expires_at),
  extensionCount: row.extension_count,
});

export function verifiedTrialRepository(db: Kysely<Database>): VerifiedTrialRepository {
  const find = async (policyId: number, fingerprint: string) => {
    const row = await db
      .selectFrom('trials')
      .selectAll()
      .where('policy_id', '=', policyId)
      .where('fingerprint', '=', fingerprint)
      .executeTakeFirst();
    return row ? toTrial(row) : null;
  };
  return {
    find,
    async insertIfMissing(input) {
      // ON CONFLICT DO NOTHING: two first starts of one machine racing both end up with the one stored trial.
      await db
        .insertInto('trials')
        .values({
          policy_id: input.policyId,
          fingerprint: input.fingerprint,
          ip: input.ip,
          platform: input.platform,
          is_vm: toFlag(input.isVm),
          started_at: input.startedAt.getTime(),
          expires_at: input.expiresAt.getTime(),
          extension_count: input.extensionCount,
        })
        .onConflict((oc) => oc.columns(['policy_id', 'fingerprint']).doNothing())
        .execute();
      return (await find(input.policyId, input.fingerprint)) as VerifiedTrial;
    },
    async update(id, changes) {
      const row = await db
        .updateTable('trials')
        .set({ expires_at: changes.expiresAt.getTime(), extension_count: changes.extensionCount })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTrial(row);
    },
    async search(filter, { offset, limit }) {
      if (filter.policyIds !== null && filter.policyIds.length === 0) return { total: 0, items: [] };
      let query = db.selectFrom('trials');
      if (filter.policyIds !== null) query = query.where('policy_id', 'in', filter.policyIds);
      if (filter.startedFrom) query = query.where('started_at', '>=', filter.startedFrom.getTime());
      if (filter.startedBefore) query = query.where('started_at', '<', filter.startedBefore.getTime());
      const [count, rows] = await Promise.all([
        query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
        query.selectAll().orderBy('id').offset(offset).limit(limit).execute(),
      ]);
      return { total: Number(count.count), items: rows.map(toTrial) };
    },
  };
}
