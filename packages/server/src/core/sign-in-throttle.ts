import type { Clock } from './clock.js';

/**
 * Counts failed sign-ins per account and per client address in a sliding window; past the limit, further
 * attempts are refused without checking the password, so guessing costs the attacker time, not us CPU.
 * Kept in memory: each server process throttles on its own (several processes multiply the budget).
 */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limits = { perAccount: 10, perAddress: 30, windowMs: 15 * 60_000 },
  ) {}

  /** Milliseconds until the next attempt is allowed, or 0. */
  retryAfterMs(account: string, address: string): number {
    const now = this.clock.now().getTime();
    return Math.max(
      this.wait(`a:${account}`, this.limits.perAccount, now),
      this.wait(`ip:${address}`, this.limits.perAddress, now),
    );
  }

  recordFailure(account: string, address: string): void {
    const now = this.clock.now().getTime();
    for (const key of [`a:${account}`, `ip:${address}`]) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.set(key, list);
    }
    if (this.failures.size > 100_000) this.prune(now);
  }

  /** A successful sign-in clears the account's failures (not the address's). */
  recordSuccess(account: string): void {
    this.failures.delete(`a:${account}`);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.limits.windowMs);
  }

  private wait(key: string, max: number, now: number): number {
    const list = this.recent(key, now);
    if (list.length < max) return 0;
    const oldest = list[list.length - max] ?? now;
    return Math.max(1, oldest + this.limits.windowMs - now);
  }

  private prune(now: number): void {
    for (const [key, list] of this.failures) {
      if (list.every((at) => at <= now - this.limits.windowMs)) this.failures.delete(key);
    }
  }
}
