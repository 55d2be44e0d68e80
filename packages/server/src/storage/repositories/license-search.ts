import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { LicenseSearchRepository } from '../../core/licenses/license-ports.js';
import type { Database } from '../schema/index.js';
import { toLicense } from './licenses.js';

/** `*` becomes LIKE's `%`; LIKE's own wildcards and the escape character are taken literally. */
function likePattern(pattern: string): string {
  return pattern
    .toLowerCase()
    .replace(/[!%_]/g, (c) => `!${c}`)
    .replaceAll('*', '%');
}

/** Case-insensitive on both databases (PostgreSQL's LIKE is case-sensitive, SQLite's only for ASCII). */
function matches(column: 'email' | 'tag', pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(coalesce(${sql.ref(column)}, '')) like ${likePattern(pattern)} escape '!'`;
}

export function licenseSearchRepository(db: Kysely<Database>): LicenseSearchRepository {
  return {
    async search(c, { offset, limit }) {
      if (
        (c.anyOfProductIds && c.anyOfProductIds.length === 0) ||
        (c.tagPatterns && c.tagPatterns.length === 0)
      )
        return { total: 0, items: [] };
      let query = db.selectFrom('licenses');
      if (c.policyId !== undefined) query = query.where('policy_id', '=', c.policyId);
      if (c.licenseId !== undefined) query = query.where('id', '=', c.licenseId);
      for (const productIds of [c.productId === undefined ? undefined : [c.productId], c.anyOfProductIds]) {
        if (productIds === undefined) continue;
        query = query.where('id', 'in', (eb) =>
          eb.selectFrom('license_products').select('license_id').where('product_id', 'in', productIds),
        );
      }
      if (c.emailPattern !== undefined) query = query.where(matches('email', c.emailPattern));
      const tagPatterns = c.tagPatterns;
      if (tagPatterns !== undefined) {
        query = query.where('id', 'in', (eb) =>
          eb
            .selectFrom('license_tags')
            .select('license_id')
            .where((t) => t.or(tagPatterns.map((p) => matches('tag', p)))),
        );
      }
      if (c.createdFrom) query = query.where('created_at', '>=', c.createdFrom.getTime());
      if (c.createdBefore) query = query.where('created_at', '<', c.createdBefore.getTime());
      const [count, rows] = await Promise.all([
        query.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
        query.selectAll().orderBy('id').offset(offset).limit(limit).execute(),
      ]);
      return { total: Number(count.count), items: rows.map(toLicense) };
    },
  };
}
