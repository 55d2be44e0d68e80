import type { Actor } from '../access/actor.js';
import { assertReach, assertScope, hideRefusal, type Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { DataObject, DataObjectOwner } from '../model.js';
import type { Repositories, Store } from '../ports.js';

/** What an owner belongs to, so callers can check a credential's locks against it. */
export const dataObjectNotFound = (id: number) =>
  new DomainError('NOT_FOUND', `data object ${id} does not exist`);

const ownerNotFound = (ownerType: DataObjectOwner, ownerId: number) =>
  new DomainError('NOT_FOUND', `${ownerType} ${ownerId} does not exist`, { field: 'ownerId' });

export interface OwnerReach {
  licenseId: number | null;
  productIds: number[];
}

export const MAX_DATA_OBJECTS_PER_OWNER = 100;

/** Named integer/string values attached to a license, a machine or a product. */
export class DataObjectService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async reach(
    ownerType: DataObjectOwner,
    ownerId: number,
    repos: Repositories = this.deps.store,
  ): Promise<OwnerReach> {
    const missing = () => ownerNotFound(ownerType, ownerId);
    if (ownerType === 'product') {
      if (!(await repos.products.findById(ownerId))) throw missing();
      return { licenseId: null, productIds: [ownerId] };
    }
    const licenseId = ownerType === 'license' ? ownerId : (await repos.machines.findById(ownerId))?.licenseId;
    const license = licenseId === undefined ? null : await repos.licenses.findById(licenseId);
    if (!license) throw missing();
    return { licenseId: license.id, productIds: license.productIds };
  }

  /** The reach of an owner the caller may reach; one it may not reach answers exactly as a missing one. */
  async reachFor(
    principal: Principal,
    ownerType: DataObjectOwner,
    ownerId: number,
    repos: Repositories = this.deps.store,
  ): Promise<OwnerReach> {
    const reach = await this.reach(ownerType, ownerId, repos);
    await hideRefusal(
      () => assertReach(principal, reach),
      () => ownerNotFound(ownerType, ownerId),
    );
    return reach;
  }

  async get(id: number): Promise<{ object: DataObject; reach: OwnerReach }> {
    const object = await this.deps.store.dataObjects.findById(id);
    if (!object) throw dataObjectNotFound(id);
    return { object, reach: await this.reach(object.ownerType, object.ownerId) };
  }

  /**
   * Checks the caller's locks against an owner (principal.ts assertReach): FORBIDDEN or LICENSE_NOT_FOUND
   * when they exclude it, NOT_FOUND when there is no such owner.
   */
  async assertOwnerReach(principal: Principal, ownerType: DataObjectOwner, ownerId: number): Promise<void> {
    assertReach(principal, await this.reach(ownerType, ownerId));
  }

  /** The data object with this id, or null; one whose owner the caller's locks exclude is refused as above. */
  async find(principal: Principal, id: number): Promise<DataObject | null> {
    const object = await this.deps.store.dataObjects.findById(id);
    if (!object) return null;
    await this.assertOwnerReach(principal, object.ownerType, object.ownerId);
    return object;
  }

  list(ownerType: DataObjectOwner, ownerId: number): Promise<DataObject[]> {
    return this.deps.store.dataObjects.list({ ownerType, ownerId });
  }

  async create(actor: Actor, input: Omit<DataObject, 'id'>): Promise<DataObject> {
    const { principal } = actor;
    assertScope(principal, 'data-objects:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const reach = await this.reachFor(principal, input.ownerType, input.ownerId, tx);
      const existing = await tx.dataObjects.list({ ownerType: input.ownerType, ownerId: input.ownerId });
      if (existing.some((o) => o.name === input.name)) {
        throw new DomainError(
          'CONFLICT',
          `a data object named "${input.name}" exists on this ${input.ownerType}`,
        );
      }
      if (existing.length >= MAX_DATA_OBJECTS_PER_OWNER) {
        throw new DomainError(
          'CONFLICT',
          `an owner holds at most ${MAX_DATA_OBJECTS_PER_OWNER} data objects`,
        );
      }
      const object = await tx.dataObjects.insert(input);
      await tx.events.append(
        newEvent(
          'data_object.created',
          actor,
          now,
          { licenseId: reach.licenseId, productId: reach.productIds[0] },
          {
            dataObjectId: object.id,
            name: object.name,
          },
        ),
      );
      return object;
    });
  }

  async update(
    actor: Actor,
    id: number,
    changes: Partial<Pick<DataObject, 'name' | 'intValue' | 'stringValue'>>,
  ): Promise<DataObject> {
    assertScope(actor.principal, 'data-objects:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = await tx.dataObjects.findById(id);
      if (!current) throw new DomainError('NOT_FOUND', `data object ${id} does not exist`);
      if (changes.name !== undefined && changes.name !== current.name) {
        const siblings = await tx.dataObjects.list({
          ownerType: current.ownerType,
          ownerId: current.ownerId,
        });
        if (siblings.some((o) => o.name === changes.name)) {
          throw new DomainError(
            'CONFLICT',
            `a data object named "${changes.name}" exists on this ${current.ownerType}`,
          );
        }
      }
      const object = await tx.dataObjects.update(id, changes);
      await tx.events.append(newEvent('data_object.updated', actor, now, {}, { dataObjectId: id, changes }));
      return object;
    });
  }

  /** Adds to the integer value atomically; refuses when the result would leave the given bounds. */
  async add(
    actor: Actor,
    id: number,
    delta: number,
    bounds: { min: number | null; max: number | null },
  ): Promise<DataObject> {
    assertScope(actor.principal, 'data-objects:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      if (!(await tx.dataObjects.findById(id)))
        throw new DomainError('NOT_FOUND', `data object ${id} does not exist`);
      // Integer values stay within what every client (JSON numbers, JavaScript) holds exactly.
      const object = await tx.dataObjects.addToInt(id, delta, {
        min: Math.max(bounds.min ?? -Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
        max: Math.min(bounds.max ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
      });
      if (!object)
        throw new DomainError('CONFLICT', 'the change would take the value out of its bounds', { ...bounds });
      await tx.events.append(newEvent('data_object.changed', actor, now, {}, { dataObjectId: id, delta }));
      return object;
    });
  }

  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'data-objects:write');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.dataObjects.delete(id)))
        throw new DomainError('NOT_FOUND', `data object ${id} does not exist`);
      await tx.events.append(newEvent('data_object.deleted', actor, now, {}, { dataObjectId: id }));
    });
  }
}
