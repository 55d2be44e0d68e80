import type { Kysely, Selectable } from 'kysely';
import type { FeatureFieldDetailsRepository } from '../../core/catalog/catalog-ports.js';
import type { FeatureFieldDetails } from '../../core/trials/trial-model.js';
import { fromFlag, toFlag } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { FeatureFieldDetailsTable } from '../schema/catalog.js';
import type { Database } from '../schema/index.js';

const toDetails = (row: Selectable<FeatureFieldDetailsTable>): FeatureFieldDetails => ({
  id: row.id,
  policyId: row.policy_id,
  name: row.name,
  description: row.description,
  isAppReadable: fromFlag(row.is_app_readable),
  relativeDefault: row.relative_default,
});

export function featureFieldDetailsRepository(
  db: Kysely<Database>,
  adapter: DatabaseAdapter,
): FeatureFieldDetailsRepository {
  return {
    async lockPolicy(policyId) {
      await adapter
        .lockForUpdate(db.selectFrom('policies').select('id').where('id', '=', policyId))
        .executeTakeFirst();
    },
    async listByPolicy(policyId) {
      const rows = await db
        .selectFrom('feature_field_details')
        .selectAll()
        .where('policy_id', '=', policyId)
        .orderBy('id')
        .execute();
      return rows.map(toDetails);
    },
    async findById(id) {
      const row = await db
        .selectFrom('feature_field_details')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDetails(row) : null;
    },
    async insert(input) {
      const row = await db
        .insertInto('feature_field_details')
        .values({
          policy_id: input.policyId,
          name: input.name,
          description: input.description,
          is_app_readable: toFlag(input.isAppReadable),
          relative_default: input.relativeDefault,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDetails(row);
    },
    async update(id, changes) {
      const set: Partial<Selectable<FeatureFieldDetailsTable>> = {};
      if (changes.name !== undefined) set.name = changes.name;
      if (changes.description !== undefined) set.description = changes.description;
      if (changes.isAppReadable !== undefined) set.is_app_readable = toFlag(changes.isAppReadable);
      if (changes.relativeDefault !== undefined) set.relative_default = changes.relativeDefault;
      const query =
        Object.keys(set).length === 0
          ? db.selectFrom('feature_field_details').selectAll().where('id', '=', id)
          : db.updateTable('feature_field_details').set(set).where('id', '=', id).returningAll();
      return toDetails(await query.executeTakeFirstOrThrow());
    },
    async delete(id) {
      const result = await db.deleteFrom('feature_field_details').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
