import type { Kysely, Selectable, Updateable } from 'kysely';
import type { LicenseTemplateRepository } from '../../core/licenses/license-template-ports.js';
import type { FeatureValue, LicenseTemplate } from '../../core/model.js';
import { columnsFor, fromFlag, fromJson, fromMillis, toFlag, toJson } from '../columns.js';
import type { LicenseTemplatesTable } from '../schema/catalog.js';
import type { Database } from '../schema/index.js';

const toTemplate = (row: Selectable<LicenseTemplatesTable>): LicenseTemplate => ({
  id: row.id,
  name: row.name,
  policyId: row.policy_id,
  durationSeconds: row.duration_seconds === null ? null : Number(row.duration_seconds),
  maxMachines: row.max_machines,
  features: fromJson<Record<string, FeatureValue>>(row.features),
  notes: row.notes,
  allowedMachines: fromJson<string[]>(row.allowed_machines),
  hasTrialActivation: fromFlag(row.has_trial_activation),
  createdAt: fromMillis(row.created_at),
});

type Changes = Partial<Omit<LicenseTemplate, 'id' | 'createdAt'>>;
type Row = Updateable<LicenseTemplatesTable>;
const templateColumns: { [K in keyof Changes]?: (value: Exclude<Changes[K], undefined>) => Row } = {
  name: (v) => ({ name: v }),
  policyId: (v) => ({ policy_id: v }),
  durationSeconds: (v) => ({ duration_seconds: v }),
  maxMachines: (v) => ({ max_machines: v }),
  features: (v) => ({ features: toJson(v) }),
  notes: (v) => ({ notes: v }),
  allowedMachines: (v) => ({ allowed_machines: toJson(v) }),
  hasTrialActivation: (v) => ({ has_trial_activation: toFlag(v) }),
};

export function licenseTemplateRepository(db: Kysely<Database>): LicenseTemplateRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('license_templates')
        .values({
          name: input.name,
          policy_id: input.policyId,
          duration_seconds: input.durationSeconds,
          max_machines: input.maxMachines,
          features: toJson(input.features),
          notes: input.notes,
          allowed_machines: toJson(input.allowedMachines),
          has_trial_activation: toFlag(input.hasTrialActivation),
          created_at: input.createdAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTemplate(row);
    },
    async findById(id) {
      const row = await db
        .selectFrom('license_templates')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toTemplate(row) : null;
    },
    async list({ policyId, after, limit }) {
      let query = db.selectFrom('license_templates').selectAll().orderBy('id').limit(limit);
      if (policyId !== null) query = query.where('policy_id', '=', policyId);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(toTemplate);
    },
    async update(id, changes) {
      const set = columnsFor<Changes, Row>(changes, templateColumns);
      if (Object.keys(set).length === 0) return this.findById(id);
      const row = await db
        .updateTable('license_templates')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toTemplate(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('license_templates').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
