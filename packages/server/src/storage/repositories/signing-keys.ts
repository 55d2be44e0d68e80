import type { Kysely, Selectable } from 'kysely';
import type { SigningKeyRepository } from '../../core/signing/signing-key-ports.js';
import type { SigningAlgorithm, SigningKeyRecord } from '../../core/signing/signing-keys.js';
import { fromMillis } from '../columns.js';
import type { SigningKeysTable } from '../schema/access.js';
import type { Database } from '../schema/index.js';

const toRecord = (row: Selectable<SigningKeysTable>): SigningKeyRecord => ({
  id: row.id,
  algorithm: row.algorithm as SigningAlgorithm,
  publicKeyPem: row.public_key_pem,
  sealedPrivateKey: row.sealed_private_key,
  createdAt: fromMillis(row.created_at),
});

export function signingKeyRepository(db: Kysely<Database>): SigningKeyRepository {
  const find = async (algorithm: SigningAlgorithm) => {
    const row = await db
      .selectFrom('signing_keys')
      .selectAll()
      .where('algorithm', '=', algorithm)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  };
  return {
    find,
    async list() {
      return (await db.selectFrom('signing_keys').selectAll().orderBy('id').execute()).map(toRecord);
    },
    async insertIfMissing(input) {
      // Several processes may start at once: the first insert wins and everyone uses the stored key.
      await db
        .insertInto('signing_keys')
        .values({
          algorithm: input.algorithm,
          public_key_pem: input.publicKeyPem,
          sealed_private_key: input.sealedPrivateKey,
          created_at: input.createdAt.getTime(),
        })
        .onConflict((oc) => oc.column('algorithm').doNothing())
        .execute();
      const stored = await find(input.algorithm);
      if (!stored) throw new Error(`signing key ${input.algorithm} missing after insert`);
      return stored;
    },
  };
}
