import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NOW, secondsAfter } from '../../test-support/domain-fixtures.js';
import { operatorPrincipal } from '../access/principal.js';
import { type NewEvent, newEvent } from '../events/record-event.js';
import type { BookkeepingBatch, Store } from '../ports.js';
import { BookkeepingQueue } from './bookkeeping-queue.js';

interface Write {
  events: NewEvent[];
  touched: { ids: number[]; at: Date; renewedIfBefore: Date } | null;
}

/** A Store that records each batch written; `failOnce` makes the next write throw. */
function fakeStore() {
  const writes: Write[] = [];
  const log: string[] = [];
  let failNext: Error | null = null;
  let gate: Promise<void> | null = null;
  const store = {
    async writeBookkeeping(batch: BookkeepingBatch): Promise<void> {
      log.push(`begin ${writes.length + 1}`);
      if (gate) await gate;
      if (failNext) {
        const error = failNext;
        failNext = null;
        log.push('rollback');
        throw error;
      }
      writes.push({ events: [...batch.events], touched: batch.validated });
      log.push(`commit ${writes.length}`);
    },
  };
  return {
    store: store as unknown as Store,
    writes,
    log,
    failOnce(error: Error) {
      failNext = error;
    },
    /** Holds transactions until the returned function is called. */
    hold(): () => void {
      let release = () => {};
      gate = new Promise((resolve) => {
        release = () => {
          gate = null;
          resolve();
        };
      });
      return release;
    },
  };
}

const actor = { tokenId: 3, ip: '203.0.113.5', via: 'native', principal: operatorPrincipal };
/** The touch a batch asks for: the licenses, their new time, and renewed only if a minute older. */
const touch = (ids: number[], at: Date) => ({ ids, at, renewedIfBefore: new Date(at.getTime() - 60_000) });
const validated = (licenseId: number | null, at: Date = NOW) =>
  newEvent('license.validated', actor, at, { licenseId, code: 'VALID' });

describe('BookkeepingQueue', () => {
  const errors: unknown[] = [];
  let fake: ReturnType<typeof fakeStore>;
  let queue: BookkeepingQueue;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    errors.length = 0;
    fake = fakeStore();
    queue = new BookkeepingQueue(fake.store, {
      intervalMs: 1000,
      maxBatch: 3,
      onError: (error) => errors.push(error),
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes nothing until the interval has passed, then the whole batch in one transaction', async () => {
    const first = validated(101, NOW);
    const second = validated(102, secondsAfter(5));
    queue.record(first, { touchLicense: true });
    queue.record(second, { touchLicense: true });
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.writes).toEqual([{ events: [first, second], touched: touch([101, 102], secondsAfter(5)) }]);
  });

  it('flushes early when the batch is full, and the interval then writes nothing more', async () => {
    const events = [validated(101), validated(102), validated(103)];
    for (const event of events) queue.record(event, { touchLicense: false });
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.writes).toEqual([{ events, touched: null }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(fake.writes).toHaveLength(1);
  });

  it('flush() writes everything queued, and an empty flush writes nothing', async () => {
    const event = validated(101);
    queue.record(event, { touchLicense: true });
    await queue.flush();
    expect(fake.writes).toEqual([{ events: [event], touched: touch([101], NOW) }]);
    await queue.flush();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fake.log).toEqual(['begin 1', 'commit 1']);
  });

  it('touches each validated license once, at the latest time of the batch', async () => {
    queue.record(validated(101, secondsAfter(1)), { touchLicense: true });
    queue.record(validated(101, secondsAfter(9)), { touchLicense: true });
    await queue.flush();
    expect(fake.writes[0]?.touched).toEqual(touch([101], secondsAfter(9)));
  });

  it('touches no license for events that do not ask for it or have none', async () => {
    queue.record(validated(101), { touchLicense: false });
    queue.record(validated(null), { touchLicense: true });
    await queue.flush();
    expect(fake.writes).toEqual([{ events: [validated(101), validated(null)], touched: null }]);
  });

  it('hands a failed write to onError without rejecting, and keeps writing later batches', async () => {
    const failure = new Error('database is locked');
    fake.failOnce(failure);
    queue.record(validated(101), { touchLicense: true });
    await expect(queue.flush()).resolves.toBeUndefined();
    expect([errors, fake.writes]).toEqual([[failure], []]);

    const later = validated(102);
    queue.record(later, { touchLicense: true });
    await queue.flush();
    expect(fake.writes).toEqual([{ events: [later], touched: touch([102], NOW) }]);
    expect(errors).toEqual([failure]);
  });

  it('writes one batch at a time, in order', async () => {
    const release = fake.hold();
    const first = validated(101);
    const second = validated(102);
    queue.record(first, { touchLicense: false });
    const firstFlush = queue.flush();
    queue.record(second, { touchLicense: false });
    const secondFlush = queue.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.log).toEqual(['begin 1']);
    release();
    await Promise.all([firstFlush, secondFlush]);
    expect(fake.log).toEqual(['begin 1', 'commit 1', 'begin 2', 'commit 2']);
    expect(fake.writes.map((w) => w.events)).toEqual([[first], [second]]);
  });

  it('a flush waits for the batches queued before it', async () => {
    const release = fake.hold();
    queue.record(validated(101), { touchLicense: false });
    void queue.flush();
    let settled = false;
    const empty = queue.flush().then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    release();
    await empty;
    expect([settled, fake.writes.length]).toEqual([true, 1]);
  });
});
