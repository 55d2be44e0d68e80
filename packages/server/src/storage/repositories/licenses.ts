import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
  type Updateable,
} from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { periodFromText, periodToText } from '../../core/licenses/calendar-period.js';
import { type KeySearch, keySearch } from '../../core/licenses/key-search.js';
import type {
  LicenseFilter,
  LicenseRepository,
  LicenseWithSeats,
  NewLicense,
} from '../../core/licenses/license-ports.js';
import type { FeatureValue, License, NamedUser } from '../../core/model.js';
import {
  columnsFor,
  fromFlag,
  fromFlagOrNull,
  fromJson,
  fromMillis,
  fromMillisOrNull,
  toFlag,
  toFlagOrNull,
  toJson,
  toMillisOrNull,
} from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import { precompiled } from '../precompiled.js';
import type { Database } from '../schema/index.js';
import type { LicensesTable } from '../schema/licenses.js';
import { statusArms } from './license-status-sql.js';
import { activeMachinesOf, toMachine } from './machine-rows.js';
import { policyById, toPolicy } from './policies.js';

export const toLicense = (row: Selectable<LicensesTable>): License => ({
  id: row.id,
  key: row.key,
  policyId: row.policy_id,
  productIds: fromJson<number[]>(row.product_ids),
  customerId: row.customer_id,
  email: row.email,
  notes: row.notes,
  alias: row.alias,
  expiresAt: fromMillisOrNull(row.expires_at),
  firstActivatedAt: fromMillisOrNull(row.first_activated_at),
  isSuspended: fromFlag(row.is_suspended),
  revokedAt: fromMillisOrNull(row.revoked_at),
  overrides: {
    maxMachines: row.max_machines,
    maxDeactivations: row.max_deactivations,
    isFloating: fromFlagOrNull(row.is_floating),
    leaseSeconds: row.lease_seconds,
    maxOverdraft: row.max_overdraft,
    allowVm: fromFlagOrNull(row.allow_vm),
  },
  isCleanable: fromFlag(row.is_cleanable),
  activationCount: row.activation_count,
  deactivationCount: row.deactivation_count,
  resetCount: row.reset_count,
  features: fromJson<Record<string, FeatureValue>>(row.features),
  tags: fromJson<string[]>(row.tags),
  allowedMachines: fromJson<string[]>(row.allowed_machines),
  namedUsers: fromJson<NamedUser[]>(row.named_users),
  createdAt: fromMillis(row.created_at),
  updatedAt: fromMillis(row.updated_at),
  lastValidatedAt: fromMillisOrNull(row.last_validated_at),
  // Cryptolens-era settings appear only when set, so other licenses read back exactly as they were written.
  ...(row.term_seconds !== null ? { termSeconds: Number(row.term_seconds) } : {}),
  ...(fromFlag(row.has_trial_activation) ? { hasTrialActivation: true } : {}),
  ...(row.trial_fingerprint !== null ? { trialFingerprint: row.trial_fingerprint } : {}),
  ...(row.reseller_id !== null ? { resellerId: row.reseller_id } : {}),
  ...(row.activation_period !== null ? { activationPeriod: periodFromText(row.activation_period) } : {}),
  ...(row.term_period !== null ? { termPeriod: periodFromText(row.term_period) } : {}),
});

