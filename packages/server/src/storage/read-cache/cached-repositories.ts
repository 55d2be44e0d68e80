import type { Repositories } from '../../core/ports.js';
import type { ReadCache } from './read-cache.js';

/**
 * The store's reads outside a transaction, answered from the read cache where it holds the answer: what
 * validation, activation's read side, the product a Cryptolens request names and every token-authenticated
 * request read. A miss reads the database and keeps the result (unless it was invalidated meanwhile:
 * read-cache.ts).
 *
 * `keep: false` serves a transaction's reads that may be answered from what was committed before it (an
 * atomic write, whose guard catches what changed since: Store.atomicWrite): a hit is answered from the cache,
 * a miss reads in the transaction and keeps nothing, since what a transaction reads may be its own writes or
 * its group's, not yet committed. Other reads inside a transaction never come here: a use case deciding under
 * a lock reads the database.
 */
export function withReadCache(
  direct: Repositories,
  cache: ReadCache,
  { keep }: { keep: boolean } = { keep: true },
): Repositories {
  const { licenses, policies, machines, tokens, dataObjects, products } = direct;
  /** A hit, or a load whose result is kept under the ticket taken before it read. */
  async function readThrough<T>(
    hit: T | undefined,
    load: () => Promise<T | null>,
    store: (ticket: number, found: T) => void,
  ): Promise<T | null> {
    if (hit) return hit;
    const ticket = cache.ticket();
    const found = await load();
    if (found && keep) store(ticket, found);
    return found;
  }
  const storeSeats = cache.storeSeats.bind(cache);
  const storePolicy = cache.storePolicy.bind(cache);
  const storeProduct = cache.storeProduct.bind(cache);
  const storeToken = cache.storeToken.bind(cache);
  return {
    ...direct,
    licenses: {
      ...licenses,
      findWithSeats: (key) =>
        readThrough(cache.seatsByKey(key), () => licenses.findWithSeats(key), storeSeats),
      findWithSeatsById: (id) =>
        readThrough(cache.seatsById(id), () => licenses.findWithSeatsById(id), storeSeats),
      async findByKey(key) {
        return cache.seatsByKey(key)?.license ?? licenses.findByKey(key);
      },
      async findById(id) {
        return cache.seatsById(id)?.license ?? licenses.findById(id);
      },
    },
    machines: {
      ...machines,
      async listActive(licenseId) {
        return cache.seatsById(licenseId)?.machines ?? machines.listActive(licenseId);
      },
    },
    policies: {
      ...policies,
      findById: (id) => readThrough(cache.policy(id), () => policies.findById(id), storePolicy),
    },
    products: {
      ...products,
      findById: (id) => readThrough(cache.product(id), () => products.findById(id), storeProduct),
    },
    dataObjects: {
      ...dataObjects,
      async list(owner) {
        if (owner.ownerType !== 'license') return dataObjects.list(owner);
        // A license without data objects is an answer too: an empty list is kept.
        const found = await readThrough(
          cache.dataObjectsOf(owner.ownerId),
          () => dataObjects.list(owner),
          (ticket, objects) => cache.storeDataObjects(ticket, owner.ownerId, objects),
        );
        return found ?? [];
      },
    },
    tokens: {
      ...tokens,
      findByHash: (secretHash) =>
        readThrough(cache.token(secretHash), () => tokens.findByHash(secretHash), storeToken),
    },
  };
}
