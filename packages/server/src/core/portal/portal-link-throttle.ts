import { createHash } from 'node:crypto';
import { chargedAt, FORGET_AFTER_MS, TRUSTED_FOR_MS, waitMs } from '../access/sign-in-throttle.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Store } from '../ports.js';

/**
 * How often sign-in links may be asked for: every request spends the budget of its email address (so nobody
 * can flood a customer's mailbox) and of its client address (so one client cannot try addresses fast). Past its
 * free requests a budget makes the next wait 1 s, then twice as long after each further one, up to 15 minutes;
 * a budget unused for a day starts over (the dashboard's sign-in-throttle.ts, whose counters and sweep these
 * share). Every request is charged, whether or not the address owns a license, so a refusal says nothing
 * about that either.
 */
export const FREE_LINK_REQUESTS = { email: 3, address: 20 } as const;

type Budget = keyof typeof FREE_LINK_REQUESTS;

/** Opaque keys in their own namespace: no email or client address in the clear, no budget shared with sign-in. */
const keyOf = (budget: Budget, value: string) =>
  `portal-${budget}:${createHash('sha256').update(value).digest('base64url')}`;

const SWEEP_EVERY_MS = 60_000;

export class PortalLinkThrottle {
  private lastSweepAt = 0;

  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Charges one request to both budgets, or throws RATE_LIMITED (with the wait) and charges nothing. */
  async charge(email: string, address: string): Promise<void> {
    const keys: Record<Budget, string> = { email: keyOf('email', email), address: keyOf('address', address) };
    const now = this.deps.clock.now();
    const wait = await this.deps.store.transaction(async (tx) => {
      const counters = new Map(
        (await tx.signInCounters.lock(Object.values(keys), now)).map((c) => [c.key, c]),
      );
      const budgets = Object.keys(keys) as Budget[];
      const longest = Math.max(
        ...budgets.map((b) => waitMs(counters.get(keys[b]), FREE_LINK_REQUESTS[b], now)),
      );
      if (longest > 0) return longest;
      for (const budget of budgets) {
        const counter = counters.get(keys[budget]) ?? {
          key: keys[budget],
          failureCount: 0,
          lastFailureAt: null,
          lastSuccessAt: null,
        };
        await tx.signInCounters.save(chargedAt(counter, now), now);
      }
      // Addresses nobody owns leave counters too: forgotten ones go, at most once a minute per process, whether
      // or not anyone signs in to the dashboard (whose throttle sweeps the same table).
      if (now.getTime() - this.lastSweepAt >= SWEEP_EVERY_MS) {
        this.lastSweepAt = now.getTime();
        await tx.signInCounters.deleteStale({
          failuresBefore: new Date(now.getTime() - FORGET_AFTER_MS),
          successesBefore: new Date(now.getTime() - TRUSTED_FOR_MS),
        });
      }
      return 0;
    });
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new DomainError(
        'RATE_LIMITED',
        `too many sign-in links asked for; try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
        { retryAfterSeconds: seconds },
      );
    }
  }
}
