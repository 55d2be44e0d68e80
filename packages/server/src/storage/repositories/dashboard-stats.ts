import { type Kysely, sql } from 'kysely';
import type { StatsRepository } from '../../core/access/dashboard-ports.js';
import type { LicenseStatus } from '../../core/licenses/license-status.js';
import type { Database } from '../schema/index.js';
import { statusArms } from './license-status-sql.js';

type Counted = { count: number | string };
const number = (rows: Counted[]) => Number(rows[0]?.count ?? 0);

export function statsRepository(db: Kysely<Database>): StatsRepository {
  const count = async (query: ReturnType<typeof sql<Counted>>) => number((await query.execute(db)).rows);
  return {
    async overview(now) {
      // One status per license (core/licenses/license-status.ts). Each arm of a status is answered by an index (the
      // partial ones of migration 006), never by reading the wide license rows; active ones are the rest.
      const countWith = async (status: LicenseStatus) => {
        const arms = statusArms(status, now);
        const counts = await Promise.all(
          arms.map((arm) => count(sql<Counted>`select count(*) as count from licenses where ${arm}`)),
        );
        return counts.reduce((sum, n) => sum + n, 0);
      };
      const [products, policies, customers, machines, licenses, revoked, suspended, expired] =
        await Promise.all([
          count(sql<Counted>`select count(*) as count from products`),
          count(sql<Counted>`select count(*) as count from policies`),
          count(sql<Counted>`select count(*) as count from customers`),
          count(sql<Counted>`select count(*) as count from machines where deactivated_at is null`),
          count(sql<Counted>`select count(*) as count from licenses`),
          countWith('revoked'),
          countWith('suspended'),
          countWith('expired'),
        ]);
      return {
        products,
        policies,
        customers,
        licenses,
        activeLicenses: licenses - revoked - suspended - expired,
        suspendedLicenses: suspended,
        revokedLicenses: revoked,
        expiredLicenses: expired,
        activeMachines: machines,
      };
    },
    async eventCounts({ types, since, until, bucketMs }) {
      if (types.length === 0) return [];
      const starts: number[] = [];
      for (let at = since.getTime(); at < until.getTime(); at += bucketMs) starts.push(at);
      // One index range count per bucket and type on events (type, created_at): grouping a million events
      // instead would sort them all.
      const buckets = sql.join(
        starts.map((start) => sql`select cast(${start} as bigint) as start`),
        sql` union all `,
      );
      const kinds = sql.join(
        types.map((type) => sql`select cast(${type} as text) as type`),
        sql` union all `,
      );
      const { rows } = await sql<{ start: number | string; type: string; count: number | string }>`
        select b.start as start, k.type as type,
          (select count(*) from events e
            where e.type = k.type and e.created_at >= b.start and e.created_at < b.start + ${bucketMs}) as count
        from (${buckets}) b cross join (${kinds}) k`.execute(db);
      return rows
        .map((r) => ({ start: Number(r.start), type: r.type, count: Number(r.count) }))
        .filter((r) => r.count > 0);
    },
  };
}
