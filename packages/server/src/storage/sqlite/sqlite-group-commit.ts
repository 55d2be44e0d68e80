import { AsyncResource } from 'node:async_hooks';
import type { ControlledTransaction, Kysely } from 'kysely';

interface Pending<R, T> {
  work: (repositories: R) => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite. A durable commit waits for fsync (synchronous=FULL), on the event loop, since
 * better-sqlite3 is synchronous; a disk doing a few hundred fsyncs a second then caps writes at that rate. So
 * the transactions that arrive while one group runs, or in the same turn of the event loop, form one group: one `BEGIN IMMEDIATE`, each
 * transaction's work in a savepoint of its own — still one after the other, each seeing the writes before
 * it, so limits stay exact — then one `COMMIT` and one fsync for all of them. A transaction whose work throws
 * is rolled back to its savepoint and fails alone; the others are answered only once the commit is durable.
 * If the group itself fails (the commit, or an error that ends SQLite's transaction), every member fails.
 * Transactions are serialized on SQLite's single connection either way; this only shares the fsync.
 */
export function groupCommitTransactions<DB, R>(
  db: Kysely<DB>,
  repositoriesOver: (executor: Kysely<DB>) => R,
): <T>(work: (repositories: R) => Promise<T>) => Promise<T> {
  let queue: Array<Pending<R, unknown>> = [];
  let isRunning = false;

  async function runGroup(group: Array<Pending<R, unknown>>): Promise<void> {
    let trx: ControlledTransaction<DB>;
    try {
      trx = await db.startTransaction().execute();
    } catch (error) {
      for (const member of group) member.reject(error);
      return;
    }
    const succeeded: Array<{ member: Pending<R, unknown>; value: unknown }> = [];
    try {
      for (const [index, member] of group.entries()) {
        const name = `member_${index}`;
        const inSavepoint = await trx.savepoint(name).execute();
        try {
          const value = await member.work(repositoriesOver(inSavepoint as unknown as Kysely<DB>));
          await inSavepoint.releaseSavepoint(name).execute();
          succeeded.push({ member, value });
        } catch (error) {
          // Undo this member only; if SQLite ended the whole transaction, this throws and fails the group.
          await inSavepoint.rollbackToSavepoint(name).execute();
          await inSavepoint.releaseSavepoint(name).execute();
          member.reject(error);
        }
      }
      await trx.commit().execute();
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => {});
      for (const { member } of succeeded) member.reject(error);
      for (const member of group) if (!succeeded.some((s) => s.member === member)) member.reject(error);
      return;
    }
    for (const { member, value } of succeeded) member.resolve(value);
  }

  async function drain(): Promise<void> {
    isRunning = true;
    try {
      // better-sqlite3 blocks the event loop for each statement and for the commit's fsync, so nothing new can
      // arrive while a group runs. Requests that came in meanwhile are read in the loop's next poll phase; the
      // group starts after it (setImmediate), so they join it instead of each paying for an fsync of its own.
      await new Promise((resume) => setImmediate(resume));
      while (queue.length > 0) {
        const group = queue;
        queue = [];
        await runGroup(group);
        await new Promise((resume) => setImmediate(resume));
      }
    } finally {
      isRunning = false;
    }
  }

  return <T>(work: (repositories: R) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      // The group runs each member's work in the async context of its caller, not of whichever caller started
      // the group, so request-scoped state (request-transactions.ts) stays with its own request.
      queue.push({ work: AsyncResource.bind(work), resolve, reject } as Pending<R, unknown>);
      if (!isRunning) void drain();
    });
}
