import type { Kysely } from 'kysely';

/**
 * A token issued by another (Cryptolens `auth/KeyLock`) remembers its issuer, so that revoking the issuer
 * revokes what it handed out: a leaked parent must not live on in its children.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('issued_by_token_id', 'integer').execute();
  await db.schema
    .createIndex('api_tokens_issued_by')
    .on('api_tokens')
    .column('issued_by_token_id')
    .where('issued_by_token_id', 'is not', null)
    .execute();
}
