/** Retries go on for a day after the first attempt was due (or after a redelivery). */
export const RETRY_WINDOW_SECONDS = 24 * 3600;
const FIRST_DELAY_SECONDS = 30;
const MAX_DELAY_SECONDS = 3 * 3600;

/**
 * When to try again after `attemptCount` failed attempts: 30 s, 1 min, 2 min, … doubling up to 3 h apart,
 * never past the window; null when the window is over. Jitter of up to 10 % spreads retries of many
 * deliveries to one receiver that came back.
 */
export function nextRetryAt(
  attemptCount: number,
  windowStartedAt: Date,
  now: Date,
  random: () => number = Math.random,
): Date | null {
  const end = windowStartedAt.getTime() + RETRY_WINDOW_SECONDS * 1000;
  if (now.getTime() >= end) return null;
  const base = Math.min(FIRST_DELAY_SECONDS * 2 ** Math.max(0, attemptCount - 1), MAX_DELAY_SECONDS);
  const delayMs = base * 1000 * (1 + 0.1 * random());
  return new Date(Math.min(now.getTime() + delayMs, end));
}

const FIRST_PAUSE_MS = 30_000;
const MAX_PAUSE_MS = 15 * 60_000;

/**
 * How long a dispatcher sends nothing to an endpoint after its `timeouts`-th timeout in a row: 30 s, 1 min,
 * 2 min, … up to 15 min. A receiver that hangs costs one timeout per pause instead of one per delivery; its
 * deliveries wait, due, and go out once it answers again.
 */
export function endpointPauseMs(timeouts: number): number {
  return Math.min(FIRST_PAUSE_MS * 2 ** Math.max(0, timeouts - 1), MAX_PAUSE_MS);
}
