import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../core/domain-error.js';
import { StoreUnavailableError } from '../core/store-unavailable.js';
import { openDatabase } from './open-database.js';

/**
 * Above storage nothing knows a driver's error codes: every statement, and the BEGIN and COMMIT the driver
 * runs itself, turn a database that cannot serve into StoreUnavailableError and a unique violation into
 * CONFLICT; the request's own errors pass unchanged.
 */

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqliteDatabase(): Promise<{ db: Kysely<unknown>; path: string; handle: Sqlite.Database }> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-driver-failures-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keyward.sqlite');
  const database = openDatabase({ kind: 'sqlite', path });
  const db = database.db as unknown as Kysely<unknown>;
  cleanups.push(() => db.destroy());
  await sql`create table items (id integer primary key, name text unique)`.execute(db);
  return { db, path, handle: database.sqlite as Sqlite.Database };
}

/** Another process holds SQLite's write lock; the store gives up at once instead of after its 5 s wait. */
async function lockedSqlite(): Promise<Kysely<unknown>> {
  const { db, path, handle } = await sqliteDatabase();
  handle.pragma('busy_timeout = 0');
  const other = new Sqlite(path);
  other.exec('begin immediate');
  cleanups.push(() => other.close());
  return db;
}

const failureOf = (work: Promise<unknown>) =>
  work.then(
    () => 'succeeded',
    (error: unknown) => error,
  );

describe('driver failures in the domain’s words', () => {
  it('a statement that finds SQLite locked is StoreUnavailableError, the driver error its cause', async () => {
    const db = await lockedSqlite();
    const failure = await failureOf(sql`insert into items (name) values ('a')`.execute(db));
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toBe('the database is unavailable; try again shortly');
    expect((failure as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
  });

  it('so is a transaction whose BEGIN the driver runs itself', async () => {
    const db = await lockedSqlite();
    const failure = await failureOf(
      db.transaction().execute((trx) => sql`insert into items (name) values ('a')`.execute(trx)),
    );
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
  });

  it('a database that may not be written says so', async () => {
    const { db, handle } = await sqliteDatabase();
    handle.pragma('query_only = 1');
    const failure = await failureOf(sql`insert into items (name) values ('a')`.execute(db));
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toBe('the database cannot be written: it is read-only');
  });

  it('a PostgreSQL that nobody answers for: the pool cannot connect', async () => {
    const port = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      });
    });
    const { db } = openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/keyward` });
    cleanups.push(() => db.destroy());
    const failure = await failureOf(sql`select 1`.execute(db));
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a unique violation is CONFLICT; a statement’s own error passes unchanged', async () => {
    const { db } = await sqliteDatabase();
    await sql`insert into items (name) values ('a')`.execute(db);
    const duplicate = await failureOf(sql`insert into items (name) values ('a')`.execute(db));
    expect(duplicate).toBeInstanceOf(DomainError);
    expect(duplicate).toMatchObject({ code: 'CONFLICT', details: { table: 'items', columns: ['name'] } });
    const mistake = await failureOf(sql`select * from no_such_table`.execute(db));
    expect(mistake).not.toBeInstanceOf(StoreUnavailableError);
    expect(mistake).toMatchObject({ code: 'SQLITE_ERROR' });
  });
});
