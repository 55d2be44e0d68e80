import type { Kysely, Selectable } from 'kysely';
import type { ProductRepository } from '../../core/catalog/catalog-ports.js';
import type { Product } from '../../core/model.js';
import { fromMillis } from '../columns.js';
import type { ProductsTable } from '../schema/catalog.js';
import type { Database } from '../schema/index.js';

const toProduct = (row: Selectable<ProductsTable>): Product => ({
  id: row.id,
  name: row.name,
  code: row.code,
  createdAt: fromMillis(row.created_at),
});

export function productRepository(db: Kysely<Database>): ProductRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('products')
        .values({ name: input.name, code: input.code, created_at: input.createdAt.getTime() })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toProduct(row);
    },
    async findById(id) {
      const row = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toProduct(row) : null;
    },
    async list({ after, limit }) {
      let query = db.selectFrom('products').selectAll().orderBy('id').limit(limit);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(toProduct);
    },
    async update(id, changes) {
      // A key present but undefined must not reach the SQL: `update … set where` is a syntax error.
      const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      if (Object.keys(set).length === 0) return this.findById(id);
      const row = await db
        .updateTable('products')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toProduct(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('products').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
