import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repositories } from '../../core/ports.js';
import { createTestStore } from '../../test-support/test-store.js';
import type { KeywardStore } from '../create-store.js';
import { CACHE_MARKS } from './change-marks.js';
import { WATCHED_TABLES } from './watched-tables.js';

const REPOSITORIES_DIR = join(import.meta.dirname, '../repositories');

/** The files each marked repository is written in. */
const FILES: Record<keyof typeof CACHE_MARKS, string | string[]> = {
  licenses: 'licenses.ts',
  licenseCleanup: 'license-cleanup.ts',
  machines: ['machines.ts', 'guarded-activation.ts'],
  dataObjects: 'data-objects.ts',
  policies: 'policies.ts',
  products: 'products.ts',
  customers: 'customers.ts',
  resellers: 'resellers.ts',
  tokens: 'tokens.ts',
  tokenLimits: 'token-limits.ts',
};

describe('what each write invalidates in the read cache', () => {
  let store: KeywardStore & { dispose(): Promise<void> };
  beforeAll(async () => {
    store = await createTestStore('sqlite');
  });
  afterAll(() => store.dispose());

  it('classifies every method of the marked repositories, so a new write cannot forget to invalidate', () => {
    for (const name of Object.keys(CACHE_MARKS) as Array<keyof typeof CACHE_MARKS>) {
      const methods = Object.keys(store[name as keyof Repositories]).sort();
      expect(methods, name).toEqual(Object.keys(CACHE_MARKS[name]).sort());
    }
  });

  it('leaves writes to the cached tables to the marked repositories only', () => {
    // Inserts only where the table's inserts are watched: a new product (an import's) has no entry to drop.
    const writing = (event: 'insert' | 'update' | 'delete', builder: string, statement: string) => {
      const tables = WATCHED_TABLES.filter((t) => t.events.includes(event))
        .map((t) => t.table)
        .join('|');
      return `${builder}\\('(${tables})'\\)|\\b${statement} (${tables})\\b`;
    };
    const write = new RegExp(
      [
        writing('insert', 'insertInto', 'insert into'),
        writing('update', 'updateTable', 'update'),
        writing('delete', 'deleteFrom', 'delete from'),
      ].join('|'),
      'i',
    );
    const marked = new Set(Object.values(FILES).flat());
    const writers = readdirSync(REPOSITORIES_DIR)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .filter((file) => write.test(readFileSync(join(REPOSITORIES_DIR, file), 'utf8')));
    expect(writers.filter((file) => !marked.has(file))).toEqual([]);
  });
});
