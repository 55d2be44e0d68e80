import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * What the LimeLM dialect needed from core, added without touching earlier tables' rows: token limits
 * (client addresses, activation allowance, dormant flag), policy profiles (trial length, where-is-my-key
 * text, buy link), verified trials and trial extensions, and stable ids for feature fields. Everything that
 * hangs off a policy or token goes with it (ON DELETE CASCADE), so deleting a policy keeps working.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('max_client_addresses', 'integer').execute();
  await db.schema.alterTable('api_tokens').addColumn('activation_allowance', 'bigint').execute();
  await db.schema
    .alterTable('api_tokens')
    .addColumn('activations_granted', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('api_tokens')
    .addColumn('is_dormant', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('api_token_addresses')
    .addColumn('token_id', 'integer', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_token_addresses_pk', ['token_id', 'ip'])
    .execute();

  await db.schema
    .createTable('policy_profiles')
    .addColumn('policy_id', 'integer', (c) => c.primaryKey().references('policies.id').onDelete('cascade'))
    .addColumn('trial_seconds', 'bigint', (c) => c.notNull())
    .addColumn('where_is_key', 'text')
    .addColumn('buy_url', 'text')
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('feature_field_details'))
    .addColumn('policy_id', 'integer', (c) => c.notNull().references('policies.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('is_app_readable', 'integer', (c) => c.notNull())
    .addColumn('relative_default', 'text')
    .addUniqueConstraint('feature_field_details_policy_name', ['policy_id', 'name'])
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('trials'))
    .addColumn('policy_id', 'integer', (c) => c.notNull().references('policies.id').onDelete('cascade'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('platform', 'text')
    .addColumn('is_vm', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('extension_count', 'integer', (c) => c.notNull())
    .addUniqueConstraint('trials_policy_fingerprint', ['policy_id', 'fingerprint'])
    .execute();
  await db.schema.createIndex('trials_started').on('trials').columns(['policy_id', 'started_at']).execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('trial_extensions'))
    .addColumn('policy_id', 'integer', (c) => c.notNull().references('policies.id').onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('is_online', 'integer', (c) => c.notNull())
    .addColumn('is_for_verified_trials', 'integer', (c) => c.notNull())
    .addColumn('length_seconds', 'bigint', (c) => c.notNull())
    .addColumn('redeemable_until', 'bigint', (c) => c.notNull())
    .addColumn('customer_ref', 'text')
    .addColumn('max_uses', 'integer', (c) => c.notNull())
    .addColumn('use_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('trial_extensions_customer')
    .on('trial_extensions')
    .columns(['policy_id', 'customer_ref'])
    .execute();

  // One redemption per code and machine: a machine cannot stretch its trial by redeeming a code twice.
  await db.schema
    .createTable('trial_extension_redemptions')
    .addColumn('extension_id', 'integer', (c) =>
      c.notNull().references('trial_extensions.id').onDelete('cascade'),
    )
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('redeemed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('trial_extension_redemptions_pk', ['extension_id', 'fingerprint'])
    .execute();

  // Search by creation time (LimeLM's advancedSearch start/end) without a full scan.
  await db.schema.createIndex('licenses_created').on('licenses').columns(['created_at', 'id']).execute();
}
