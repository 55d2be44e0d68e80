import type { Kysely, Selectable } from 'kysely';
import type { CustomerRepository } from '../../core/customers/customer-ports.js';
import type { Customer } from '../../core/model.js';
import { fromMillis } from '../columns.js';
import type { CustomersTable } from '../schema/customers.js';
import type { Database } from '../schema/index.js';

export const toCustomer = (row: Selectable<CustomersTable>): Customer => ({
  id: row.id,
  name: row.name,
  email: row.email,
  company: row.company,
  createdAt: fromMillis(row.created_at),
  ...(row.notes !== null ? { notes: row.notes } : {}),
});

export function customerRepository(db: Kysely<Database>): CustomerRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('customers')
        .values({
          name: input.name,
          email: input.email,
          company: input.company,
          created_at: input.createdAt.getTime(),
          notes: input.notes ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toCustomer(row);
    },
    async findById(id) {
      const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toCustomer(row) : null;
    },
    async list({ email, after, limit }) {
      let query = db.selectFrom('customers').selectAll().orderBy('id').limit(limit);
      if (email !== null) query = query.where('email', '=', email);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(toCustomer);
    },
    async update(id, changes) {
      const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      if (Object.keys(set).length === 0) return this.findById(id);
      const row = await db
        .updateTable('customers')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toCustomer(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('customers').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async setSecretHash(id, secretHash) {
      const result = await db
        .updateTable('customers')
        .set({ secret_hash: secretHash })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async findBySecretHash(secretHash) {
      const row = await db
        .selectFrom('customers')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return row ? toCustomer(row) : null;
    },
  };
}
