import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectPrefixesByCodePoint,
  freshPolicy,
  listQuery,
  planFilters,
} from '../../test-support/key-search.js';
import { licenseInput } from '../../test-support/store-inputs.js';
import { createTestStore, postgresAvailable } from '../../test-support/test-store.js';

/** How PostgreSQL serves key search (what both databases share is in license-key-search.test.ts). */
describe.runIf(await postgresAvailable())('key search on PostgreSQL', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  beforeAll(async () => {
    store = await createTestStore('postgres');
  });
  afterAll(() => store.dispose());

  it('matches short prefixes by code point under a natural-language column collation', async () => {
    // Databases created with a natural-language default collation (the official PostgreSQL Docker image
    // uses en_US.utf8) put 'ÀBC' between 'AB' and 'AB\u{10FFFF}'; a column collation stands in for one.
    const own = await createTestStore('postgres');
    try {
      await sql`alter table licenses alter column key_search type text collate "en-US-x-icu"`.execute(
        own.database.db,
      );
      await expectPrefixesByCodePoint(own);
    } finally {
      await own.dispose();
    }
  });

  it('serves fragments and prefixes from an index, not a scan of the licenses', async () => {
    const policy = await freshPolicy(store);
    const db = store.database.db;
    const template = await store.licenses.insert(licenseInput(policy, { key: 'TMPLT-00000' }));
    // Enough rows that PostgreSQL's planner prefers an index when one fits.
    const columns = await sql<{ name: string }>`
      select column_name as name from information_schema.columns
      where table_schema = current_schema() and table_name = 'licenses'
        and is_generated = 'NEVER' and column_name not in ('id', 'key')`.execute(db);
    const list = sql.join(columns.rows.map((c) => sql.ref(c.name)));
    await sql`insert into licenses (key, ${list})
      select 'GEN' || lpad(to_hex(n * 2654435761 % 4294967296), 8, '0') || '-' || n, ${list}
      from generate_series(1, 20000) n cross join (select * from licenses where id = ${template.id}) t
    `.execute(db);
    // As autovacuum leaves it: the rows moved from GIN's pending list into the index proper.
    await sql`vacuum analyze licenses`.execute(db);
    const plans: string[] = [];
    for (const filter of planFilters(policy.productId)) {
      const compiled = await listQuery(store, filter);
      const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]),
      );
      plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
    }
    expect(plans[0]).toMatch(/licenses_key_search_trigrams/);
    expect(plans[1]).toMatch(/licenses_key_search/);
    for (const plan of plans.slice(0, 2)) expect(plan).not.toMatch(/Seq Scan on licenses/);
  });
});
