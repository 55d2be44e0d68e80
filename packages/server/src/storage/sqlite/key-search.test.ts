import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPolicy, listQuery, planFilters } from '../../test-support/key-search.js';
import { licenseInput } from '../../test-support/store-inputs.js';
import { createTestStore } from '../../test-support/test-store.js';

/** How SQLite serves key search (what both databases share is in license-key-search.test.ts). */
describe('key search on SQLite', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  beforeAll(async () => {
    store = await createTestStore('sqlite');
  });
  afterAll(() => store.dispose());

  it('serves fragments from the trigram table and prefixes from the b-tree, not a scan of the licenses', async () => {
    const policy = await freshPolicy(store);
    await store.licenses.insert(licenseInput(policy, { key: 'TMPLT-00000' }));
    const plans: string[] = [];
    for (const filter of planFilters(policy.productId)) {
      const compiled = await listQuery(store, filter);
      const { rows } = await store.database.db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
      );
      plans.push(rows.map((row) => row.detail).join('\n'));
    }
    // The trigram table leads and hands rows over in id order, so a page stops after its last row.
    for (const plan of [plans[0], plans[2]]) {
      expect(plan).toMatch(/^SCAN key_trigrams VIRTUAL TABLE/);
      expect(plan).not.toMatch(/TEMP B-TREE|SUBQUERY/);
    }
    expect(plans[1]).toMatch(/USING INDEX licenses_key_search/);
    for (const plan of plans.slice(0, 2)) expect(plan).not.toMatch(/SCAN licenses\b/);
  });
});
