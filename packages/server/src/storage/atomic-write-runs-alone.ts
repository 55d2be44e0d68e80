import type { DatabaseAdapter } from './database-adapter.js';

/**
 * How Store.atomicWrite runs outside a unit of work: where every statement is a round trip (PostgreSQL) its
 * statements run alone, without a transaction around them (BEGIN and COMMIT would be two more round trips);
 * where statements run in process (SQLite) it is one of the store's transactions, whose commit shares the
 * group's fsync. Running alone leaves a window between the work's reads and its write, which another writer
 * can use, and so does a read answered from the read cache (either way: create-store.ts): the guard of the
 * write (machines.activateIfUnchanged) is what makes it safe.
 */
export function atomicWriteRunsAlone(adapter: DatabaseAdapter): boolean {
  return !adapter.runsInProcess;
}
