import type { Kysely, Selectable } from 'kysely';
import type { PolicyProfileRepository } from '../../core/catalog/catalog-ports.js';
import type { PolicyProfile } from '../../core/trials/trial-model.js';
import type { PolicyProfilesTable } from '../schema/catalog.js';
import type { Database } from '../schema/index.js';

const toProfile = (row: Selectable<PolicyProfilesTable>): PolicyProfile => ({
  policyId: row.policy_id,
  trialSeconds: Number(row.trial_seconds),
  whereIsKey: row.where_is_key,
  buyUrl: row.buy_url,
});

export function policyProfileRepository(db: Kysely<Database>): PolicyProfileRepository {
  return {
    async find(policyId) {
      const row = await db
        .selectFrom('policy_profiles')
        .selectAll()
        .where('policy_id', '=', policyId)
        .executeTakeFirst();
      return row ? toProfile(row) : null;
    },
    async upsert(profile) {
      const values = {
        trial_seconds: profile.trialSeconds,
        where_is_key: profile.whereIsKey,
        buy_url: profile.buyUrl,
      };
      const row = await db
        .insertInto('policy_profiles')
        .values({ policy_id: profile.policyId, ...values })
        .onConflict((oc) => oc.column('policy_id').doUpdateSet(values))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toProfile(row);
    },
  };
}
