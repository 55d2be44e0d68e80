import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { License } from '../../core/model.js';
import { at, licenseInput, policyInput } from '../../test-support/store-inputs.js';
import { createTestStore } from '../../test-support/test-store.js';
import { createStore, type KeywardStore } from '../create-store.js';
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

describe('following the SQLite change log', () => {
  let dir: string;
  let reader: KeywardStore;
  let writer: KeywardStore;
  let license: License;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-log-'));
    const location = { kind: 'sqlite' as const, path: join(dir, 'keyward.sqlite') };
    writer = createStore(location);
    await writer.migrate();
    reader = createStore(location, { cacheEntries: 100 });
    await reader.migrate();
    const product = await writer.products.insert({ name: 'log', code: null, createdAt: at(0) });
    const policy = await writer.policies.insert(policyInput(product.id));
    license = await writer.licenses.insert(licenseInput(policy));
  });

  afterAll(async () => {
    await reader.close();
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Caches the license in the reader, then lets `change` happen and waits up to a second for the entry to go. */
  async function entryDroppedAfter(change: () => void): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 30));
    await reader.licenses.findWithSeats(license.key);
    expect(reader.readCache?.seatsByKey(license.key)).toBeDefined();
    change();
    for (let waited = 0; waited < 1000; waited += 5) {
      if (reader.readCache?.seatsByKey(license.key) === undefined) return true;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return false;
  }

  const log = (sqlite: string) => (writer.database.sqlite as Sqlite.Database).exec(sqlite);

  it('forgets everything when more changes arrived than one read takes', async () => {
    const many = Array.from({ length: 1200 }, (_, i) => `('l', ${1_000_000 + i}, 0)`).join(',');
    expect(
      await entryDroppedAfter(() => log(`insert into cache_changes (kind, ref, at) values ${many}`)),
    ).toBe(true);
  });

  it('forgets everything when changes it had not read were pruned', async () => {
    expect(
      await entryDroppedAfter(() =>
        log(`begin;
          insert into cache_changes (kind, ref, at) values ('l', 2000001, 0), ('l', 2000002, 0);
          delete from cache_changes where seq = (select max(seq) - 1 from cache_changes);
          commit;`),
      ),
    ).toBe(true);
  });

  it('keeps what no change named', async () => {
    expect(
      await entryDroppedAfter(() =>
        log(`insert into cache_changes (kind, ref, at) values ('l', 3000001, 0)`),
      ),
    ).toBe(false);
  });
});
