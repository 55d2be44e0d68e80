import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../opened-database.js';
import { openSqlite } from './open-sqlite.js';

describe('waiting for the write lock another connection holds', () => {
  const dirs: string[] = [];
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const open = (): { database: OpenDatabase; other: Sqlite.Database } => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-write-lock-'));
    dirs.push(dir);
    const path = join(dir, 'keyward.sqlite');
    const database = openSqlite(path, {});
    closers.push(() => database.close());
    // Another writer on the same file: the bookkeeping thread, another process.
    const other = new Sqlite(path);
    closers.push(() => other.close());
    return { database, other };
  };

  it('keeps the event loop turning, then takes the lock as soon as it is released', async () => {
    const { database, other } = open();
    await sql`create table t (n integer not null)`.execute(database.db);
    other.exec('begin immediate');
    let turns = 0;
    const ticker = setInterval(() => turns++, 5);
    closers.push(() => clearInterval(ticker));
    let committed = false;
    const writing = database.db
      .transaction()
      .execute((tx) => sql`insert into t (n) values (1)`.execute(tx))
      .then(() => {
        committed = true;
      });
    await new Promise((resume) => setTimeout(resume, 150));
    // SQLite's own busy handler would have slept on this thread: no timer could have fired meanwhile.
    expect(turns).toBeGreaterThan(10);
    expect(committed).toBe(false);
    other.exec('insert into t (n) values (2)');
    other.exec('commit');
    await writing;
    const rows = await sql<{ n: number }>`select n from t order by rowid`.execute(database.db);
    expect(rows.rows.map((r) => r.n)).toEqual([2, 1]);
  });

  it('still waits in SQLite for a statement outside a transaction', () => {
    const { database } = open();
    expect(database.sqlite?.pragma('busy_timeout', { simple: true })).toBe(5000);
  });
});
