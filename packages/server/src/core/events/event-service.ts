import {
  assertLicenseAccess,
  assertNotLicenseLocked,
  assertProductAccess,
  assertScope,
  assertUnrestricted,
  canAccessLicense,
  canAccessProduct,
  licenseNotFound,
  type Principal,
} from '../access/principal.js';
import type { DomainEvent, License, Machine } from '../model.js';
import type { Store } from '../ports.js';
import type { EventFilter } from './event-ports.js';

/** An event about a license, with that license and the machine it names (if any, and still known). */
export interface LicenseEvent {
  event: DomainEvent;
  license: License;
  machine: Machine | null;
}

/** Reading the audit log: who may read which part of it is decided here, for every surface. */
export class EventService {
  constructor(private readonly deps: { store: Store }) {}

  /**
   * A page of the log, newest first, before the event id `before`. The filter must stay within the caller's
   * reach: a license it reaches, a product (for a credential not locked to one license), or neither for a
   * credential without locks; anything else is refused before an event is read. Reading the log needs
   * events:read, on whichever surface shows it (the native log, Cryptolens' Web API log, LimeLM's activity).
   */
  async list(
    principal: Principal,
    filter: EventFilter,
    page: { before: number | null; limit: number },
  ): Promise<DomainEvent[]> {
    assertScope(principal, 'events:read');
    if (filter.licenseId !== undefined) {
      const license = await this.deps.store.licenses.findById(filter.licenseId);
      if (!license) throw licenseNotFound();
      assertLicenseAccess(principal, license);
    } else if (filter.productId !== undefined) {
      assertNotLicenseLocked(principal);
      assertProductAccess(principal, filter.productId);
    } else assertUnrestricted(principal);
    return this.deps.store.events.list(filter, page);
  }

  /**
   * The events about a license the caller reaches, each with its license and machine, for surfaces that show
   * them together (Cryptolens' Web API log). Events about nothing, or about a license or product the caller's
   * locks exclude, are left out. What it adds to the events is part of reading them: events:read.
   */
  async aboutLicenses(principal: Principal, events: DomainEvent[]): Promise<LicenseEvent[]> {
    assertScope(principal, 'events:read');
    const { store } = this.deps;
    const licenses = new Map<number, Promise<License | null>>();
    const machines = new Map<number, Promise<Machine | null>>();
    const once = <T>(cache: Map<number, Promise<T>>, id: number, read: (id: number) => Promise<T>) => {
      if (!cache.has(id)) cache.set(id, read(id));
      return cache.get(id) as Promise<T>;
    };
    const found: LicenseEvent[] = [];
    for (const event of events) {
      if (event.licenseId === null) continue;
      const license = await once(licenses, event.licenseId, (id) => store.licenses.findById(id));
      if (!license || !canAccessLicense(principal, license)) continue;
      if (event.productId !== null && !canAccessProduct(principal, event.productId)) continue;
      const machine =
        event.machineId === null
          ? null
          : await once(machines, event.machineId, (id) => store.machines.findById(id));
      found.push({ event, license, machine });
    }
    return found;
  }
}
