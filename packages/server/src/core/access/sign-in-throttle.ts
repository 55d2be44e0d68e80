import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Repositories, Store } from '../ports.js';
import type { SignInCounter } from './dashboard-ports.js';

/**
 * Sign-in throttling that slows a guesser without locking the owner out (OWASP's "device cookies", and the
 * familiar/unfamiliar split of well-known identity providers). Every attempt spends one or more budgets; past
 * its free failures a budget makes the next attempt wait, 1 s after the next failure and twice as long after
 * each further one, up to 15 minutes; an attempt that has to wait is refused with the wait (Retry-After)
 * and its password is not checked.
 *
 * - A browser that signed in to the account before (it holds that account's device cookie) spends only its
 *   own device budget: a guesser elsewhere can neither lock it out nor slow it down.
 * - An address the account signed in from before spends only the (account, address) budget.
 * - Any other client spends the (account, address) budget, the address's budget over all accounts (a guesser
 *   spraying many accounts) and the account's budget over all such clients (a guesser with many addresses).
 *
 * A success resets the pair's and the device's budgets and gives back what it took from the address and the
 * account, so budgets count failures only. Counters are rows in the database, locked while an attempt is
 * decided and charged before its password is checked: parallel attempts, in one process or many, spend one
 * budget exactly.
 */

export type SignInBudget = 'device' | 'pair' | 'address' | 'account';

/** Failures each budget allows before attempts have to wait. */
export const FREE_FAILURES: Readonly<Record<SignInBudget, number>> = {
  device: 5,
  pair: 5,
  address: 30,
  account: 20,
};
export const FIRST_DELAY_MS = 1000;
export const MAX_DELAY_MS = 15 * 60_000;
/** A budget without failures for this long starts over. */
export const FORGET_AFTER_MS = 24 * 3600_000;
/** A browser or an address stays known to an account this long after its last successful sign-in. */
export const TRUSTED_FOR_MS = 30 * 24 * 3600_000;

const SWEEP_EVERY_MS = 60_000;

const effectiveFailures = (counter: SignInCounter | undefined, now: Date): number =>
  counter?.lastFailureAt && now.getTime() - counter.lastFailureAt.getTime() < FORGET_AFTER_MS
    ? counter.failureCount
    : 0;

/** How long the counter makes the next attempt wait at `now`; 0 when it may go ahead. */
export function waitMs(counter: SignInCounter | undefined, freeFailures: number, now: Date): number {
  const failures = effectiveFailures(counter, now);
  if (failures < freeFailures || !counter?.lastFailureAt) return 0;
  const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - freeFailures));
  return Math.max(0, counter.lastFailureAt.getTime() + delay - now.getTime());
}

const isKnown = (counter: SignInCounter | undefined, now: Date): boolean =>
  counter?.lastSuccessAt != null && now.getTime() - counter.lastSuccessAt.getTime() < TRUSTED_FOR_MS;

/** The budgets an attempt spends and how long it has to wait first. */
export function planAttempt(
  counters: Partial<Record<SignInBudget, SignInCounter>>,
  now: Date,
): { budgets: SignInBudget[]; waitMs: number } {
  const budgets: SignInBudget[] = isKnown(counters.device, now)
    ? ['device']
    : isKnown(counters.pair, now)
      ? ['pair']
      : ['pair', 'address', 'account'];
  const wait = Math.max(0, ...budgets.map((b) => waitMs(counters[b], FREE_FAILURES[b], now)));
  return { budgets, waitMs: wait };
}

export const chargedAt = (counter: SignInCounter, now: Date): SignInCounter => ({
  ...counter,
  failureCount: effectiveFailures(counter, now) + 1,
  lastFailureAt: now,
});

export const refunded = (counter: SignInCounter): SignInCounter => ({
  ...counter,
  failureCount: Math.max(0, counter.failureCount - 1),
});

export const succeededAt = (counter: SignInCounter, now: Date): SignInCounter => ({
  ...counter,
  failureCount: 0,
  lastFailureAt: null,
  lastSuccessAt: now,
});

const DEVICE_SECRET = /^[A-Za-z0-9_-]{43}$/;

/** Opaque, fixed-length keys: the table holds no email or client address in the clear. */
function keyOf(kind: SignInBudget, ...parts: string[]): string {
  return `${kind}:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`;
}

export const normalizeAccount = (email: string): string => email.trim().toLowerCase();

