import { AsyncLocalStorage } from 'node:async_hooks';
import { type Kysely, sql } from 'kysely';
import type { Repositories, UnitOfWork } from '../core/ports.js';
import type { Database } from './schema/index.js';

type Executor = Kysely<Database>;
/** The store's own transaction: one BEGIN … COMMIT (SQLite: a member of a group commit). */
type Begin = <T>(work: (executor: Executor) => Promise<T>) => Promise<T>;

/** Runs tasks one after the other: statements of two savepoints must not interleave on one connection. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => {});
    return result;
  }
}

/** A live transaction or savepoint: where the work inside it reads and writes. */
interface Frame {
  executor: Executor;
  repositories: Repositories;
  /** Transactions opened inside this one become savepoints, one at a time. */
  children: Serial;
}

const ROLLED_BACK = Symbol('rolled back');

class Unit {
  state: 'idle' | 'open' | 'ended' = 'idle';
  isCounted = true;
  root: Frame | null = null;
  opening: Promise<Frame> | null = null;
  finished: Promise<void> = Promise.resolve();
  savepointCount = 0;
  private resolveEnding: (last: ((tx: Repositories) => Promise<void>) | null) => void = () => {};
  readonly ending = new Promise<((tx: Repositories) => Promise<void>) | null>((resolve) => {
    this.resolveEnding = resolve;
  });

  end(last: ((tx: Repositories) => Promise<void>) | null): void {
    this.resolveEnding(last);
  }
}

interface Context {
  unit: Unit;
  /** The transaction or savepoint the code runs in; null in the unit's own code between transactions. */
  frame: Frame | null;
}

/**
 * Request-scoped transactions. A unit of work (`unitOfWork().run(work)`) makes every `store.transaction` and
 * every read of the store inside `work` join one database transaction, opened lazily at the first
 * transaction; each `store.transaction` becomes a savepoint of it, so a use case that fails undoes only its
 * own part and the store's transactions keep their meaning. `commit(last)` writes `last` in the same
 * transaction and commits, so a request's change and what the request answered (the idempotency record)
 * are durable together or not at all. The unit follows the request's asynchronous flow (AsyncLocalStorage);
 * `detached` leaves it, for background work a request starts that must not commit or roll back with it.
 *
 * While a unit is open its transaction holds the connection (SQLite: the database's write lock), from its
 * first write to its end, so nothing inside a unit may wait for work outside it.
 */
