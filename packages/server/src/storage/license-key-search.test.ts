import { type Kysely, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySearchForm } from '../core/licenses/key-search.js';
import type { LicenseFilter } from '../core/licenses/license-ports.js';
import type { Policy } from '../core/model.js';
import { expectPrefixesByCodePoint, freshPolicy } from '../test-support/key-search.js';
import { licenseInput, T0 } from '../test-support/store-inputs.js';
import {
  createTestDatabase,
  createTestStore,
  type TestDialect,
  testDialects,
} from '../test-support/test-store.js';
import { createStore } from './create-store.js';
import { migrationProvider } from './migrate.js';

/**
 * Key search on both databases: any fragment of a key, ignoring case, dashes and spaces (core/licenses/key-search.ts),
 * served by an index; the search form kept in step with every write, and computed for rows written before
 * the migration that introduced it. How each database serves it: sqlite/ and postgres/key-search.test.ts.
 */

const dialects: TestDialect[] = await testDialects();
const ids = (items: { id: number }[]) => items.map((item) => item.id);

describe.each(dialects)('key search on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let policy: Policy;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    policy = await freshPolicy(store);
  });
  afterAll(() => store.dispose());

  const insert = (key: string, other: Policy = policy) => store.licenses.insert(licenseInput(other, { key }));
  const search = async (key: string, filter: { policyId?: number; after?: number } = {}) =>
    ids(
      await store.licenses.list(
        { key, policyId: filter.policyId ?? policy.id },
        { after: filter.after ?? null, limit: 100, now: T0 },
      ),
    );

  it('finds keys by any fragment of three or more characters, ignoring case, dashes and spaces', async () => {
    const a = await insert('JNQN5-DZ45R-ABCDE-FGHJK');
    const b = await insert('ZZZZZ-JNQN5-QQQQQ-QQQQQ');
    const c = await insert('jn-xyz-imported');
    const d = await insert('QQ 45R Q');
    expect(await search('jnqn5')).toEqual([b.id, a.id]);
    expect(await search('JNQN5DZ45R')).toEqual([a.id]);
    expect(await search('DZ45R')).toEqual([a.id]);
    expect(await search('dz-45r')).toEqual([a.id]);
    expect(await search(' JNQN5-DZ45R-ABCDE-FGHJK ')).toEqual([a.id]);
    expect(await search('jnqn5dz45rabcdefghjk')).toEqual([a.id]);
    expect(await search('45R')).toEqual([d.id, a.id]);
    expect(await search('xyzimp')).toEqual([c.id]);
    expect(await search('NOPE7')).toEqual([]);
    expect(await search('DZ45RX')).toEqual([]);
    // Trigrams of the fragment that all occur, but not in one run, are no match.
    expect(await search('5DZ4Q')).toEqual([]);
    // One or two characters match the beginning only: `jn` starts two keys and sits inside a third.
    expect(await search('jn')).toEqual([c.id, a.id]);
    expect(await search('J')).toEqual([c.id, a.id]);
    expect(await search('Q-q')).toEqual([d.id]);
    expect(await search('45')).toEqual([]);
    // Nothing left to match is no filter.
    expect(await search('- -')).toEqual([d.id, c.id, b.id, a.id]);
    expect(await search('jnqn5', { after: b.id })).toEqual([a.id]);
  });

  it('takes %, _ and \\ as plain characters', async () => {
    const own = await freshPolicy(store);
    const marked = await insert('P%Q_R\\S-1', own);
    await insert('PXQYR\\S-2', own);
    await insert('P%Q_RXS-3', own);
    const underscore = await insert('_X-4', own);
    const quoted = await insert('Q"UOTE-5', own);
    const find = (key: string) => search(key, { policyId: own.id });
    expect(await find('%q_r\\')).toEqual([marked.id]);
    expect(await find('p%q')).toEqual([marked.id + 2, marked.id]);
    expect(await find('Q_R\\S1')).toEqual([marked.id]);
    expect(await find('_x')).toEqual([underscore.id]);
    expect(await find('_')).toEqual([underscore.id]);
    expect(await find('%')).toEqual([]);
    expect(await find('q"uo')).toEqual([quoted.id]);
    expect(await find('"')).toEqual([]);
  });

  it('pages through a fragment most keys share, in both orders and with a product', async () => {
    const own = await freshPolicy(store);
    const made: number[] = [];
    for (let i = 0; i < 7; i++) made.push((await insert(`ACME-${i}${i}${i}-PAGE`, own)).id);
    const other = await freshPolicy(store);
    await insert('ACME-999-OTHER', other);
    const pages = async (order: 'asc' | 'desc', filter: LicenseFilter) => {
      const seen: number[][] = [];
      for (let after: number | null = null; ; ) {
        const page: number[] = ids(await store.licenses.list(filter, { after, limit: 3, now: T0, order }));
        if (page.length === 0) return seen;
        seen.push(page);
        after = page[page.length - 1] as number;
      }
    };
    const newestFirst = [...made].reverse();
    const byPolicy = { key: 'acme', policyId: own.id };
    expect(await pages('desc', byPolicy)).toEqual([
      newestFirst.slice(0, 3),
      newestFirst.slice(3, 6),
      newestFirst.slice(6),
    ]);
    expect(await pages('asc', byPolicy)).toEqual([made.slice(0, 3), made.slice(3, 6), made.slice(6)]);
    const byProduct = { key: 'cme-', productId: own.productId };
    expect((await pages('desc', byProduct)).flat()).toEqual(newestFirst);
    expect(await store.licenses.countUpTo({ key: 'ACME', policyId: own.id }, { now: T0, max: 5 })).toBe(6);
    expect(
      await store.licenses.countUpTo({ key: 'acme', productId: own.productId }, { now: T0, max: 100 }),
    ).toBe(7);
  });

  it('keeps the search in step when a key changes and when a license goes', async () => {
    const own = await freshPolicy(store);
    const license = await insert('OLDKY-AAAAA', own);
    const find = (key: string) => search(key, { policyId: own.id });
    expect(await find('oldky')).toEqual([license.id]);
    await store.licenses.update(license.id, { key: 'NEWKY-BBBBB' });
    expect(await find('oldky')).toEqual([]);
    expect(await find('wkyb')).toEqual([license.id]);
    expect(await find('NE')).toEqual([license.id]);
    await store.licenses.update(license.id, { notes: 'a change that keeps the key' });
    expect(await find('wkyb')).toEqual([license.id]);
    await store.licenses.delete(license.id);
    expect(await find('wkyb')).toEqual([]);
    expect(await find('NE')).toEqual([]);
  });

  it('stores the search form core defines, for any key', async () => {
    const keys = ['abc-DEF ghi', 'é-ß-straße', 'tab\tkey', 'Ünï-cödé-ÅB', 'x'.repeat(200), '- - -'];
    for (const key of keys) {
      const license = await insert(key);
      const { rows } = await sql<{ key_search: string }>`
        select key_search from licenses where id = ${license.id}`.execute(store.database.db);
      expect(rows[0]?.key_search).toBe(keySearchForm(key));
    }
  });

  it('matches short prefixes by code point', async () => {
    // Under a natural-language column collation too: postgres/key-search.test.ts.
    const own = await createTestStore(dialect);
    try {
      await expectPrefixesByCodePoint(own);
    } finally {
      await own.dispose();
    }
  });

  it('finds the licenses whose key has a given search form', async () => {
    const own = await freshPolicy(store);
    const dashed = await insert('SAME-FORM-1', own);
    const lower = await insert('same form 1', own);
    await insert('SAME-FORM-12', own);
    expect(ids(await store.licenses.listBySearchForm('SAMEFORM1', 10))).toEqual([dashed.id, lower.id]);
    expect(ids(await store.licenses.listBySearchForm('SAMEFORM1', 1))).toEqual([dashed.id]);
    expect(await store.licenses.listBySearchForm('SAMEFORM', 10)).toEqual([]);
  });
});

