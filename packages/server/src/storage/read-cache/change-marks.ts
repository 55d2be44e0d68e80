import type { Kysely } from 'kysely';
import type { Repositories } from '../../core/ports.js';
import type { Database } from '../schema/index.js';
import { asInvalidation, type CacheChange } from './cache-change.js';
import type { ReadCache } from './read-cache.js';

type Executor = Kysely<Database>;
type Begin = <T>(work: (executor: Executor) => Promise<T>) => Promise<T>;
// biome-ignore lint/suspicious/noExplicitAny: a write's arguments and result, as each repository types them
type Mark = (args: any[], result: any) => CacheChange | null;

const nothing: Mark = () => null;
const everything: Mark = () => ({ everything: true });

/**
 * Every method of the repositories whose tables the read cache holds (licenses, machines, policies, API
 * tokens, products) or whose deletes cascade into them, and what a call changes. Reads change nothing. A method
 * missing here is a test failure (change-marks.test.ts), so a new write cannot forget to invalidate.
 */
export const CACHE_MARKS = {
  licenses: {
    // A new license has no entry yet (unknown keys are not cached).
    insert: nothing,
    update: ([id]) => ({ licenses: [id] }),
    delete: ([id]) => ({ licenses: [id] }),
    touchValidated: ([ids, at]) => ({ validated: { ids, at } }),
    findById: nothing,
    findByKey: nothing,
    listBySearchForm: nothing,
    findWithSeats: nothing,
    findWithSeatsById: nothing,
    lockById: nothing,
    lockWithSeats: nothing,
    list: nothing,
    countUpTo: nothing,
    findTrial: nothing,
  },
  licenseCleanup: {
    deleteDueCleanable: (_args, deleted: Array<{ licenseId: number }>) => ({
      licenses: deleted.map((d) => d.licenseId),
    }),
  },
  machines: {
    // What it wrote is kept in place of the license's entry (read-cache.ts); a refused guard wrote nothing.
    activateIfUnchanged: ([input], written) =>
      written
        ? { activated: { license: written.license, machine: written.machine, before: input.expected } }
        : null,
    insert: ([input]) => ({ licenses: [input.licenseId] }),
    replace: ([id, input]) => ({ licenses: [input.licenseId], machines: [id] }),
    touch: ([id], machine) => ({ licenses: [machine.licenseId], machines: [id] }),
    deactivate: ([id]) => ({ machines: [id] }),
    deactivateAll: ([licenseId]) => ({ licenses: [licenseId] }),
    findById: nothing,
    listActive: nothing,
    findLatestByFingerprint: nothing,
    list: nothing,
    lockLicensesWithLapsedLeases: nothing,
  },
  // A license's data objects are cached with it; the others (a product's, a machine's) are not.
  dataObjects: {
    insert: ([input]) => (input.ownerType === 'license' ? { licenses: [input.ownerId] } : null),
    update: ([id]) => ({ dataObjects: [id] }),
    addToInt: ([id]) => ({ dataObjects: [id] }),
    delete: ([id]) => ({ dataObjects: [id] }),
    deleteOfLicense: ([licenseId]) => ({ licenses: [licenseId] }),
    findById: nothing,
    list: nothing,
  },
  policies: {
    insert: nothing,
    update: ([id]) => ({ policies: [id] }),
    // Cascades to its licenses.
    delete: everything,
    findById: nothing,
    list: nothing,
    countLicenses: nothing,
  },
  // A product's delete cascades to its policies and licenses, a customer's or reseller's sets licenses'
  // reference to null: rare enough to forget everything.
  products: {
    insert: nothing,
    findById: nothing,
    list: nothing,
    update: ([id]) => ({ products: [id] }),
    delete: everything,
  },
  customers: {
    insert: nothing,
    findById: nothing,
    list: nothing,
    update: nothing,
    delete: everything,
    setSecretHash: nothing,
    findBySecretHash: nothing,
  },
  resellers: { insert: nothing, findById: nothing, list: nothing, update: nothing, delete: everything },
  tokens: {
    insert: nothing,
    findByHash: nothing,
    findById: nothing,
    list: nothing,
    revoke: ([id]) => ({ tokens: [id] }),
    revokeIssuedBy: everything,
    bindIp: ([id]) => ({ tokens: [id] }),
    countActive: nothing,
  },
  tokenLimits: {
    lock: nothing,
    hasAddress: nothing,
    countAddresses: nothing,
    addAddress: nothing,
    clearAddresses: nothing,
    setLimits: ([tokenId]) => ({ tokens: [tokenId] }),
    grantActivations: ([tokenId]) => ({ tokens: [tokenId] }),
  },
} satisfies { [R in keyof Repositories]?: Record<string, Mark> };

type Marked = keyof typeof CACHE_MARKS;

function marking<T extends object>(
  repository: T,
  marks: Record<string, Mark>,
  note: (c: CacheChange) => void,
): T {
  const wrapped = { ...repository } as Record<string, unknown>;
  for (const [name, mark] of Object.entries(marks)) {
    const method = (repository as Record<string, unknown>)[name];
    if (mark === nothing || typeof method !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      const result = await method.apply(repository, args);
      const change = mark(args, result);
      if (change) note(change);
      return result;
    };
  }
  return wrapped as T;
}

/**
 * Keeps this process's own writes from being answered stale: a write inside a transaction invalidates what it
 * changed once the transaction has ended (committed, or rolled back: invalidating then is harmless), a write
 * outside one right after it. Invalidating only after the commit matters: a read between the write and the
 * commit still sees the old rows and may cache them, which the invalidation then removes. The change feed
 * does not bring these writes back (each feed knows its own process's writes): the marks are what this
 * process hears of them.
 *
 * A change that keeps what was written (an activation) is kept only once its transaction is known to have
 * committed with it: after a rollback, and in a transaction whose savepoints may have undone part of it
 * unseen (`savepoints: true`, a unit of work), it only invalidates.
 */
export function changeMarks(cache: ReadCache) {
  const pending = new WeakMap<Executor, CacheChange[]>();
  return {
    begin(runner: Begin, options: { savepoints: boolean } = { savepoints: false }): Begin {
      return (work) => {
        const changes: CacheChange[] = [];
        const settle = (committed: boolean) => {
          for (const change of changes) cache.apply(committed ? change : asInvalidation(change));
        };
        return runner((executor) => {
          pending.set(executor, changes);
          return work(executor);
        }).then(
          (value) => {
            settle(!options.savepoints);
            return value;
          },
          (error: unknown) => {
            settle(false);
            throw error;
          },
        );
      };
    },

    repositories(repositories: Repositories, executor: Executor): Repositories {
      const note = (change: CacheChange) => {
        const open = pending.get(executor);
        if (open) open.push(change);
        else cache.apply(change);
      };
      const marked = { ...repositories };
      for (const name of Object.keys(CACHE_MARKS) as Marked[]) {
        (marked as Record<Marked, object>)[name] = marking(
          repositories[name],
          CACHE_MARKS[name] as Record<string, Mark>,
          note,
        );
      }
      return marked;
    },
  };
}
