import type { NewEvent } from '../events/record-event.js';
import { renewedIfBefore } from '../licenses/last-validated.js';
import type { Store } from '../ports.js';

/**
 * Validation is the hot path: its event and its `lastValidatedAt` touch (and other events that must not
 * hold up or roll back with a request, such as refusals) are queued here and written in one
 * transaction per interval, off the response path. A full queue flushes early; close() flushes what is left.
 */
export class BookkeepingQueue {
  private events: NewEvent[] = [];
  private validated = new Map<number, Date>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly options: { intervalMs: number; maxBatch: number; onError: (error: unknown) => void },
  ) {}

  /** Queues an event; `licenseId` of a validation also gets its lastValidatedAt touched. */
  record(event: NewEvent, options: { touchLicense: boolean }): void {
    this.events.push(event);
    if (options.touchLicense && event.licenseId !== null)
      this.validated.set(event.licenseId, event.createdAt);
    if (this.events.length >= this.options.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.intervalMs);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const events = this.events;
    const validated = this.validated;
    this.events = [];
    this.validated = new Map();
    if (events.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.write(events, validated));
    return this.flushing;
  }

  private async write(events: NewEvent[], validated: Map<number, Date>): Promise<void> {
    try {
      // One time per batch: each license gets the batch's latest, at most one interval late, and only where the
      // time it holds is older than the granularity kept.
      const latest =
        validated.size === 0 ? null : new Date(Math.max(...[...validated.values()].map((d) => d.getTime())));
      const touched =
        latest === null
          ? null
          : { ids: [...validated.keys()], at: latest, renewedIfBefore: renewedIfBefore(latest) };
      await this.store.writeBookkeeping({ events, validated: touched });
    } catch (error) {
      this.options.onError(error);
    }
  }
}
