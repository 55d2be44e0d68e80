/**
 * Since API version 2025-03-31 the period lives on each subscription item (`current_period_end`), not on the
 * subscription; items may renew on different days, so the subscription is paid up to the latest of them.
 */
export function periodEndOfItems(items: Array<{ current_period_end?: unknown }>): Date | null {
  let latest: number | null = null;
  for (const item of items) {
    const end = item.current_period_end;
    if (typeof end === 'number' && (latest === null || end > latest)) latest = end;
  }
  return latest === null ? null : new Date(latest * 1000);
}
