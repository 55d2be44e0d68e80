import type { Actor } from '../access/actor.js';
import { newEvent } from '../events/record-event.js';
import { isLeaseLapsed, type Machine } from '../model.js';
import type { Repositories } from '../ports.js';

/**
 * Frees the seats of a license whose floating leases lapsed and announces each with one
 * `machine.lease_expired`; returns the machines that still hold or keep theirs. The caller holds the license's
 * lock (`lockWithSeats`) and read `machines` under it, so a lease is freed exactly once, whether an activation
 * or a heartbeat of the license or the periodic sweep (LeaseSweepService) comes first. The seat is recorded
 * free from the instant its lease ran out, not from when this ran (`wasFreedByLapse`).
 */
export async function releaseLapsedLeases(
  tx: Repositories,
  license: { licenseId: number; productId: number },
  machines: Machine[],
  actor: Actor,
  now: Date,
): Promise<{ remaining: Machine[]; freed: Machine[] }> {
  const remaining: Machine[] = [];
  const freed: Machine[] = [];
  for (const machine of machines) {
    if (machine.deactivatedAt === null && isLeaseLapsed(machine, now)) freed.push(machine);
    else remaining.push(machine);
  }
  for (const machine of freed) await tx.machines.deactivate(machine.id, machine.leaseExpiresAt as Date);
  if (freed.length > 0) {
    await tx.events.appendMany(
      freed.map((machine) =>
        newEvent(
          'machine.lease_expired',
          actor,
          now,
          { ...license, machineId: machine.id },
          {
            fingerprint: machine.fingerprint,
            leaseExpiresAt: (machine.leaseExpiresAt as Date).toISOString(),
          },
        ),
      ),
    );
  }
  return { remaining, freed };
}
