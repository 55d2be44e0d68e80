import { isStoreUnavailable } from '../core/store-unavailable.js';
import { DatabaseAccessError } from './data-paths.js';
import type { DatabaseAdapter } from './database-adapter.js';

/**
 * A failure to reach or open the database, as one line that says what is wrong and what to do; any other
 * error comes back unchanged. Used where a command first touches the database, never on the request path
 * (there the same failures answer "unavailable" and the server recovers).
 */
export function explainDatabaseFailure(error: unknown, adapter: DatabaseAdapter): unknown {
  if (error instanceof DatabaseAccessError) return error;
  // The driver's own error says more here than the request path's "unavailable, try again".
  const failure = isStoreUnavailable(error) ? error.cause : error;
  return adapter.explainFailure(failure) ?? error;
}

/** The first work on a database (migrating it): unreachable or unusable databases fail in one line. */
export async function firstContact<T>(adapter: DatabaseAdapter, work: () => Promise<T>): Promise<T> {
  try {
    await adapter.checkReachable();
    return await work();
  } catch (error) {
    throw explainDatabaseFailure(error, adapter);
  }
}
