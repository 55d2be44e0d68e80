import { type Kysely, sql } from 'kysely';
import type { TokenLimitRepository } from '../../core/access/token-ports.js';
import { toFlag } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { Database } from '../schema/index.js';

export function tokenLimitRepository(db: Kysely<Database>, adapter: DatabaseAdapter): TokenLimitRepository {
  return {
    async lock(tokenId) {
      await adapter
        .lockForUpdate(db.selectFrom('api_tokens').select('id').where('id', '=', tokenId))
        .executeTakeFirst();
    },
    async hasAddress(tokenId, ip) {
      const row = await db
        .selectFrom('api_token_addresses')
        .select('ip')
        .where('token_id', '=', tokenId)
        .where('ip', '=', ip)
        .executeTakeFirst();
      return row !== undefined;
    },
    async countAddresses(tokenId) {
      const row = await db
        .selectFrom('api_token_addresses')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('token_id', '=', tokenId)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    async addAddress(tokenId, ip, at) {
      await db
        .insertInto('api_token_addresses')
        .values({ token_id: tokenId, ip, first_seen_at: at.getTime() })
        .onConflict((oc) => oc.columns(['token_id', 'ip']).doNothing())
        .execute();
    },
    async clearAddresses(tokenId) {
      const result = await db
        .deleteFrom('api_token_addresses')
        .where('token_id', '=', tokenId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async setLimits(tokenId, changes) {
      const set: Record<string, number | null> = {};
      if (changes.maxClientAddresses !== undefined) set.max_client_addresses = changes.maxClientAddresses;
      if (changes.activationAllowance !== undefined) set.activation_allowance = changes.activationAllowance;
      if (changes.isDormant !== undefined) set.is_dormant = toFlag(changes.isDormant);
      if (Object.keys(set).length === 0) return;
      await db.updateTable('api_tokens').set(set).where('id', '=', tokenId).execute();
    },
    async grantActivations(tokenId, count) {
      const result = await db
        .updateTable('api_tokens')
        .set({ activations_granted: sql`activations_granted + ${count}` })
        .where('id', '=', tokenId)
        .where((eb) =>
          eb.or([
            eb('activation_allowance', 'is', null),
            eb(sql<number>`activations_granted + ${count}`, '<=', eb.ref('activation_allowance')),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
