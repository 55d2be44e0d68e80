import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createStore, type KeywardStore } from '../storage/create-store.js';
import type { DatabaseLocation } from '../storage/open-database.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let postgresReachable: Promise<boolean> | null = null;

/**
 * Whether PostgreSQL tests run. In CI they must: an unreachable database fails the suite instead of skipping.
 */
export function postgresAvailable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch (error) {
      if (process.env.CI)
        throw new Error(`CI=true but PostgreSQL at ${POSTGRES_URL} is unreachable: ${String(error)}`);
      return false;
    }
  })();
  return postgresReachable;
}

/** A schema of its own per test store, so test files run in parallel against one database. */
export async function createPostgresSchemaUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    },
  };
}

export type TestDialect = 'sqlite' | 'postgres';

/** A database of its own for one test, not yet migrated; `drop` removes it once its stores are closed. */
export interface TestDatabase {
  location: DatabaseLocation;
  drop(): Promise<void>;
}

/** Where each kind of test database lives: SQLite in memory, PostgreSQL in a schema of its own. */
const TEST_DATABASES: Record<TestDialect, () => Promise<TestDatabase>> = {
  sqlite: async () => ({ location: { kind: 'sqlite', path: ':memory:' }, drop: async () => {} }),
  postgres: async () => {
    const { url, drop } = await createPostgresSchemaUrl();
    return { location: { kind: 'postgres', url }, drop };
  },
};

export function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  return TEST_DATABASES[dialect]();
}

/**
 * A migrated, empty store; `dispose` closes it and removes its data. `poolSize` sets the PostgreSQL pool, so
 * concurrency tests can make transactions really race (SQLite has one connection either way). It keeps a
 * read cache as the server does, so every test also checks that nothing is answered stale from it.
 */
export async function createTestStore(
  dialect: TestDialect,
  options: { poolSize?: number; cacheEntries?: number } = {},
): Promise<KeywardStore & { dispose(): Promise<void> }> {
  const { location, drop } = await createTestDatabase(dialect);
  const store = createStore(location, { cacheEntries: 1000, ...options });
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    await drop();
    throw error;
  }
  return Object.assign(store, {
    dispose: async () => {
      await store.close();
      await drop();
    },
  });
}

/** The dialects to run a contract suite on: PostgreSQL joins when reachable (always in CI). */
export async function testDialects(): Promise<TestDialect[]> {
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}
