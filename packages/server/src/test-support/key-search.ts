import type { CompiledQuery, KyselyPlugin } from 'kysely';
import { expect } from 'vitest';
import type { LicenseFilter } from '../core/licenses/license-ports.js';
import type { Policy } from '../core/model.js';
import type { Repositories } from '../core/ports.js';
import type { KeywardStore } from '../storage/create-store.js';
import { licenseRepository } from '../storage/repositories/licenses.js';
import { licenseInput, policyInput, T0, unique } from './store-inputs.js';

/** A policy of a product of its own, so a test's licenses are told apart from its neighbours'. */
export async function freshPolicy(repos: Repositories): Promise<Policy> {
  const product = await repos.products.insert({ name: unique('product'), code: null, createdAt: T0 });
  return repos.policies.insert(policyInput(product.id));
}

/** The SQL `licenses.list` runs for this filter, caught on its way to the database. */
export async function listQuery(store: KeywardStore, filter: LicenseFilter): Promise<CompiledQuery> {
  const { db, adapter } = store.database;
  const caught: CompiledQuery[] = [];
  const catching: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      caught.push(db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await licenseRepository(db.withPlugin(catching), adapter).list(filter, {
    after: null,
    limit: 100,
    now: T0,
  });
  expect(caught).toHaveLength(1);
  return caught[0] as CompiledQuery;
}

/** Key searches whose plans the index tests read: a fragment, a short prefix, a fragment within a product. */
export const planFilters = (productId: number): LicenseFilter[] => [
  { key: 'mplt-0000' },
  { key: 'tm' },
  { key: 'mplt-0000', productId },
];

/**
 * One or two characters match the beginning of keys, compared by code point whatever the column's collation:
 * 'ÀBC' is no key starting with 'AB' (a natural-language collation puts it between 'AB' and 'AB\u{10FFFF}').
 */
export async function expectPrefixesByCodePoint(store: KeywardStore): Promise<void> {
  const policy = await freshPolicy(store);
  const plain = await store.licenses.insert(licenseInput(policy, { key: 'ABXYZ-1' }));
  const accented = await store.licenses.insert(licenseInput(policy, { key: 'ÀBCDE-2' }));
  const find = async (key: string) =>
    (await store.licenses.list({ key }, { after: null, limit: 100, now: T0 })).map((license) => license.id);
  expect(await find('ab')).toEqual([plain.id]);
  expect(await find('À')).toEqual([accented.id]);
  expect(await find('àb')).toEqual([]);
}
