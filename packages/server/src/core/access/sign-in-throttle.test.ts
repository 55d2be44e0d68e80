import { describe, expect, it } from 'vitest';
import type { SignInCounter } from './dashboard-ports.js';
import {
  chargedAt,
  FORGET_AFTER_MS,
  MAX_DELAY_MS,
  planAttempt,
  refunded,
  type SignInBudget,
  succeededAt,
  TRUSTED_FOR_MS,
  waitMs,
} from './sign-in-throttle.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function counter(
  failureCount: number,
  lastFailureAgoMs: number | null,
  lastSuccessAgoMs: number | null = null,
) {
  return {
    key: 'k',
    failureCount,
    lastFailureAt: lastFailureAgoMs === null ? null : ago(lastFailureAgoMs),
    lastSuccessAt: lastSuccessAgoMs === null ? null : ago(lastSuccessAgoMs),
  } satisfies SignInCounter;
}

describe('waitMs: free failures, then a delay doubling from 1 s up to 15 minutes', () => {
  it.each([
    ['no counter', undefined, 0],
    ['fewer failures than free', counter(4, 0), 0],
    ['the free failures used, just now', counter(5, 0), 1000],
    ['one more, just now', counter(6, 0), 2000],
    ['nine more, just now', counter(14, 0), 512_000],
    ['many more: capped', counter(60, 0), MAX_DELAY_MS],
    ['part of the delay passed', counter(7, 1500), 2500],
    ['the delay passed', counter(7, 4000), 0],
    ['failures forgotten after a quiet day', counter(60, FORGET_AFTER_MS), 0],
  ])('%s', (_name, c, expected) => {
    expect(waitMs(c, 5, NOW)).toBe(expected);
  });
});

describe('planAttempt: which budgets an attempt spends', () => {
  const fresh = counter(0, null);
  const known = counter(0, null, 24 * 3600_000);
  const forgotten = counter(0, null, TRUSTED_FOR_MS);
  const exhausted = counter(40, 0);
  it.each<[string, Partial<Record<SignInBudget, SignInCounter>>, SignInBudget[], boolean]>([
    [
      'a stranger spends pair, address and account',
      { pair: fresh, address: fresh, account: fresh },
      ['pair', 'address', 'account'],
      false,
    ],
    [
      'a stranger waits for an exhausted account',
      { pair: fresh, address: fresh, account: exhausted },
      ['pair', 'address', 'account'],
      true,
    ],
    [
      'a stranger waits for an exhausted address',
      { pair: fresh, address: exhausted, account: fresh },
      ['pair', 'address', 'account'],
      true,
    ],
    [
      'a known address spends only its pair',
      { pair: known, address: exhausted, account: exhausted },
      ['pair'],
      false,
    ],
    [
      'a known address waits for its own pair',
      { pair: { ...exhausted, lastSuccessAt: ago(1000) }, address: fresh, account: fresh },
      ['pair'],
      true,
    ],
    [
      'a known browser spends only its device budget',
      { device: known, pair: exhausted, address: exhausted, account: exhausted },
      ['device'],
      false,
    ],
    [
      'a known browser waits for its own failures',
      { device: { ...exhausted, lastSuccessAt: ago(1000) }, pair: fresh, address: fresh, account: fresh },
      ['device'],
      true,
    ],
    [
      'a browser unknown to the account is a stranger',
      { device: fresh, pair: fresh, address: fresh, account: exhausted },
      ['pair', 'address', 'account'],
      true,
    ],
    [
      'trust ends 30 days after the last success',
      { device: forgotten, pair: forgotten, address: fresh, account: exhausted },
      ['pair', 'address', 'account'],
      true,
    ],
  ])('%s', (_name, counters, budgets, waits) => {
    const plan = planAttempt(counters, NOW);
    expect(plan.budgets).toEqual(budgets);
    expect(plan.waitMs > 0).toBe(waits);
  });
});

describe('charging, refunding and succeeding', () => {
  it('charges on top of the failures still remembered', () => {
    expect(chargedAt(counter(3, 1000), NOW)).toMatchObject({ failureCount: 4, lastFailureAt: NOW });
    expect(chargedAt(counter(30, FORGET_AFTER_MS), NOW)).toMatchObject({ failureCount: 1 });
  });
  it('gives back one failure, never below zero', () => {
    expect(refunded(counter(3, 0)).failureCount).toBe(2);
    expect(refunded(counter(0, null)).failureCount).toBe(0);
  });
  it('a success clears the failures and makes the client known', () => {
    expect(succeededAt(counter(9, 0), NOW)).toMatchObject({
      failureCount: 0,
      lastFailureAt: null,
      lastSuccessAt: NOW,
    });
  });
});
