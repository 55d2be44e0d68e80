import { assertScope, type Principal } from '../access/principal.js';
import type { License } from '../model.js';
import type { Paged } from '../paged.js';
import type { Store } from '../ports.js';
import type { LicenseSearchCriteria } from './license-ports.js';

const SCAN_CHUNK = 500;

/** The caller's locks as search criteria: its one license, or the products it is locked to. */
function reachOf(principal: Principal): Pick<LicenseSearchCriteria, 'anyOfProductIds' | 'licenseId'> {
  if (principal.kind === 'license') return { licenseId: principal.license.id };
  const { productIds, licenseId } = principal.token;
  return {
    anyOfProductIds: productIds.length > 0 ? productIds : undefined,
    licenseId: licenseId ?? undefined,
  };
}

/**
 * Back-office search over licenses: the criteria the database can index (policy, product, e-mail and tag
 * patterns, creation time) run in SQL; an optional `keep` filter (e.g. on feature values, whose encoding is
 * per surface) runs over the SQL matches in chunks, and the page is cut from what it keeps.
 */
export class LicenseSearchService {
  constructor(private readonly deps: { store: Store }) {}

  /**
   * Only licenses the caller may reach are searched, so neither the page nor the total tells of others. A
   * read of licenses: licenses:read.
   */
  async search(
    principal: Principal,
    asked: Omit<LicenseSearchCriteria, 'anyOfProductIds' | 'licenseId'>,
    page: { offset: number; limit: number },
    keep?: (license: License) => boolean,
  ): Promise<Paged<License>> {
    assertScope(principal, 'licenses:read');
    const criteria = { ...asked, ...reachOf(principal) };
    const repository = this.deps.store.licenseSearch;
    if (!keep) return repository.search(criteria, page);
    const items: License[] = [];
    let total = 0;
    for (let offset = 0; ; offset += SCAN_CHUNK) {
      const chunk = await repository.search(criteria, { offset, limit: SCAN_CHUNK });
      for (const license of chunk.items.filter(keep)) {
        if (total >= page.offset && items.length < page.limit) items.push(license);
        total += 1;
      }
      if (chunk.items.length < SCAN_CHUNK) return { total, items };
    }
  }
}
