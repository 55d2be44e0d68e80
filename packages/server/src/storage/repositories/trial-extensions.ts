import { type Kysely, type Selectable, sql } from 'kysely';
import type { TrialExtension } from '../../core/trials/trial-model.js';
import type { TrialExtensionRepository } from '../../core/trials/trial-ports.js';
import { fromFlag, fromMillis, toFlag } from '../columns.js';
import type { Database } from '../schema/index.js';
import type { TrialExtensionsTable } from '../schema/trials.js';

const toExtension = (row: Selectable<TrialExtensionsTable>): TrialExtension => ({
  id: row.id,
  policyId: row.policy_id,
  code: row.code,
  isOnline: fromFlag(row.is_online),
  isForVerifiedTrials: fromFlag(row.is_for_verified_trials),
  lengthSeconds: Number(row.length_seconds),
  redeemableUntil: fromMillis(row.redeemable_until),
  customerRef: row.customer_ref,
  maxUses: row.max_uses,
  useCount: row.use_count,
  createdAt: fromMillis(row.created_at),
});

export function trialExtensionRepository(db: Kysely<Database>): TrialExtensionRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('trial_extensions')
        .values({
          policy_id: input.policyId,
          code: input.code,
          is_online: toFlag(input.isOnline),
          is_for_verified_trials: toFlag(input.isForVerifiedTrials),
          length_seconds: input.lengthSeconds,
          redeemable_until: input.redeemableUntil.getTime(),
          customer_ref: input.customerRef,
          max_uses: input.maxUses,
          use_count: input.useCount,
          created_at: input.createdAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toExtension(row);
    },
    async findById(id) {
      const row = await db.selectFrom('trial_extensions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toExtension(row) : null;
    },
    async findByCode(code) {
      const row = await db
        .selectFrom('trial_extensions')
        .selectAll()
        .where('code', '=', code)
        .executeTakeFirst();
      return row ? toExtension(row) : null;
    },
    async list({ policyId, customerRef }) {
      let query = db.selectFrom('trial_extensions').selectAll().where('policy_id', '=', policyId);
      if (customerRef !== undefined) query = query.where('customer_ref', '=', customerRef);
      return (await query.orderBy('id').execute()).map(toExtension);
    },
    async delete(id) {
      const result = await db.deleteFrom('trial_extensions').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async countUse(id) {
      const result = await db
        .updateTable('trial_extensions')
        .set({ use_count: sql`use_count + 1` })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('max_uses', '=', 0), eb('use_count', '<', eb.ref('max_uses'))]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async addRedemption(id, fingerprint, at) {
      const result = await db
        .insertInto('trial_extension_redemptions')
        .values({ extension_id: id, fingerprint, redeemed_at: at.getTime() })
        .onConflict((oc) => oc.columns(['extension_id', 'fingerprint']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
  };
}
