import type { Kysely, Selectable } from 'kysely';
import type { ResellerRepository } from '../../core/customers/reseller-ports.js';
import type { Reseller } from '../../core/model.js';
import { fromMillis } from '../columns.js';
import type { ResellersTable } from '../schema/customers.js';
import type { Database } from '../schema/index.js';

const toReseller = (row: Selectable<ResellersTable>): Reseller => ({
  id: row.id,
  name: row.name,
  url: row.url,
  email: row.email,
  phone: row.phone,
  description: row.description,
  createdAt: fromMillis(row.created_at),
});

export function resellerRepository(db: Kysely<Database>): ResellerRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('resellers')
        .values({
          name: input.name,
          url: input.url,
          email: input.email,
          phone: input.phone,
          description: input.description,
          created_at: input.createdAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toReseller(row);
    },
    async findById(id) {
      const row = await db.selectFrom('resellers').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toReseller(row) : null;
    },
    async list({ after, limit }) {
      let query = db.selectFrom('resellers').selectAll().orderBy('id').limit(limit);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(toReseller);
    },
    async update(id, changes) {
      const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      if (Object.keys(set).length === 0) return this.findById(id);
      const row = await db
        .updateTable('resellers')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toReseller(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('resellers').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
