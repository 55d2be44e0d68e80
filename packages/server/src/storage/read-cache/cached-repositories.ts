import type { Repositories } from '../../core/ports.js';
import type { ReadCache } from './read-cache.js';

/**
 * The store's reads outside a transaction, answered from the read cache where it holds the answer: what
 * validation, activation's read side and every token-authenticated request read. A miss reads the database
 * and keeps the result (unless it was invalidated meanwhile: read-cache.ts). Reads inside a transaction never
 * come here: a use case deciding under a lock reads the database.
 */
export function withReadCache(direct: Repositories, cache: ReadCache): Repositories {
  const { licenses, policies, machines, tokens, dataObjects } = direct;
  return {
    ...direct,
    licenses: {
      ...licenses,
      async findWithSeats(key) {
        const hit = cache.seatsByKey(key);
        if (hit) return hit;
        const ticket = cache.ticket();
        const found = await licenses.findWithSeats(key);
        if (found) cache.storeSeats(ticket, found);
        return found;
      },
      async findWithSeatsById(id) {
        const hit = cache.seatsById(id);
        if (hit) return hit;
        const ticket = cache.ticket();
        const found = await licenses.findWithSeatsById(id);
        if (found) cache.storeSeats(ticket, found);
        return found;
      },
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
      async findById(id) {
        const hit = cache.policy(id);
        if (hit) return hit;
        const ticket = cache.ticket();
        const found = await policies.findById(id);
        if (found) cache.storePolicy(ticket, found);
        return found;
      },
    },
    dataObjects: {
      ...dataObjects,
      async list(owner) {
        if (owner.ownerType !== 'license') return dataObjects.list(owner);
        const hit = cache.dataObjectsOf(owner.ownerId);
        if (hit) return hit;
        const ticket = cache.ticket();
        const found = await dataObjects.list(owner);
        cache.storeDataObjects(ticket, owner.ownerId, found);
        return found;
      },
    },
    tokens: {
      ...tokens,
      async findByHash(secretHash) {
        const hit = cache.token(secretHash);
        if (hit) return hit;
        const ticket = cache.ticket();
        const found = await tokens.findByHash(secretHash);
        if (found) cache.storeToken(ticket, found);
        return found;
      },
    },
  };
}
