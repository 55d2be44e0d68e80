import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { createStore } from './storage/create-store.js';
import { createPostgresSchemaUrl, postgresAvailable } from './test-support/test-store.js';

/** Acknowledged writes are durable by default; KEYWARD_DURABILITY=fast is the documented opt-out. */

const hasPostgres = await postgresAvailable();

const env = (extra: Record<string, string>) => ({ DATABASE_URL: ':memory:', ...extra });

describe('KEYWARD_DURABILITY', () => {
  it('is full unless set to fast, and refuses anything else', () => {
    expect(loadConfig(env({})).durability).toBe('full');
    expect(loadConfig(env({ KEYWARD_DURABILITY: 'full' })).durability).toBe('full');
    expect(loadConfig(env({ KEYWARD_DURABILITY: 'fast' })).durability).toBe('fast');
    expect(() => loadConfig(env({ KEYWARD_DURABILITY: 'none' }))).toThrow(ConfigError);
  });

  it('opens SQLite in WAL mode with synchronous=FULL, or NORMAL when fast, and temporary storage in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-durability-'));
    try {
      for (const [durability, expected] of [
        [undefined, 2],
        ['full', 2],
        ['fast', 1],
      ] as const) {
        const store = createStore(
          { kind: 'sqlite', path: join(dir, `${durability}.sqlite`) },
          { durability },
        );
        const sqlite = store.database.sqlite;
        expect(sqlite?.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(sqlite?.pragma('synchronous', { simple: true })).toBe(expected);
        // Statement journals stay in memory: spilled to temporary files, they cost a write call per page.
        expect(sqlite?.pragma('temp_store', { simple: true })).toBe(2);
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(hasPostgres)(
    'sets synchronous_commit on every PostgreSQL connection: on, or off when fast',
    async () => {
      const { url, drop } = await createPostgresSchemaUrl();
      try {
        for (const [durability, expected] of [
          [undefined, 'on'],
          ['fast', 'off'],
        ] as const) {
          const store = createStore({ kind: 'postgres', url }, { durability, poolSize: 2 });
          const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(
            store.database.db,
          );
          expect(rows[0]?.synchronous_commit).toBe(expected);
          await store.close();
        }
      } finally {
        await drop();
      }
    },
  );
});
