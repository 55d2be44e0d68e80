import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../opened-database.js';
import { openSqlite } from './open-sqlite.js';

/** About 6 MB in one commit: a WAL of well over the 1,000 pages at which SQLite checkpoints by itself. */
async function writeManyPages(database: OpenDatabase): Promise<void> {
  await sql`create table filler (id integer primary key, body text not null)`.execute(database.db);
  await sql`
    insert into filler (body)
    with recursive n(i) as (select 1 union all select i + 1 from n where i < 1500)
    select printf('%.4000c', 'x') from n
  `.execute(database.db);
}

describe('WAL checkpoints off the event loop (the server)', () => {
  const dirs: string[] = [];
  const opened: OpenDatabase[] = [];
  const open = (backgroundThreads: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-checkpoint-'));
    dirs.push(dir);
    const path = join(dir, 'keyward.sqlite');
    const database = openSqlite(path, { backgroundThreads });
    opened.push(database);
    return { database, fileSize: () => statSync(path).size };
  };
  afterEach(async () => {
    for (const database of opened.splice(0)) await database.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('without it, the commit that grows the WAL copies it into the file, on the caller’s thread', async () => {
    const { database, fileSize } = open(false);
    await writeManyPages(database);
    expect(fileSize()).toBeGreaterThan(5_000_000);
  });

  it('with it, no commit checkpoints; the background thread copies the WAL into the file soon after', async () => {
    const { database, fileSize } = open(true);
    expect(database.sqlite?.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await writeManyPages(database);
    expect(fileSize()).toBeLessThan(100_000);
    await expect.poll(fileSize, { timeout: 5_000, interval: 50 }).toBeGreaterThan(5_000_000);
    const rows = await sql<{ n: number }>`select count(*) as n from filler`.execute(database.db);
    expect(rows.rows[0]?.n).toBe(1500);
  });

  it('stops its thread when the database closes', async () => {
    const { database } = open(true);
    await writeManyPages(database);
    opened.pop();
    await database.close();
    expect(database.sqlite?.open).toBe(false);
  });
});
