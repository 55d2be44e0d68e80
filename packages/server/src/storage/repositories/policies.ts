import type { Kysely, Selectable, Updateable } from 'kysely';
import type { PolicyRepository } from '../../core/catalog/catalog-ports.js';
import type { ExpirationBasis, FeatureField, Policy } from '../../core/model.js';
import { columnsFor, fromFlag, fromJson, fromMillis, toFlag, toJson } from '../columns.js';
import { precompiled } from '../precompiled.js';
import type { PoliciesTable } from '../schema/catalog.js';
import type { Database } from '../schema/index.js';

export const toPolicy = (row: Selectable<PoliciesTable>): Policy => ({
  id: row.id,
  productId: row.product_id,
  name: row.name,
  maxMachines: row.max_machines,
  maxDeactivations: row.max_deactivations,
  isFloating: fromFlag(row.is_floating),
  leaseSeconds: row.lease_seconds,
  maxOverdraft: row.max_overdraft,
  allowVm: fromFlag(row.allow_vm),
  durationSeconds: row.duration_seconds === null ? null : Number(row.duration_seconds),
  expirationBasis: row.expiration_basis as ExpirationBasis,
  activationValiditySeconds:
    row.activation_validity_seconds === null ? null : Number(row.activation_validity_seconds),
  isTrial: fromFlag(row.is_trial),
  allowLicenseAuth: fromFlag(row.allow_license_auth),
  keyFormat: row.key_format,
  featureFields: fromJson<FeatureField[]>(row.feature_fields),
  createdAt: fromMillis(row.created_at),
});

// On the validate path (see precompiled.ts).
export const policyById = precompiled(1, (db, id: number) =>
  db.selectFrom('policies').selectAll().where('id', '=', id),
);

type PolicyChanges = Partial<Omit<Policy, 'id' | 'productId' | 'createdAt'>>;
const policyColumns = {
  name: (v: string) => ({ name: v }),
  maxMachines: (v: number) => ({ max_machines: v }),
  maxDeactivations: (v: number) => ({ max_deactivations: v }),
  isFloating: (v: boolean) => ({ is_floating: toFlag(v) }),
  leaseSeconds: (v: number) => ({ lease_seconds: v }),
  maxOverdraft: (v: number) => ({ max_overdraft: v }),
  allowVm: (v: boolean) => ({ allow_vm: toFlag(v) }),
  durationSeconds: (v: number | null) => ({ duration_seconds: v }),
  expirationBasis: (v: ExpirationBasis) => ({ expiration_basis: v }),
  activationValiditySeconds: (v: number | null) => ({ activation_validity_seconds: v }),
  isTrial: (v: boolean) => ({ is_trial: toFlag(v) }),
  allowLicenseAuth: (v: boolean) => ({ allow_license_auth: toFlag(v) }),
  keyFormat: (v: string) => ({ key_format: v }),
  featureFields: (v: FeatureField[]) => ({ feature_fields: toJson(v) }),
};

export function policyRepository(db: Kysely<Database>): PolicyRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('policies')
        .values({
          product_id: input.productId,
          created_at: input.createdAt.getTime(),
          ...(columnsFor<PolicyChanges, Updateable<PoliciesTable>>(input, policyColumns) as Required<
            Omit<Updateable<PoliciesTable>, 'id' | 'product_id' | 'created_at'>
          >),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toPolicy(row);
    },
    async findById(id) {
      const [row] = await policyById(db, id);
      return row ? toPolicy(row) : null;
    },
    async list({ productId, after, limit }) {
      let query = db.selectFrom('policies').selectAll().orderBy('id').limit(limit);
      if (productId !== null) query = query.where('product_id', '=', productId);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(toPolicy);
    },
    async update(id, changes) {
      const set = columnsFor<PolicyChanges, Updateable<PoliciesTable>>(changes, policyColumns);
      if (Object.keys(set).length === 0) return this.findById(id);
      const row = await db
        .updateTable('policies')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toPolicy(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('policies').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async countLicenses(id) {
      const row = await db
        .selectFrom('licenses')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('policy_id', '=', id)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}
