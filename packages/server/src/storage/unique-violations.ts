import type { DatabaseConnection, Dialect, Driver } from 'kysely';
import { DomainError } from '../core/domain-error.js';
import { forwardingProxy } from './forwarding-proxy.js';

/**
 * The database is the one place that can tell, race-free, that a value is already taken: checking first and
 * inserting after would let two parallel requests both pass the check. So every query runs through a
 * connection that turns a unique-constraint violation of either database into the domain's CONFLICT,
 * naming the table and columns (never the value, which may be a license key).
 */
export function withUniqueViolationsAsConflicts(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => translatingDriver(dialect.createDriver()),
  };
}

function translatingDriver(driver: Driver): Driver {
  const connections = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const reals = new WeakMap<DatabaseConnection, DatabaseConnection>();
  return forwardingProxy(driver, {
    async acquireConnection() {
      const connection = await driver.acquireConnection();
      let wrapped = connections.get(connection);
      if (!wrapped) {
        wrapped = forwardingProxy(connection, {
          async executeQuery(query) {
            try {
              return await connection.executeQuery(query);
            } catch (error) {
              throw asConflict(error) ?? error;
            }
          },
        });
        connections.set(connection, wrapped);
        reals.set(wrapped, connection);
      }
      return wrapped;
    },
    // The driver's own methods get back the real connection, whose private state they use.
    beginTransaction: (connection, settings) => driver.beginTransaction(unwrap(connection), settings),
    commitTransaction: (connection) => driver.commitTransaction(unwrap(connection)),
    rollbackTransaction: (connection) => driver.rollbackTransaction(unwrap(connection)),
    releaseConnection: (connection) => driver.releaseConnection(unwrap(connection)),
  });

  function unwrap(connection: DatabaseConnection): DatabaseConnection {
    return reals.get(connection) ?? connection;
  }
}

const NOUNS: Record<string, string> = {
  products: 'a product',
  licenses: 'a license',
  customers: 'a customer',
  machines: 'a machine of this license',
  data_objects: 'a data object',
  resellers: 'a reseller',
  license_templates: 'a license template',
};

/** The CONFLICT for a unique violation of SQLite or PostgreSQL, or null for any other error. */
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
