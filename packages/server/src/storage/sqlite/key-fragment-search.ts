import { type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { KeyFragmentSearch } from '../database-adapter.js';

/** An FTS5 query for the keys holding every trigram of a search form: `"ABC" AND "BCD" AND …`. */
function trigramQuery(form: string): string {
  const characters = [...form];
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= characters.length; i++) trigrams.add(characters.slice(i, i + 3).join(''));
  return [...trigrams].map((trigram) => `"${trigram.replaceAll('"', '""')}"`).join(' AND ');
}

/**
 * A fragment is looked up in the FTS5 trigram table of migration 013, joined so that it leads: SQLite walks its
 * matches in id order and stops after a page. Selecting its ids first (`licenses.id in (…)`) read every match,
 * 2.5 s at a million keys for a fragment most keys share (a fixed `ACME-` in the key format).
 */
export const trigramKeyFragments: KeyFragmentSearch = {
  joinIndex: (query) =>
    (query as unknown as SelectQueryBuilder<{ licenses: { id: number } }, 'licenses', unknown>).innerJoin(
      sql<{ rowid: number }>`license_key_trigrams`.as('key_trigrams'),
      (join) => join.on(sql<SqlBool>`${sql.ref('key_trigrams.rowid')} = ${sql.ref('licenses.id')}`),
    ) as unknown as typeof query,
  pageColumn: sql.ref<number>('key_trigrams.rowid'),
  // The keys holding every trigram of the fragment, then those holding the fragment itself. MATCH rather than
  // LIKE: FTS5 pages a LIKE by reading and dropping every match above the cursor (seconds deep into a common
  // fragment), and takes `%` and `_` as wildcards.
  contains: (form) =>
    sql<SqlBool>`${sql.ref('key_trigrams.license_key_trigrams')} match ${trigramQuery(form)}
      and instr(${sql.ref('licenses.key_search')}, ${form}) > 0`,
};
