import { DatabaseAccessError } from './data-paths.js';
import type { DatabaseAdapter } from './database-adapter.js';

/**
 * A failure to reach or open the database, as one line that says what is wrong and what to do; any other
 * error comes back unchanged. Used where a command first touches the database, never on the request path
 * (there the same failures answer "unavailable" and the server recovers).
 */
export function explainDatabaseFailure(error: unknown, adapter: DatabaseAdapter): unknown {
  if (error instanceof DatabaseAccessError) return error;
  return adapter.explainFailure(error) ?? error;
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
