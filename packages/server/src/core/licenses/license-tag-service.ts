import type { Actor } from '../access/actor.js';
import { assertScope, canAccessLicense } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { newEvent } from '../events/record-event.js';
import type { License } from '../model.js';
import type { Store } from '../ports.js';

/** Tags across licenses: removing one tag from every license that carries it, in one transaction. */
export class LicenseTagService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Only licenses the caller may reach are changed; returns how many were. */
  async removeEverywhere(actor: Actor, tag: string): Promise<number> {
    assertScope(actor.principal, 'licenses:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      let changed = 0;
      for (let after: number | null = null; ; ) {
        const page: License[] = await tx.licenses.list({ tag }, { after, limit: 500, now });
        for (const found of page.filter((l) => canAccessLicense(actor.principal, l))) {
          const license = (await tx.licenses.lockById(found.id)) as License;
          await tx.licenses.update(license.id, {
            tags: license.tags.filter((t) => t !== tag),
            updatedAt: now,
          });
          await tx.events.append(
            newEvent(
              'license.updated',
              actor,
              now,
              { licenseId: license.id, productId: license.productIds[0] ?? null },
              { changes: { removedTag: tag } },
            ),
          );
          changed += 1;
        }
        if (page.length < 500) return changed;
        after = (page[page.length - 1] as License).id;
      }
    });
  }
}
