import { type Kysely, sql } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter
    .addAutoIncrementId(db.schema.createTable('products'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('policies'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('max_machines', 'integer', (c) => c.notNull())
    .addColumn('max_deactivations', 'integer', (c) => c.notNull())
    .addColumn('is_floating', 'integer', (c) => c.notNull())
    .addColumn('lease_seconds', 'integer', (c) => c.notNull())
    .addColumn('max_overdraft', 'integer', (c) => c.notNull())
    .addColumn('allow_vm', 'integer', (c) => c.notNull())
    .addColumn('duration_seconds', 'bigint')
    .addColumn('expiration_basis', 'text', (c) => c.notNull())
    .addColumn('activation_validity_seconds', 'bigint')
    .addColumn('is_trial', 'integer', (c) => c.notNull())
    .addColumn('allow_license_auth', 'integer', (c) => c.notNull())
    .addColumn('key_format', 'text', (c) => c.notNull())
    .addColumn('feature_fields', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('policies_product').on('policies').column('product_id').execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('customers'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('company', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('customers_email').on('customers').column('email').execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('licenses'))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('policy_id', 'integer', (c) => c.notNull().references('policies.id'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('product_ids', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'integer', (c) => c.references('customers.id').onDelete('set null'))
    .addColumn('email', 'text')
    .addColumn('notes', 'text')
    .addColumn('alias', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('first_activated_at', 'bigint')
    .addColumn('is_suspended', 'integer', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('max_machines', 'integer')
    .addColumn('max_deactivations', 'integer')
    .addColumn('is_floating', 'integer')
    .addColumn('lease_seconds', 'integer')
    .addColumn('max_overdraft', 'integer')
    .addColumn('allow_vm', 'integer')
    .addColumn('is_cleanable', 'integer', (c) => c.notNull())
    .addColumn('activation_count', 'integer', (c) => c.notNull())
    .addColumn('deactivation_count', 'integer', (c) => c.notNull())
    .addColumn('reset_count', 'integer', (c) => c.notNull())
    .addColumn('features', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('allowed_machines', 'text', (c) => c.notNull())
    .addColumn('named_users', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_validated_at', 'bigint')
    .execute();
  await db.schema.createIndex('licenses_policy').on('licenses').columns(['policy_id', 'id']).execute();
  await db.schema.createIndex('licenses_customer').on('licenses').columns(['customer_id', 'id']).execute();
  await db.schema.createIndex('licenses_email').on('licenses').columns(['email', 'id']).execute();
  await db.schema.createIndex('licenses_expires').on('licenses').column('expires_at').execute();

  await db.schema
    .createTable('license_products')
    .addColumn('license_id', 'integer', (c) => c.notNull().references('licenses.id').onDelete('cascade'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addPrimaryKeyConstraint('license_products_pk', ['license_id', 'product_id'])
    .execute();
  await db.schema
    .createIndex('license_products_product')
    .on('license_products')
    .columns(['product_id', 'license_id'])
    .execute();

  await db.schema
    .createTable('license_tags')
    .addColumn('license_id', 'integer', (c) => c.notNull().references('licenses.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('license_tags_pk', ['license_id', 'tag'])
    .execute();
  await db.schema.createIndex('license_tags_tag').on('license_tags').columns(['tag', 'license_id']).execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('machines'))
    .addColumn('license_id', 'integer', (c) => c.notNull().references('licenses.id').onDelete('cascade'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('ip', 'text')
    .addColumn('platform', 'text')
    .addColumn('is_vm', 'integer', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('is_overdraft', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('deactivated_at', 'bigint')
    .execute();
  await db.schema.createIndex('machines_license').on('machines').columns(['license_id', 'id']).execute();
  // One live activation per fingerprint and license; deactivated rows stay as history.
  await db.schema
    .createIndex('machines_live_fingerprint')
    .on('machines')
    .columns(['license_id', 'fingerprint'])
    .unique()
    .where(sql.ref('deactivated_at'), 'is', null)
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('data_objects'))
    .addColumn('owner_type', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('int_value', 'bigint', (c) => c.notNull())
    .addColumn('string_value', 'text', (c) => c.notNull())
    .addUniqueConstraint('data_objects_owner_name', ['owner_type', 'owner_id', 'name'])
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('events'), { big: true })
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('license_id', 'integer')
    .addColumn('product_id', 'integer')
    .addColumn('machine_id', 'integer')
    .addColumn('token_id', 'integer')
    .addColumn('code', 'text')
    .addColumn('ip', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_license').on('events').columns(['license_id', 'id']).execute();
  await db.schema.createIndex('events_product').on('events').columns(['product_id', 'id']).execute();
  await db.schema.createIndex('events_type').on('events').columns(['type', 'id']).execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('api_tokens'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('product_ids', 'text', (c) => c.notNull())
    .addColumn('license_id', 'integer')
    .addColumn('ip_allowlist', 'text', (c) => c.notNull())
    .addColumn('bind_to_first_ip', 'integer', (c) => c.notNull())
    .addColumn('bound_ip', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('signing_keys'))
    .addColumn('algorithm', 'text', (c) => c.notNull().unique())
    .addColumn('public_key_pem', 'text', (c) => c.notNull())
    .addColumn('sealed_private_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .execute();
}
