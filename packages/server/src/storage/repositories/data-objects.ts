import { type Kysely, type Selectable, sql } from 'kysely';
import type { DataObjectRepository } from '../../core/data-objects/data-object-ports.js';
import type { DataObject, DataObjectOwner } from '../../core/model.js';
import type { Database } from '../schema/index.js';
import type { DataObjectsTable } from '../schema/licenses.js';

const toDataObject = (row: Selectable<DataObjectsTable>): DataObject => ({
  id: row.id,
  ownerType: row.owner_type as DataObjectOwner,
  ownerId: row.owner_id,
  name: row.name,
  intValue: Number(row.int_value),
  stringValue: row.string_value,
});

export function dataObjectRepository(db: Kysely<Database>): DataObjectRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('data_objects')
        .values({
          owner_type: input.ownerType,
          owner_id: input.ownerId,
          name: input.name,
          int_value: input.intValue,
          string_value: input.stringValue,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDataObject(row);
    },
    async findById(id) {
      const row = await db.selectFrom('data_objects').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toDataObject(row) : null;
    },
    async list({ ownerType, ownerId }) {
      const rows = await db
        .selectFrom('data_objects')
        .selectAll()
        .where('owner_type', '=', ownerType)
        .where('owner_id', '=', ownerId)
        .orderBy('id')
        .execute();
      return rows.map(toDataObject);
    },
    async update(id, changes) {
      const set: Partial<Pick<DataObjectsTable, 'name' | 'int_value' | 'string_value'>> = {};
      if (changes.name !== undefined) set.name = changes.name;
      if (changes.intValue !== undefined) set.int_value = changes.intValue;
      if (changes.stringValue !== undefined) set.string_value = changes.stringValue;
      // An empty change (PATCH with `{}`) would compile to `update … set where`, a syntax error.
      if (Object.keys(set).length === 0) {
        return toDataObject(
          await db.selectFrom('data_objects').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
        );
      }
      const row = await db
        .updateTable('data_objects')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDataObject(row);
    },
    async addToInt(id, delta, { min, max }) {
      let query = db
        .updateTable('data_objects')
        .set({ int_value: sql<number>`int_value + ${delta}` })
        .where('id', '=', id);
      if (max !== null) query = query.where(sql<boolean>`int_value + ${delta} <= ${max}`);
      if (min !== null) query = query.where(sql<boolean>`int_value + ${delta} >= ${min}`);
      const row = await query.returningAll().executeTakeFirst();
      return row ? toDataObject(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('data_objects').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async deleteOfLicense(licenseId) {
      await db
        .deleteFrom('data_objects')
        .where((eb) =>
          eb.or([
            eb.and([eb('owner_type', '=', 'license'), eb('owner_id', '=', licenseId)]),
            eb.and([
              eb('owner_type', '=', 'machine'),
              eb(
                'owner_id',
                'in',
                eb.selectFrom('machines').select('id').where('license_id', '=', licenseId),
              ),
            ]),
          ]),
        )
        .execute();
    },
  };
}
