import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresSchemaUrl, POSTGRES_URL, postgresAvailable } from '../test-support/test-store.js';
import { createStore } from './create-store.js';
import { wasDroppedMeanwhile } from './migrate.js';

/**
 * Kysely finds its bookkeeping tables by listing every schema's tables; another tenant of the database
 * dropping a schema during that listing must not fail a start-up (test files do exactly that in parallel).
 */
describe.runIf(await postgresAvailable())('migrating while other schemas come and go', () => {
  it('migrates every fresh schema although neighbouring schemas are dropped meanwhile', async () => {
    const churn = new pg.Client({ connectionString: POSTGRES_URL });
    await churn.connect();
    let isChurning = true;
    const churning = (async () => {
      for (let i = 0; isChurning; i++) {
        const name = `churn_${process.pid}_${i}`;
        await churn.query(`create schema ${name}`);
        await churn.query(`create table ${name}.t (id int)`);
        await churn.query(`drop schema ${name} cascade`);
        await new Promise((done) => setTimeout(done, 5));
      }
    })();
    try {
      for (let round = 0; round < 8; round++) {
        const { url, drop } = await createPostgresSchemaUrl();
        const store = createStore({ kind: 'postgres', url }, { poolSize: 2 });
        try {
          expect((await store.migrate()).length).toBeGreaterThan(0);
        } finally {
          await store.close();
          await drop();
        }
      }
    } finally {
      isChurning = false;
      await churning;
      await churn.end();
    }
  });
});

describe('a listing that met a drop', () => {
  it('is tried again when a schema, a table or a relation read from the catalog vanished meanwhile', () => {
    const failed = (code: string, message = '') => Object.assign(new Error(message), { code });
    // As CI met it: a neighbouring test schema's table, dropped while Kysely listed the tables.
    expect(
      wasDroppedMeanwhile(failed('42P01', 'relation "t_ecd58aaa4b9f.portal_sign_in_links" does not exist')),
    ).toBe(true);
    expect(wasDroppedMeanwhile(failed('3F000', 'schema "churn_1_2" does not exist'))).toBe(true);
    expect(wasDroppedMeanwhile(failed('XX000', 'could not open relation with OID 16384'))).toBe(true);
    // Anything else is a real failure, reported at once.
    expect(wasDroppedMeanwhile(failed('XX000', 'invalid page in block 3'))).toBe(false);
    expect(wasDroppedMeanwhile(failed('42601', 'syntax error at or near "tabel"'))).toBe(false);
    expect(wasDroppedMeanwhile(new Error('connection refused'))).toBe(false);
  });
});