/** Names the account's device cookie, so one browser can be known to several accounts. */
export function deviceNameOf(email: string): string {
  return createHash('sha256')
    .update(`device:${normalizeAccount(email)}`)
    .digest('hex')
    .slice(0, 12);
}

export interface SignInClient {
  email: string;
  address: string;
  /** The value of the account's device cookie, if the browser sent one. */
  deviceSecret: string | null;
}

/** An attempt admitted by `begin`: what it was charged, to settle once the password is checked. */
export interface SignInAttempt {
  keys: Record<Exclude<SignInBudget, 'device'>, string> & { device: string | null };
  account: string;
  budgets: SignInBudget[];
  /** The device secret to hand (back) to the browser if the attempt succeeds. */
  deviceSecret: string;
}

export class SignInThrottle {
  private lastSweepAt = 0;

  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Admits an attempt and charges it as a failure, or throws RATE_LIMITED with the wait in seconds. */
  async begin(client: SignInClient): Promise<SignInAttempt> {
    const account = normalizeAccount(client.email);
    const presented =
      client.deviceSecret !== null && DEVICE_SECRET.test(client.deviceSecret) ? client.deviceSecret : null;
    const keys = {
      device: presented === null ? null : keyOf('device', account, presented),
      pair: keyOf('pair', account, client.address),
      address: keyOf('address', client.address),
      account: keyOf('account', account),
    };
    const now = this.deps.clock.now();
    const verdict = await this.deps.store.transaction(async (tx) => {
      const counters = await this.lock(tx, keys, now);
      const plan = planAttempt(counters, now);
      if (plan.waitMs > 0) return plan;
      for (const budget of plan.budgets) {
        const counter = counters[budget];
        if (counter) await tx.signInCounters.save(chargedAt(counter, now), now);
      }
      await this.sweepIfDue(tx, now);
      return plan;
    });
    if (verdict.waitMs > 0) {
      const seconds = Math.ceil(verdict.waitMs / 1000);
      throw new DomainError(
        'RATE_LIMITED',
        `too many failed sign-ins; try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
        { retryAfterSeconds: seconds },
      );
    }
    // A browser known to the account keeps its secret; any other gets a fresh one if it signs in.
    const deviceSecret =
      verdict.budgets.includes('device') && presented !== null
        ? presented
        : randomBytes(32).toString('base64url');
    return { keys, account, budgets: verdict.budgets, deviceSecret };
  }

  /**
   * Settles a successful attempt inside the sign-in's transaction: the browser and the address become known
   * to the account, and the failure charged on the way in is taken back.
   */
  async succeed(tx: Repositories, attempt: SignInAttempt): Promise<void> {
    const now = this.deps.clock.now();
    const deviceKey = keyOf('device', attempt.account, attempt.deviceSecret);
    const counters = await this.lock(tx, { ...attempt.keys, device: deviceKey }, now);
    for (const budget of ['device', 'pair'] as const) {
      const counter = counters[budget];
      if (counter) await tx.signInCounters.save(succeededAt(counter, now), now);
    }
    for (const budget of ['address', 'account'] as const) {
      const counter = counters[budget];
      if (counter && attempt.budgets.includes(budget)) await tx.signInCounters.save(refunded(counter), now);
    }
  }

  /** Forgotten counters go, at most once a minute per process: a guesser's many addresses do not pile up. */
  private async sweepIfDue(tx: Repositories, now: Date): Promise<void> {
    if (now.getTime() - this.lastSweepAt < SWEEP_EVERY_MS) return;
    this.lastSweepAt = now.getTime();
    await tx.signInCounters.deleteStale({
      failuresBefore: new Date(now.getTime() - FORGET_AFTER_MS),
      successesBefore: new Date(now.getTime() - TRUSTED_FOR_MS),
    });
  }

  private async lock(
    tx: Repositories,
    keys: Record<SignInBudget, string | null>,
    now: Date,
  ): Promise<Partial<Record<SignInBudget, SignInCounter>>> {
    const wanted = Object.entries(keys).filter((entry): entry is [SignInBudget, string] => entry[1] !== null);
    const rows = await tx.signInCounters.lock(
      wanted.map(([, key]) => key),
      now,
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    const counters: Partial<Record<SignInBudget, SignInCounter>> = {};
    for (const [budget, key] of wanted) {
      // A row swept away meanwhile is a zero counter; saving it creates it again.
      counters[budget] = byKey.get(key) ?? {
        key,
        failureCount: 0,
        lastFailureAt: null,
        lastSuccessAt: null,
      };
    }
    return counters;
  }
}
