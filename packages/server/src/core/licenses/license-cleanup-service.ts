import { type Actor, serverActor } from '../access/actor.js';
import type { Clock } from '../clock.js';
import { newEvent } from '../events/record-event.js';
import type { Store } from '../ports.js';

/** A cleanable license without an expiry is deleted once it is this old (AuthTool: "after 1 hour"). */
export const UNDATED_CLEANABLE_GRACE_SECONDS = 3600;
const BATCH = 200;

export const sweeperActor: Actor = serverActor('sweeper');

/**
 * Deletes cleanable licenses once they are due: expired, or an hour old when they never expire. Each batch is
 * one transaction that deletes the licenses, their machines and data objects and records the events, so
 * several server processes may sweep at once: every license is deleted exactly once and never in part.
 */
export class LicenseCleanupService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Sweeps until nothing is due; returns how many licenses this call deleted. */
  async sweep(actor: Actor = sweeperActor): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.deps.clock.now();
      const deleted = await this.deps.store.transaction(async (tx) => {
        const rows = await tx.licenseCleanup.deleteDueCleanable({
          now,
          undatedGraceSeconds: UNDATED_CLEANABLE_GRACE_SECONDS,
          limit: BATCH,
        });
        if (rows.length > 0) {
          await tx.events.appendMany(
            rows.map((row) =>
              newEvent(
                'license.deleted',
                actor,
                now,
                { licenseId: row.licenseId, productId: row.productId },
                { reason: 'cleanable' },
              ),
            ),
          );
        }
        return rows.length;
      });
      total += deleted;
      // A short batch means nothing more is due, or another process holds the rest.
      if (deleted < BATCH) return total;
    }
  }
}
