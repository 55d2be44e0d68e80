import type { Kysely, Selectable } from 'kysely';
import type { ApiTokenRecord, TokenRepository } from '../../core/access/token-ports.js';
import {
  fromFlag,
  fromJson,
  fromMillis,
  fromMillisOrNull,
  toFlag,
  toJson,
  toMillisOrNull,
} from '../columns.js';
import { precompiled } from '../precompiled.js';
import type { ApiTokensTable } from '../schema/access.js';
import type { Database } from '../schema/index.js';

const toToken = (row: Selectable<ApiTokensTable>): ApiTokenRecord => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: fromJson<string[]>(row.scopes),
  productIds: fromJson<number[]>(row.product_ids),
  licenseId: row.license_id,
  ipAllowlist: fromJson<string[]>(row.ip_allowlist),
  bindToFirstIp: fromFlag(row.bind_to_first_ip),
  boundIp: row.bound_ip,
  source: row.source as ApiTokenRecord['source'],
  expiresAt: fromMillisOrNull(row.expires_at),
  revokedAt: fromMillisOrNull(row.revoked_at),
  createdAt: fromMillis(row.created_at),
  lastUsedAt: fromMillisOrNull(row.last_used_at),
  // Dialect locks appear only when set, so a token without them reads back exactly as it was written.
  ...(row.method_lock !== null ? { methodLock: fromJson<string[]>(row.method_lock) } : {}),
  ...(row.feature_lock !== null ? { featureLock: row.feature_lock } : {}),
  ...(fromFlag(row.can_issue_license_tokens) ? { canIssueLicenseTokens: true } : {}),
  ...(row.max_client_addresses !== null ? { maxClientAddresses: row.max_client_addresses } : {}),
  ...(row.activation_allowance !== null
    ? {
        activationAllowance: Number(row.activation_allowance),
        activationsGranted: Number(row.activations_granted),
      }
    : {}),
  ...(fromFlag(row.is_dormant) ? { isDormant: true } : {}),
  ...(row.issued_by_token_id !== null ? { issuedByTokenId: row.issued_by_token_id } : {}),
});

// Every token-authenticated request starts here (see precompiled.ts).
const tokenByHash = precompiled(1, (db, secretHash: string) =>
  db.selectFrom('api_tokens').selectAll().where('secret_hash', '=', secretHash),
);

export function tokenRepository(db: Kysely<Database>): TokenRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('api_tokens')
        .values({
          name: input.name,
          prefix: input.prefix,
          secret_hash: input.secretHash,
          scopes: toJson(input.scopes),
          product_ids: toJson(input.productIds),
          license_id: input.licenseId,
          ip_allowlist: toJson(input.ipAllowlist),
          bind_to_first_ip: toFlag(input.bindToFirstIp),
          bound_ip: input.boundIp,
          source: input.source,
          expires_at: toMillisOrNull(input.expiresAt),
          revoked_at: toMillisOrNull(input.revokedAt),
          created_at: input.createdAt.getTime(),
          last_used_at: toMillisOrNull(input.lastUsedAt),
          method_lock: input.methodLock ? toJson(input.methodLock) : null,
          feature_lock: input.featureLock ?? null,
          can_issue_license_tokens: toFlag(input.canIssueLicenseTokens ?? false),
          issued_by_token_id: input.issuedByTokenId ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toToken(row);
    },
    async findByHash(secretHash) {
      const [row] = await tokenByHash(db, secretHash);
      return row ? { ...toToken(row), secretHash: row.secret_hash } : null;
    },
    async findById(id) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toToken(row) : null;
    },
    async list({ includeRevoked }) {
      let query = db.selectFrom('api_tokens').selectAll().orderBy('id');
      if (!includeRevoked) query = query.where('revoked_at', 'is', null);
      return (await query.execute()).map(toToken);
    },
    async revoke(id, at) {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: at.getTime() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async revokeIssuedBy(issuerId, at) {
      await db
        .updateTable('api_tokens')
        .set({ revoked_at: at.getTime() })
        .where('issued_by_token_id', '=', issuerId)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async bindIp(id, ip) {
      const result = await db
        .updateTable('api_tokens')
        .set({ bound_ip: ip })
        .where('id', '=', id)
        .where('bound_ip', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async countActive() {
      const row = await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}
