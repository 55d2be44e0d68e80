import { sql } from 'kysely';
import type { Store } from '../core/ports.js';
import type { KeywardStore } from '../storage/create-store.js';

const TABLES = [
  'products',
  'policies',
  'customers',
  'licenses',
  'machines',
  'data_objects',
  'api_tokens',
  'events',
  'payment_connections',
  'payment_events',
  'purchases',
] as const;
export type CountedTable = (typeof TABLES)[number];

/**
 * Row counts of the tables a request may write, in one query, after pending bookkeeping writes. Tests compare
 * them before and after a refused request: a refusal must leave no partial write behind.
 */
export async function rowCounts(
  store: Store,
  flush: () => Promise<void> = async () => {},
): Promise<Record<CountedTable, number>> {
  await flush();
  const { db } = (store as KeywardStore).database;
  const selects = TABLES.map((table) => sql`(select count(*) from ${sql.table(table)}) as ${sql.ref(table)}`);
  const { rows } = await sql<Record<CountedTable, number | string>>`select ${sql.join(selects)}`.execute(db);
  const row = rows[0] as Record<CountedTable, number | string>;
  return Object.fromEntries(TABLES.map((table) => [table, Number(row[table])])) as Record<
    CountedTable,
    number
  >;
}
