import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../../test-support/test-store.js';
import type { KeywardStore } from '../create-store.js';
import { WATCHED_TABLES } from '../read-cache/watched-tables.js';

describe('the SQLite change log’s triggers', () => {
  let store: KeywardStore & { dispose(): Promise<void> };
  beforeAll(async () => {
    store = await createTestStore('sqlite');
  });
  afterAll(() => store.dispose());

  it('watch every column of a cached table but the ignored ones: a migration adding a column recreates them', async () => {
    for (const { table, events, ignored = [] } of WATCHED_TABLES) {
      if (!events.includes('update')) continue;
      const { rows: columns } = await sql<{
        name: string;
      }>`select name from pragma_table_info(${table})`.execute(store.database.db);
      const { rows } = await sql<{
        sql: string;
      }>`select sql from sqlite_master where type = 'trigger' and name = ${`keyward_cache_${table}_update`}`.execute(
        store.database.db,
      );
      const watched = /update of (.*?) on /i.exec(rows[0]?.sql ?? '')?.[1]?.split(', ') ?? [];
      expect(watched.sort(), table).toEqual(
        columns
          .map((c) => c.name)
          .filter((name) => !ignored.includes(name))
          .sort(),
      );
    }
  });
});