type LicenseChanges = Partial<Omit<License, 'id' | 'createdAt'>>;
type Row = Updateable<LicensesTable>;
const licenseColumns: {
  [K in keyof LicenseChanges]?: (value: Exclude<LicenseChanges[K], undefined>) => Row;
} = {
  key: (v) => ({ key: v }),
  policyId: (v) => ({ policy_id: v }),
  productIds: (v) => ({ product_ids: toJson(v), product_id: v[0] as number }),
  customerId: (v) => ({ customer_id: v }),
  email: (v) => ({ email: v }),
  notes: (v) => ({ notes: v }),
  alias: (v) => ({ alias: v }),
  expiresAt: (v) => ({ expires_at: toMillisOrNull(v) }),
  firstActivatedAt: (v) => ({ first_activated_at: toMillisOrNull(v) }),
  isSuspended: (v) => ({ is_suspended: toFlag(v) }),
  revokedAt: (v) => ({ revoked_at: toMillisOrNull(v) }),
  overrides: (o) => ({
    max_machines: o.maxMachines,
    max_deactivations: o.maxDeactivations,
    is_floating: toFlagOrNull(o.isFloating),
    lease_seconds: o.leaseSeconds,
    max_overdraft: o.maxOverdraft,
    allow_vm: toFlagOrNull(o.allowVm),
  }),
  isCleanable: (v) => ({ is_cleanable: toFlag(v) }),
  activationCount: (v) => ({ activation_count: v }),
  deactivationCount: (v) => ({ deactivation_count: v }),
  resetCount: (v) => ({ reset_count: v }),
  features: (v) => ({ features: toJson(v) }),
  tags: (v) => ({ tags: toJson(v) }),
  allowedMachines: (v) => ({ allowed_machines: toJson(v) }),
  namedUsers: (v) => ({ named_users: toJson(v) }),
  updatedAt: (v) => ({ updated_at: v.getTime() }),
  lastValidatedAt: (v) => ({ last_validated_at: toMillisOrNull(v) }),
  termSeconds: (v) => ({ term_seconds: v }),
  hasTrialActivation: (v) => ({ has_trial_activation: toFlag(v) }),
  trialFingerprint: (v) => ({ trial_fingerprint: v }),
  resellerId: (v) => ({ reseller_id: v }),
  activationPeriod: (v) => ({ activation_period: v === null ? null : periodToText(v) }),
  termPeriod: (v) => ({ term_period: v === null ? null : periodToText(v) }),
};

// The validate path's lookups, compiled once (see precompiled.ts).
const licenseByKey = precompiled(1, (db, key: string) =>
  db.selectFrom('licenses').selectAll().where('key', '=', key),
);
const licenseById = precompiled(1, (db, id: number) =>
  db.selectFrom('licenses').selectAll().where('id', '=', id),
);

/**
 * Where every query is a round trip (PostgreSQL), on the validate and activate paths those round trips were
 * most of the work of both processes: so the license comes with its policy and active machines as JSON, in one
 * query. (A database that runs in process, SQLite, does its three indexed lookups for less than building and
 * parsing the JSON: `runsInProcess`.)
 */
const withSeats = (eb: ExpressionBuilder<Database, 'licenses'>) => [
  jsonObjectFrom(
    eb.selectFrom('policies').selectAll('policies').whereRef('policies.id', '=', 'licenses.policy_id'),
  ).as('policy'),
  jsonArrayFrom(
    eb
      .selectFrom('machines')
      .selectAll('machines')
      .whereRef('machines.license_id', '=', 'licenses.id')
      .where('deactivated_at', 'is', null)
      .orderBy('machines.id'),
  ).as('machines'),
];

const licenseWithSeatsByKey = precompiled(1, (db, key: string) =>
  db.selectFrom('licenses').selectAll('licenses').select(withSeats).where('licenses.key', '=', key),
);

const licenseWithSeatsById = precompiled(1, (db, id: number) =>
  db.selectFrom('licenses').selectAll('licenses').select(withSeats).where('licenses.id', '=', id),
);

type LicenseRowLock = (db: Kysely<Database>, id: number) => Promise<{ id: number }[]>;
const licenseRowLocks = new WeakMap<DatabaseAdapter, LicenseRowLock>();

/**
 * Takes the license's row lock; the read that follows brings the row itself. Built per adapter, which decides
 * how rows are locked, and compiled once for each (precompiled.ts).
 */
function licenseRowLock(adapter: DatabaseAdapter): LicenseRowLock {
  let lock = licenseRowLocks.get(adapter);
  if (!lock) {
    lock = precompiled(1, (db, id: number) =>
      adapter.lockForUpdate(db.selectFrom('licenses').select('id').where('id', '=', id)),
    );
    licenseRowLocks.set(adapter, lock);
  }
  return lock;
}

type RowWithSeats = Awaited<ReturnType<typeof licenseWithSeatsByKey>>[number];

function toLicenseWithSeats({ policy, machines, ...license }: RowWithSeats): LicenseWithSeats {
  return {
    license: toLicense(license),
    policy: policy ? toPolicy(policy) : null,
    machines: machines.map(toMachine),
  };
}

const searchOf = (filter: LicenseFilter): KeySearch | null =>
  filter.key === undefined ? null : keySearch(filter.key);

