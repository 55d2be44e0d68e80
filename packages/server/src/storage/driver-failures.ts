import type { DatabaseConnection, Dialect, Driver } from 'kysely';
import { forwardingProxy } from './forwarding-proxy.js';
import { asStoreUnavailable } from './unavailable-database.js';
import { asConflict } from './unique-violations.js';

/**
 * The driver's errors in the domain's words, at the one place every statement passes: a unique violation
 * becomes CONFLICT (unique-violations.ts), a database that cannot serve becomes StoreUnavailableError
 * (unavailable-database.ts). Anything else, a bug, passes unchanged. So nothing above storage needs to know
 * SQLite's or PostgreSQL's error codes.
 */
export function withDriverFailuresTranslated(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => translatingDriver(dialect.createDriver()),
  };
}

function translated(error: unknown): unknown {
  return asConflict(error) ?? asStoreUnavailable(error) ?? error;
}

async function translating<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translated(error);
  }
}

function translatingDriver(driver: Driver): Driver {
  const connections = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const reals = new WeakMap<DatabaseConnection, DatabaseConnection>();
  return forwardingProxy(driver, {
    // A pool that cannot connect fails here, before any statement.
    async acquireConnection() {
      const connection = await translating(() => driver.acquireConnection());
      let wrapped = connections.get(connection);
      if (!wrapped) {
        wrapped = forwardingProxy(connection, {
          executeQuery: (query) => translating(() => connection.executeQuery(query)),
        });
        connections.set(connection, wrapped);
        reals.set(wrapped, connection);
      }
      return wrapped;
    },
    // The driver's own methods get back the real connection, whose private state they use; a COMMIT that
    // meets a full disk fails in them.
    beginTransaction: (connection, settings) =>
      translating(() => driver.beginTransaction(unwrap(connection), settings)),
    commitTransaction: (connection) => translating(() => driver.commitTransaction(unwrap(connection))),
    rollbackTransaction: (connection) => translating(() => driver.rollbackTransaction(unwrap(connection))),
    releaseConnection: (connection) => driver.releaseConnection(unwrap(connection)),
  });

  function unwrap(connection: DatabaseConnection): DatabaseConnection {
    return reals.get(connection) ?? connection;
  }
}
