import { Worker } from 'node:worker_threads';

/** Milliseconds on the monotonic clock, with a fraction; the same clock in every thread. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * The worker: sleeps on Atomics.wait, whose timeout may be a fraction of a millisecond, until the instant the
 * main thread set, then posts a message and waits for the next instant. Any change of the instant (the
 * generation counter moves) wakes it at once.
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const control = new Int32Array(workerData, 0, 2);
const due = new Float64Array(workerData, 8, 1);
const now = () => Number(process.hrtime.bigint()) / 1e6;
for (;;) {
  const generation = Atomics.load(control, 0);
  if (Atomics.load(control, 1) === 1) break;
  const at = due[0];
  if (at === 0) { Atomics.wait(control, 0, generation); continue; }
  const wait = at - now();
  if (wait > 0) { Atomics.wait(control, 0, generation, wait); continue; }
  parentPort.postMessage(generation);
  Atomics.wait(control, 0, generation);
}
`;

/**
 * Calls `onDue` on this thread at the instant given to `set`, within tens of microseconds. Node's own timers
 * count whole milliseconds from a clock read once per turn of the event loop, so a 1 ms setTimeout fires
 * anywhere from almost 0 to 2 ms later: too coarse to add one millisecond. After each call of `onDue` the
 * owner must `set` the next instant or `clear`.
 */
export class PreciseTimer {
  private readonly shared = new SharedArrayBuffer(16);
  private readonly control = new Int32Array(this.shared, 0, 2);
  private readonly due = new Float64Array(this.shared, 8, 1);
  private readonly worker: Worker;

  constructor(onDue: () => void) {
    this.worker = new Worker(WORKER, { eval: true, workerData: this.shared });
    this.worker.on('message', onDue);
    this.worker.unref();
  }

  /** Fires once at `atMs` (on nowMs's clock), instead of any instant set before. */
  set(atMs: number): void {
    this.due[0] = atMs;
    Atomics.add(this.control, 0, 1);
    Atomics.notify(this.control, 0);
  }

  clear(): void {
    this.set(0);
  }

  async close(): Promise<void> {
    Atomics.store(this.control, 1, 1);
    this.clear();
    await this.worker.terminate();
  }
}
