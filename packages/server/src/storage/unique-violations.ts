import { DomainError } from '../core/domain-error.js';

const NOUNS: Record<string, string> = {
  products: 'a product',
  licenses: 'a license',
  customers: 'a customer',
  machines: 'a machine of this license',
  data_objects: 'a data object',
  resellers: 'a reseller',
  license_templates: 'a license template',
};

/**
 * The CONFLICT for a unique violation of SQLite or PostgreSQL, or null for any other error. The database is
 * the one place that can tell, race-free, that a value is already taken: checking first and inserting after
 * would let two parallel requests both pass the check. So every statement runs through a driver that turns a
 * unique violation of either database into this (driver-failures.ts), naming the table and columns (never
 * the value, which may be a license key).
 */
export function asConflict(error: unknown): DomainError | null {
  const where = uniqueViolationOf(error);
  if (!where) return null;
  const noun = NOUNS[where.table] ?? `a ${where.table} row`;
  const columns = where.columns.join(', ');
  return new DomainError('CONFLICT', `${noun} with this ${columns} already exists`, {
    table: where.table,
    columns: where.columns,
  });
}

function uniqueViolationOf(error: unknown): { table: string; columns: string[] } | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, message, table, detail } = error as Record<string, unknown>;
  // better-sqlite3: "UNIQUE constraint failed: licenses.key" (or several "table.column" separated by ", ").
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const qualified = String(message)
      .replace(/^.*constraint failed: /i, '')
      .split(', ')
      .map((column) => column.split('.'));
    const tableName = qualified[0]?.[0] ?? 'unknown';
    return { table: tableName, columns: qualified.map((parts) => parts[1] ?? parts[0] ?? '?') };
  }
  // pg: code 23505 with the table and "Key (column, …)=(value, …) already exists."
  if (code === '23505') {
    const columns = /^Key \((.*?)\)=/.exec(String(detail ?? ''))?.[1];
    return {
      table: typeof table === 'string' ? table : 'unknown',
      columns: columns ? columns.split(', ') : ['value'],
    };
  }
  return null;
}
