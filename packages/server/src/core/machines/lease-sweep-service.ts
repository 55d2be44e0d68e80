import type { Actor } from '../access/actor.js';
import type { Clock } from '../clock.js';
import { sweeperActor } from '../licenses/license-cleanup-service.js';
import type { Policy } from '../model.js';
import type { Store } from '../ports.js';
import { releaseLapsedLeases } from './release-lapsed-leases.js';

const BATCH = 200;

/**
 * Frees floating leases that lapsed and announces each with one `machine.lease_expired`, so a seat nobody
 * renews is free and announced within one sweep interval, not only when someone next touches the license.
 * Each batch is one transaction that locks its licenses (as activations do) and frees what it reads under the
 * lock with the rule activations use (releaseLapsedLeases): several server processes may sweep at once, and
 * each lease is freed and announced exactly once, by whichever of them or of the license's activations comes
 * first.
 */
export class LeaseSweepService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Sweeps until nothing lapsed is left; returns how many leases this call freed. */
  async sweep(actor: Actor = sweeperActor): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.deps.clock.now();
      const { licenseCount, freedCount } = await this.deps.store.transaction(async (tx) => {
        const licenseIds = await tx.machines.lockLicensesWithLapsedLeases({ now, limit: BATCH });
        let freed = 0;
        for (const licenseId of licenseIds) {
          const locked = await tx.licenses.lockWithSeats(licenseId);
          if (!locked) continue;
          const productId = (locked.policy as Policy).productId;
          const released = await releaseLapsedLeases(
            tx,
            { licenseId, productId },
            locked.machines,
            actor,
            now,
          );
          freed += released.freed.length;
        }
        return { licenseCount: licenseIds.length, freedCount: freed };
      });
      total += freedCount;
      // A short batch means nothing more lapsed, or another process holds the rest.
      if (licenseCount < BATCH) return total;
    }
  }
}
