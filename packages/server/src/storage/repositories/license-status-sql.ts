import { type Expression, type SqlBool, sql } from 'kysely';
import type { LicenseStatus } from '../../core/licenses/license-status.js';

/**
 * core's licenseStatus (core/licenses/license-status.ts) over the licenses table: revoked once the revocation's instant
 * has come, else suspended, else expired once the expiry's instant has come, else active.
 *
 * A status is a list of disjoint arms, each of a shape an index serves: a revocation in effect by the partial
 * index on revoked_at, a license never revoked by the partial indexes of migration 006 (suspended; expiring),
 * and one whose revocation is dated ahead (rare: a clock ahead on another server, an import) by revoked_at's
 * index again. Flags are literals, not parameters, so PostgreSQL can prove a partial index's predicate from
 * them in a generic plan too. Columns are unqualified, so a query may name the table as it likes.
 */

const revokedAt = sql.ref('revoked_at');
const expiresAt = sql.ref('expires_at');
const isSuspended = sql.ref('is_suspended');

const arm = (...terms: Expression<SqlBool>[]) => sql<SqlBool>`(${sql.join(terms, sql` and `)})`;

const revokedBy = (t: number) => sql<SqlBool>`${revokedAt} <= ${t}`;
const neverRevoked = sql<SqlBool>`${revokedAt} is null`;
const revokedAfter = (t: number) => sql<SqlBool>`${revokedAt} > ${t}`;
const suspended = sql<SqlBool>`${isSuspended} = 1`;
const notSuspended = sql<SqlBool>`${isSuspended} = 0`;
const expiredBy = (t: number) => sql<SqlBool>`${expiresAt} <= ${t}`;
const notExpiredBy = (t: number) => sql<SqlBool>`(${expiresAt} is null or ${expiresAt} > ${t})`;

/** The disjoint conditions whose union is "has this status at `now`"; counted one by one, each is indexed. */
export function statusArms(status: LicenseStatus, now: Date): Expression<SqlBool>[] {
  const t = now.getTime();
  switch (status) {
    case 'revoked':
      return [revokedBy(t)];
    case 'suspended':
      return [arm(neverRevoked, suspended), arm(revokedAfter(t), suspended)];
    case 'expired':
      return [
        arm(neverRevoked, notSuspended, expiredBy(t)),
        arm(revokedAfter(t), notSuspended, expiredBy(t)),
      ];
    case 'active':
      // Most licenses: a list of them walks the licenses by id, and the overview counts them as the rest.
      return [arm(notRevokedBy(now), notSuspended, notExpiredBy(t))];
  }
}

/** Not revoked yet at `now`: never, or by a revocation dated after it. */
export function notRevokedBy(now: Date): Expression<SqlBool> {
  const t = now.getTime();
  return sql<SqlBool>`(${neverRevoked} or ${revokedAfter(t)})`;
}
