import { type Kysely, sql } from 'kysely';

/**
 * What the AuthTool dialect needs from the domain, all additive: calendar periods on licenses (a key's term
 * from creation, and each activation's own validity), the policy each product keeps per kind of key issued
 * without naming one, and an index for the sweeper of cleanable licenses.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // `7 day`, `1 month`: kept as given, because a calendar month is no fixed number of seconds.
  await db.schema.alterTable('licenses').addColumn('activation_period', 'text').execute();
  await db.schema.alterTable('licenses').addColumn('term_period', 'text').execute();

  // One policy per product and kind; it goes with its policy, so deleting the policy keeps working.
  await db.schema
    .createTable('managed_policies')
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'integer', (c) =>
      c.notNull().unique().references('policies.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('managed_policies_pk', ['product_id', 'purpose'])
    .execute();

  // The sweeper reads only cleanable licenses; most licenses are not, so the partial index stays small.
  await db.schema
    .createIndex('licenses_cleanable_due')
    .on('licenses')
    .columns(['expires_at', 'created_at'])
    .where(sql.ref('is_cleanable'), '=', 1)
    .execute();
}
