import type { Kysely } from 'kysely';
import type { IdempotencyRepository } from '../../core/operations/idempotency-ports.js';
import { fromMillis } from '../columns.js';
import type { Database } from '../schema/index.js';

export function idempotencyRepository(db: Kysely<Database>): IdempotencyRepository {
  return {
    async claim(scope, key, requestHash, at) {
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({
          scope,
          key,
          request_hash: requestHash,
          status_code: null,
          response_body: null,
          created_at: at.getTime(),
        })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return null;
      const row = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('scope', '=', scope)
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      return {
        requestHash: row.request_hash,
        statusCode: row.status_code,
        responseBody: row.response_body,
        createdAt: fromMillis(row.created_at),
      };
    },
    async complete(scope, key, claimedAt, { statusCode, responseBody }) {
      // Only the claim this request made: one taken over as abandoned belongs to another request now.
      const result = await db
        .updateTable('idempotency_keys')
        .set({ status_code: statusCode, response_body: responseBody })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('created_at', '=', claimedAt.getTime())
        .where('status_code', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async release(scope, key, claimedAt) {
      let query = db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key);
      if (claimedAt) query = query.where('created_at', '=', claimedAt.getTime());
      await query.execute();
    },
    async deleteOlderThan(at) {
      const result = await db
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', at.getTime())
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
