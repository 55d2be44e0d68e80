import { type SqlBool, sql } from 'kysely';
import type { KeyFragmentSearch } from '../database-adapter.js';

/** A LIKE on the search form, served by pg_trgm's GIN index of migration 013 where the extension was had. */
export const likeKeyFragments: KeyFragmentSearch = {
  joinIndex: (query) => query,
  pageColumn: null,
  contains(form) {
    // LIKE's default escape is the backslash.
    const pattern = `%${form.replace(/[\\%_]/g, '\\$&')}%`;
    return sql<SqlBool>`${sql.ref('licenses.key_search')} like ${pattern}`;
  },
};
