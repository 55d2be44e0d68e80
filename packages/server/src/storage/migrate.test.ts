import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresSchemaUrl, POSTGRES_URL, postgresAvailable } from '../test-support/test-store.js';
import { createStore } from './create-store.js';

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
