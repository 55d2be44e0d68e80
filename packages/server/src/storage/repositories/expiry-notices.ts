import type { Kysely } from 'kysely';
import type { ExpiryNoticeRepository } from '../../core/events/webhook-ports.js';
import { fromMillis } from '../columns.js';
import type { Database } from '../schema/index.js';
import { notRevokedBy } from './license-status-sql.js';

export function expiryNoticeRepository(db: Kysely<Database>): ExpiryNoticeRepository {
  return {
    async findDue({ kind, from, to, now, limit }) {
      const rows = await db
        .selectFrom('licenses as l')
        .select(['l.id', 'l.product_id', 'l.expires_at'])
        .where('l.expires_at', '>=', from.getTime())
        .where('l.expires_at', '<', to.getTime())
        .where(notRevokedBy(now))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('expiry_notices as n')
                .select('n.license_id')
                .whereRef('n.license_id', '=', 'l.id')
                .where('n.kind', '=', kind)
                .whereRef('n.expires_at', '=', 'l.expires_at'),
            ),
          ),
        )
        .orderBy('l.expires_at')
        .orderBy('l.id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        licenseId: row.id,
        productId: row.product_id,
        expiresAt: fromMillis(row.expires_at as number),
      }));
    },
    async record(kind, notices, at) {
      if (notices.length === 0) return [];
      const rows = await db
        .insertInto('expiry_notices')
        .values(
          notices.map((n) => ({
            license_id: n.licenseId,
            kind,
            expires_at: n.expiresAt.getTime(),
            created_at: at.getTime(),
          })),
        )
        .onConflict((oc) => oc.columns(['license_id', 'kind', 'expires_at']).doNothing())
        .returning(['license_id', 'expires_at'])
        .execute();
      return rows.map((row) => ({ licenseId: row.license_id, expiresAt: fromMillis(row.expires_at) }));
    },
  };
}
