import type { DomainEvent } from '../model.js';
import type { EventFilter, Store } from '../ports.js';
import {
  assertProductAccess,
  assertUnrestricted,
  canAccessLicense,
  licenseNotFound,
  type Principal,
} from '../principal.js';

/** Reading the audit log. */
export class EventService {
  constructor(private readonly deps: { store: Store }) {}

  /**
   * A page of events, newest first. A locked credential must filter by a license or a product it reaches:
   * the whole log spans products, so only an unrestricted one reads it unfiltered.
   */
  async list(
    principal: Principal,
    filter: EventFilter,
    page: { before: number | null; limit: number },
  ): Promise<DomainEvent[]> {
    if (filter.licenseId !== undefined) {
      const license = await this.deps.store.licenses.findById(filter.licenseId);
      if (!license || !canAccessLicense(principal, license)) throw licenseNotFound();
    } else if (filter.productId !== undefined) assertProductAccess(principal, filter.productId);
    else assertUnrestricted(principal);
    return this.deps.store.events.list(filter, page);
  }
}