export function licenseRepository(db: Kysely<Database>, adapter: DatabaseAdapter): LicenseRepository {
  const lockRow = licenseRowLock(adapter);
  // Compared by code point, as the b-tree of migration 013 orders it, so that a prefix is a range of it.
  const searchColumn = adapter.byCodePoint('licenses.key_search');
  const fragments = adapter.keyFragments;
  const isFragment = (search: KeySearch | null) => search?.match === 'contains';

  /** The column pages are cut along: the one the leading table of `matching` is walked by. */
  function pageColumn(filter: LicenseFilter) {
    if (isFragment(searchOf(filter)) && fragments.pageColumn) return fragments.pageColumn;
    return sql.ref<number>(filter.productId === undefined ? 'licenses.id' : 'by_product.license_id');
  }

  /** The licenses a filter names but for its status, before any ordering, paging or selection. */
  function matching(filter: LicenseFilter) {
    const productId = filter.productId;
    const search = searchOf(filter);
    let query = db
      .selectFrom('licenses')
      .$if(productId !== undefined, (q) =>
        q
          .innerJoin('license_products as by_product', 'by_product.license_id', 'licenses.id')
          .where('by_product.product_id', '=', productId as number),
      )
      .$if(isFragment(search), (q) => fragments.joinIndex(q));
    if (filter.tag !== undefined) {
      const tag = filter.tag;
      query = query.where('licenses.id', 'in', (eb) =>
        eb.selectFrom('license_tags').select('license_id').where('tag', '=', tag),
      );
    }
    if (filter.policyId !== undefined) query = query.where('policy_id', '=', filter.policyId);
    if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
    if (filter.email !== undefined) query = query.where('email', '=', filter.email);
    if (search) query = query.where(keyMatches(search));
    return query;
  }

  /**
   * The licenses a filter names (list and countUpTo), as disjoint queries: one per arm of its status
   * (license-status-sql.ts), each read along its own index. One OR of the arms would be read along none.
   */
  function matchingByArm(filter: LicenseFilter, now: Date) {
    if (filter.status === undefined) return [matching(filter)];
    return statusArms(filter.status, now).map((arm) => matching(filter).where(arm));
  }

  /** Keys matching a search (core/licenses/key-search.ts); `%`, `_` and `\` in it are plain characters. */
  function keyMatches({ form, match }: KeySearch): Expression<SqlBool> {
    if (match === 'prefix') {
      // A range instead of LIKE: served by the b-tree on both databases.
      return sql<SqlBool>`${searchColumn} >= ${form} and ${searchColumn} < ${`${form}\u{10FFFF}`}`;
    }
    return fragments.contains(form);
  }

  async function writeIndexes(id: number, license: Pick<License, 'productIds' | 'tags'>, replace: boolean) {
    if (replace) {
      await db.deleteFrom('license_products').where('license_id', '=', id).execute();
      await db.deleteFrom('license_tags').where('license_id', '=', id).execute();
    }
    await db
      .insertInto('license_products')
      .values(license.productIds.map((productId) => ({ license_id: id, product_id: productId })))
      .execute();
    if (license.tags.length > 0) {
      await db
        .insertInto('license_tags')
        .values(license.tags.map((tag) => ({ license_id: id, tag })))
        .execute();
    }
  }

  async function withSeatsOf(license: License | null): Promise<LicenseWithSeats | null> {
    if (!license) return null;
    const [policy] = await policyById(db, license.policyId);
    const machines = await activeMachinesOf(db, license.id);
    return { license, policy: policy ? toPolicy(policy) : null, machines: machines.map(toMachine) };
  }

  return {
    async insert(input: NewLicense) {
      const values = columnsFor<LicenseChanges, Row>(input, licenseColumns) as Required<Row>;
      const row = await db
        .insertInto('licenses')
        .values({ ...values, id: undefined, created_at: input.createdAt.getTime() } as never)
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeIndexes(row.id, input, false);
      return toLicense(row);
    },
    async findById(id) {
      const [row] = await licenseById(db, id);
      return row ? toLicense(row) : null;
    },
    async findByKey(key) {
      const [row] = await licenseByKey(db, key);
      return row ? toLicense(row) : null;
    },
    async listBySearchForm(form, limit) {
      const rows = await db
        .selectFrom('licenses')
        .selectAll()
        .where(searchColumn, '=', form)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toLicense);
    },
    async findWithSeats(key) {
      if (adapter.runsInProcess) return withSeatsOf(await this.findByKey(key));
      const [row] = await licenseWithSeatsByKey(db, key);
      return row ? toLicenseWithSeats(row) : null;
    },
    async findWithSeatsById(id) {
      if (adapter.runsInProcess) return withSeatsOf(await this.findById(id));
      const [row] = await licenseWithSeatsById(db, id);
      return row ? toLicenseWithSeats(row) : null;
    },
    async lockWithSeats(id) {
      if (adapter.runsInProcess) return withSeatsOf(await this.lockById(id));
      // Lock first, then read in a statement of its own: under READ COMMITTED a statement that waited for the
      // lock still reads the machines as they were when it began, before the holder of the lock committed its
      // seat (the limits tests caught that as over-allocation).
      const [locked] = await lockRow(db, id);
      if (!locked) return null;
      const [row] = await licenseWithSeatsById(db, id);
      return row ? toLicenseWithSeats(row) : null;
    },
    async lockById(id) {
      const row = await adapter
        .lockForUpdate(db.selectFrom('licenses').selectAll().where('id', '=', id))
        .executeTakeFirst();
      return row ? toLicense(row) : null;
    },
    async list(filter: LicenseFilter, { after, limit, now, order = 'desc' }) {
      // With a product, the page is walked along license_products' (product_id, license_id) index, which stops
      // after `limit` rows; `licenses.id in (…)` collected every license of the product first (315 ms at 1 M).
      const id = pageColumn(filter);
      const pages = matchingByArm(filter, now).map((query) => {
        const page = query.selectAll('licenses').orderBy(id, order).limit(limit);
        return after === null ? page : page.where(id, order === 'desc' ? '<' : '>', after);
      });
      const [only, ...more] = pages;
      if (only && more.length === 0) return (await only.execute()).map(toLicense);
      // A status of several arms: a page of each, then the page of their union (the page column is the id).
      const union = pages
        .map((each) => db.selectFrom(each.as('arm')).selectAll())
        .reduce((all, next) => all.unionAll(next));
      const rows = await db
        .selectFrom(union.as('arms'))
        .selectAll()
        .orderBy('arms.id', order)
        .limit(limit)
        .execute();
      return rows.map(toLicense);
    },
    async countUpTo(filter: LicenseFilter, { now, max }) {
      // Each arm stops after max + 1 matches, so no filter costs more than reading that many rows of an index
      // per arm of its status.
      const arms = matchingByArm(filter, now).map((query) =>
        query
          .select(sql<number>`1`.as('one'))
          .limit(max + 1)
          .as('matched'),
      );
      const [only, ...more] = arms;
      const matched =
        only && more.length === 0
          ? only
          : arms
              .map((each) => db.selectFrom(each).select('one'))
              .reduce((all, next) => all.unionAll(next))
              .as('matched');
      const row = await db
        .selectFrom(matched)
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .executeTakeFirstOrThrow();
      return Math.min(Number(row.count), max + 1);
    },
    async update(id, changes) {
      const set = columnsFor<LicenseChanges, Row>(changes, licenseColumns);
      const row = await db
        .updateTable('licenses')
        .set(set)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (changes.productIds || changes.tags) await writeIndexes(id, toLicense(row), true);
      return toLicense(row);
    },
    async delete(id) {
      const result = await db.deleteFrom('licenses').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async touchValidated(ids, at, renewedIfBefore) {
      if (ids.length === 0) return;
      await db
        .updateTable('licenses')
        .set({ last_validated_at: at.getTime() })
        .where('id', 'in', ids)
        .where((eb) =>
          eb.or([
            eb('last_validated_at', 'is', null),
            eb('last_validated_at', '<', renewedIfBefore.getTime()),
          ]),
        )
        .execute();
    },
    async findTrial(productId, fingerprint) {
      const row = await db
        .selectFrom('licenses')
        .selectAll()
        .where('product_id', '=', productId)
        .where('trial_fingerprint', '=', fingerprint)
        .executeTakeFirst();
      return row ? toLicense(row) : null;
    },
  };
}
