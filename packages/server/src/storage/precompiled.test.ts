import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestDialect, testDialects } from '../test-support/test-store.js';
import { precompiled } from './precompiled.js';

const productsNamed = precompiled(2, (db, name: string, code: string) =>
  db.selectFrom('products').select(['name', 'code']).where('name', '=', name).where('code', '=', code),
);

describe.each(await testDialects())('precompiled queries on %s', (dialect: TestDialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    const now = Date.now();
    await store.database.db
      .insertInto('products')
      .values([
        { name: 'alpha', code: 'a', created_at: now },
        { name: 'beta', code: 'b', created_at: now },
      ])
      .execute();
  });
  afterAll(() => store.dispose());

  it('binds each call’s own arguments to the SQL built once', async () => {
    const { db } = store.database;
    expect(await productsNamed(db, 'alpha', 'a')).toEqual([{ name: 'alpha', code: 'a' }]);
    expect(await productsNamed(db, 'beta', 'b')).toEqual([{ name: 'beta', code: 'b' }]);
    expect(await productsNamed(db, 'alpha', 'b')).toEqual([]);
    // Text that looks like SQL stays a value.
    expect(await productsNamed(db, "alpha' or '1'='1", 'a')).toEqual([]);
  });

  it('runs inside a transaction, seeing its uncommitted rows', async () => {
    const { db } = store.database;
    const seen = await db.transaction().execute(async (trx) => {
      await trx.insertInto('products').values({ name: 'gamma', code: 'g', created_at: Date.now() }).execute();
      return productsNamed(trx, 'gamma', 'g');
    });
    expect(seen).toEqual([{ name: 'gamma', code: 'g' }]);
  });

  it('refuses a query that writes an argument into its SQL text instead of binding it', async () => {
    const inlined = precompiled(1, (db, name: string) =>
      db.selectFrom('products').select('name').where('name', '=', sql.lit(name)),
    );
    await expect(inlined(store.database.db, 'alpha')).rejects.toThrow(/must be bound exactly once/);
  });
});