describe.each(dialects)('the key search migration on %s', (dialect) => {
  it('computes the search form of licenses stored before it', async () => {
    const target = await createTestDatabase(dialect);
    const store = createStore(target.location);
    try {
      const db = store.database.db as Kysely<unknown>;
      const { adapter } = store.database;
      const provider = migrationProvider(adapter);
      const names = Object.keys(await provider.getMigrations()).sort();
      const mine = names.findIndex((name) => name.endsWith('-license-key-search'));
      expect(mine).toBeGreaterThan(0);
      const schema = await adapter.migrationTableSchema(db);
      const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
      // As migrateToLatest: Kysely lists every schema's tables, and neighbouring tests drop theirs meanwhile.
      const migrateTo = async (name: string) => {
        for (let attempt = 1; ; attempt++) {
          const { error } = await migrator.migrateTo(name);
          if (!error) return;
          if ((error as { code?: unknown }).code !== '3F000' || attempt === 10) throw error;
          await new Promise((done) => setTimeout(done, 20 * attempt));
        }
      };
      await migrateTo(names[mine - 1] as string);
      const policy = await freshPolicy(store);
      const old = await store.licenses.insert(licenseInput(policy, { key: 'BEFOR-E1234-abcde' }));
      await migrateTo(names[mine] as string);
      const found = await store.licenses.list({ key: 'e1234ab' }, { after: null, limit: 10, now: T0 });
      expect(ids(found)).toEqual([old.id]);
      expect(ids(await store.licenses.list({ key: 'be' }, { after: null, limit: 10, now: T0 }))).toEqual([
        old.id,
      ]);
    } finally {
      await store.close();
      await target.drop();
    }
  });
});
