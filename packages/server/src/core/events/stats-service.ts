import type { EventBucket, OverviewCounts } from '../access/dashboard-ports.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Store } from '../ports.js';

export const BUCKETS = { hour: 3_600_000, day: 86_400_000 } as const;
export type BucketSize = keyof typeof BUCKETS;
/** At most this many buckets per answer, so a wide range cannot make the server count for long. */
const MAX_BUCKETS = 400;

/** Aggregates for the dashboard's overview: counts and events over time. */
export class StatsService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  overview(): Promise<OverviewCounts> {
    return this.deps.store.stats.overview(this.deps.clock.now());
  }

  /**
   * Per-bucket counts of the given event types from `since` to `until` (default: the last 30 days or 48
   * hours), every bucket present (zero when nothing happened), oldest first.
   */
  async eventSeries(input: {
    types: string[];
    bucket: BucketSize;
    since?: Date | undefined;
    until?: Date | undefined;
  }): Promise<{ since: Date; until: Date; bucketSeconds: number; buckets: EventBucket[] }> {
    const bucketMs = BUCKETS[input.bucket];
    const until = input.until ?? this.deps.clock.now();
    // Buckets start on whole hours or UTC days, so neighbouring answers line up.
    const end = Math.ceil(until.getTime() / bucketMs) * bucketMs;
    const start = input.since
      ? Math.floor(input.since.getTime() / bucketMs) * bucketMs
      : end - (input.bucket === 'day' ? 30 : 48) * bucketMs;
    if (start >= end)
      throw new DomainError('INVALID_INPUT', 'since must be before until', { field: 'since' });
    if ((end - start) / bucketMs > MAX_BUCKETS) {
      throw new DomainError('INVALID_INPUT', `at most ${MAX_BUCKETS} buckets; narrow the range`, {
        field: 'since',
      });
    }
    const counted = await this.deps.store.stats.eventCounts({
      types: input.types,
      since: new Date(start),
      until: new Date(end),
      bucketMs,
    });
    const byKey = new Map(counted.map((b) => [`${b.type}@${b.start}`, b.count]));
    const buckets: EventBucket[] = [];
    for (let at = start; at < end; at += bucketMs) {
      for (const type of input.types)
        buckets.push({ start: at, type, count: byKey.get(`${type}@${at}`) ?? 0 });
    }
    return { since: new Date(start), until: new Date(end), bucketSeconds: bucketMs / 1000, buckets };
  }
}
