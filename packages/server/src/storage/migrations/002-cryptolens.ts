import { type Kysely, sql } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * What the Cryptolens dialect needs from the domain: token locks, license terms with trial activation,
 * per-machine trial keys, resellers, license templates, customer secrets, broadcast messages, and separate
 * pools for floating and node-locked seats. Every change is additive. SQLite adds one column per statement.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter
    .addAutoIncrementId(db.schema.createTable('resellers'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('description', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('license_templates'))
    .addColumn('name', 'text', (c) => c.notNull())
    // A template belongs to its policy and goes with it.
    .addColumn('policy_id', 'integer', (c) => c.notNull().references('policies.id').onDelete('cascade'))
    .addColumn('duration_seconds', 'bigint')
    .addColumn('max_machines', 'integer')
    .addColumn('features', 'text', (c) => c.notNull())
    .addColumn('notes', 'text')
    .addColumn('allowed_machines', 'text', (c) => c.notNull())
    .addColumn('has_trial_activation', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('license_templates_policy')
    .on('license_templates')
    .columns(['policy_id', 'id'])
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('messages'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('messages_channel').on('messages').columns(['channel', 'created_at']).execute();
  await db.schema.createIndex('messages_created').on('messages').column('created_at').execute();

  const addColumns = async (
    table: string,
    columns: Array<[string, 'text' | 'integer' | 'bigint', 'null' | 'zero']>,
  ) => {
    for (const [name, type, fill] of columns) {
      await db.schema
        .alterTable(table)
        .addColumn(name, type, (c) => (fill === 'zero' ? c.notNull().defaultTo(0) : c))
        .execute();
    }
  };

  await addColumns('api_tokens', [
    ['method_lock', 'text', 'null'],
    ['feature_lock', 'integer', 'null'],
    ['can_issue_license_tokens', 'integer', 'zero'],
  ]);

  await addColumns('licenses', [
    ['term_seconds', 'bigint', 'null'],
    ['has_trial_activation', 'integer', 'zero'],
    ['trial_fingerprint', 'text', 'null'],
  ]);
  await db.schema
    .alterTable('licenses')
    .addColumn('reseller_id', 'integer', (c) => c.references('resellers.id').onDelete('set null'))
    .execute();
  // One trial key per product and machine, also when two requests race.
  await db.schema
    .createIndex('licenses_trial_fingerprint')
    .on('licenses')
    .columns(['product_id', 'trial_fingerprint'])
    .unique()
    .where(sql.ref('trial_fingerprint'), 'is not', null)
    .execute();

  await addColumns('customers', [
    ['notes', 'text', 'null'],
    ['secret_hash', 'text', 'null'],
  ]);
  await db.schema
    .createIndex('customers_secret_hash')
    .on('customers')
    .column('secret_hash')
    .unique()
    .execute();

  // A machine may hold a node-locked seat and a floating lease at once (Cryptolens counts them in separate
  // pools), so a live fingerprint is unique per license and pool rather than per license.
  await db.schema.dropIndex('machines_live_fingerprint').execute();
  await sql`create unique index machines_live_fingerprint_pool on machines (license_id, fingerprint, (lease_expires_at is null)) where deactivated_at is null`.execute(
    db,
  );
}
