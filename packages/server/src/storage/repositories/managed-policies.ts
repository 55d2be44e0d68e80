import type { Kysely } from 'kysely';
import type { ManagedPolicyRepository } from '../../core/catalog/catalog-ports.js';
import type { Database } from '../schema/index.js';

export function managedPolicyRepository(db: Kysely<Database>): ManagedPolicyRepository {
  return {
    async find(productId, purpose) {
      const row = await db
        .selectFrom('managed_policies')
        .select('policy_id')
        .where('product_id', '=', productId)
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      return row?.policy_id ?? null;
    },
    async claim(productId, purpose, policyId) {
      // ON CONFLICT DO NOTHING instead of a unique violation: on PostgreSQL a violation would abort the
      // whole transaction, and the caller wants to roll back on its own terms.
      const row = await db
        .insertInto('managed_policies')
        .values({ product_id: productId, purpose, policy_id: policyId })
        .onConflict((oc) => oc.columns(['product_id', 'purpose']).doNothing())
        .returning('policy_id')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
