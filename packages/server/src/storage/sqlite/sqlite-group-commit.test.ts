import Database from 'better-sqlite3';
import { type Generated, Kysely, type LogEvent, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { immediateSqliteDialect } from './sqlite-dialect.js';
import { groupCommitTransactions } from './sqlite-group-commit.js';

interface Schema {
  items: { id: Generated<number>; name: string };
}

describe('SQLite group commit', () => {
  let db: Kysely<Schema>;
  let statements: string[];
  let transaction: <T>(work: (trx: Kysely<Schema>) => Promise<T>) => Promise<T>;

  beforeEach(async () => {
    statements = [];
    db = new Kysely<Schema>({
      dialect: immediateSqliteDialect(new Database(':memory:')),
      log(event: LogEvent) {
        statements.push(event.query.sql);
      },
    });
    await sql`create table items (id integer primary key, name text not null unique)`.execute(db);
    transaction = groupCommitTransactions(db, (executor) => executor);
    statements = [];
  });
  afterEach(() => db.destroy());

  const insert = (name: string) =>
    transaction((trx) =>
      trx
        .insertInto('items')
        .values({ name })
        .execute()
        .then(() => name),
    );
  const commits = () => statements.filter((text) => text === 'commit').length;
  const names = async () =>
    (await db.selectFrom('items').select('name').orderBy('id').execute()).map((r) => r.name);

  it('shares one commit among the transactions of one turn of the event loop', async () => {
    const started = Array.from({ length: 20 }, async (_, index) => {
      // Requests reach their transaction after a few awaits of their own (authentication, reads).
      for (let hop = 0; hop < index % 4; hop++) await Promise.resolve();
      return insert(`item-${index}`);
    });
    expect(await Promise.all(started)).toHaveLength(20);
    expect(commits()).toBe(1);
    expect(await names()).toHaveLength(20);
  });

  it('runs the members one after the other, each seeing the writes before it', async () => {
    const counts = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        transaction(async (trx) => {
          await trx
            .insertInto('items')
            .values({ name: `seen-${index}` })
            .execute();
          const row = await trx
            .selectFrom('items')
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirstOrThrow();
          return Number(row.n);
        }),
      ),
    );
    expect(counts).toEqual([1, 2, 3, 4, 5]);
  });

  it('rolls back a failing member alone; the others commit', async () => {
    const outcomes = await Promise.allSettled([insert('a'), insert('a'), insert('b')]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await names()).toEqual(['a', 'b']);
    expect(commits()).toBe(1);
  });

  it('commits a lone transaction without waiting for company', async () => {
    expect(await insert('alone')).toBe('alone');
    expect(await insert('next')).toBe('next');
    expect(commits()).toBe(2);
  });
});