export function requestTransactions(deps: {
  begin: Begin;
  /** How a unit of work begins its transaction: as `begin`, for work whose savepoints may roll back part of it. */
  beginUnit?: Begin;
  repositoriesOver: (executor: Executor) => Repositories;
  /** How a write atomic by itself runs outside any unit of work (Store.atomicWrite). */
  writeAlone: <T>(work: (tx: Repositories) => Promise<T>) => Promise<T>;
}) {
  const contexts = new AsyncLocalStorage<Context>();
  // Node 20 tracks an enabled AsyncLocalStorage on every promise (the validate path measured ~15% slower), so
  // it is enabled only while some unit is open: the first `run` enables it, the last unit's end disables it.
  let openUnits = 0;
  const ended = (unit: Unit) => {
    if (unit.isCounted) {
      unit.isCounted = false;
      openUnits -= 1;
      if (openUnits === 0) contexts.disable();
    }
  };

  /** The frame the caller's work runs in, or null outside any live unit. */
  function frameOfCaller(): { unit: Unit; frame: Frame | null } | null {
    const context = contexts.getStore();
    if (!context) return null;
    // Inside a savepoint the work goes on there until it returns, whatever the unit's state.
    if (context.frame) return context;
    return context.unit.state === 'ended' ? null : context;
  }

  function open(unit: Unit): Promise<Frame> {
    unit.opening ??= new Promise<Frame>((resolve, reject) => {
      unit.state = 'open';
      unit.finished = (deps.beginUnit ?? deps.begin)(async (executor) => {
        const root: Frame = {
          executor,
          repositories: deps.repositoriesOver(executor),
          children: new Serial(),
        };
        unit.root = root;
        resolve(root);
        const last = await unit.ending;
        await root.children.run(async () => {
          if (last === null) throw ROLLED_BACK;
          await contexts.run({ unit, frame: root }, () => last(root.repositories));
        });
      });
      // A BEGIN that failed; once resolved, the unit's end reports its own failures.
      unit.finished.catch(reject);
    });
    return unit.opening;
  }

  async function inSavepoint<T>(
    unit: Unit,
    parent: Frame,
    work: (tx: Repositories) => Promise<T>,
  ): Promise<T> {
    return parent.children.run(async () => {
      unit.savepointCount += 1;
      const name = `unit_${unit.savepointCount}`;
      await sql.raw(`savepoint ${name}`).execute(parent.executor);
      const frame: Frame = { ...parent, children: new Serial() };
      try {
        const value = await contexts.run({ unit, frame }, () => work(frame.repositories));
        await sql.raw(`release savepoint ${name}`).execute(parent.executor);
        return value;
      } catch (error) {
        await sql.raw(`rollback to savepoint ${name}`).execute(parent.executor);
        await sql.raw(`release savepoint ${name}`).execute(parent.executor);
        throw error;
      }
    });
  }

  /** Work of a unit: a savepoint of its transaction, which the first one opens. */
  function inUnit<T>(caller: Context, work: (tx: Repositories) => Promise<T>): Promise<T> {
    const { unit, frame } = caller;
    if (frame) return inSavepoint(unit, frame, work);
    return open(unit).then((root) => inSavepoint(unit, root, work));
  }

  return {
    transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
      const caller = frameOfCaller();
      if (!caller) return deps.begin((executor) => work(deps.repositoriesOver(executor)));
      return inUnit(caller, work);
    },

    /** Store.atomicWrite: in a unit of work as a transaction of it, else as the store runs such writes. */
    atomicWrite<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
      const caller = frameOfCaller();
      return caller ? inUnit(caller, work) : deps.writeAlone(work);
    },

    /** The repositories reads of the store go to: the caller's unit once it opened, else null. */
    current(): Repositories | null {
      const caller = frameOfCaller();
      if (!caller) return null;
      return (caller.frame ?? caller.unit.root)?.repositories ?? null;
    },

    unitOfWork(): UnitOfWork {
      const unit = new Unit();
      openUnits += 1;
      return {
        run: (work) => contexts.run({ unit, frame: null }, work),
        async commit(last) {
          if (unit.state === 'ended') throw new Error('this unit of work has ended');
          const wasOpen = unit.state === 'open';
          unit.state = 'ended';
          try {
            if (!wasOpen) {
              // Nothing was written: the last write is a transaction of its own.
              await deps.begin((executor) => last(deps.repositoriesOver(executor)));
              return;
            }
            unit.end(last);
            await unit.finished;
          } finally {
            ended(unit);
          }
        },
        async rollback() {
          if (unit.state === 'ended') return;
          const wasOpen = unit.state === 'open';
          unit.state = 'ended';
          try {
            if (!wasOpen) return;
            unit.end(null);
            await unit.finished.catch((error: unknown) => {
              if (error !== ROLLED_BACK) throw error;
            });
          } finally {
            ended(unit);
          }
        },
      };
    },

    detached<T>(work: () => T): T {
      return contexts.exit(work);
    },
  };
}

/**
 * Gives `target` one property per repository that reads and writes in the caller's unit of work when it has
 * one open, else directly: a read inside a unit sees what the unit wrote, and (SQLite has one connection)
 * does not wait for the unit's own transaction to end.
 */
export function withRepositoriesOf<T extends object>(
  target: T,
  direct: Repositories,
  current: () => Repositories | null,
): T & Repositories {
  for (const name of Object.keys(direct) as Array<keyof Repositories>) {
    Object.defineProperty(target, name, {
      enumerable: true,
      get: () => (current() ?? direct)[name],
    });
  }
  return target as T & Repositories;
}
