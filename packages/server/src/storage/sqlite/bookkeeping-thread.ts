import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BookkeepingBatch } from '../../core/ports.js';
import type { OpenOptions } from '../opened-database.js';

/** What the bookkeeping thread is started with (../bookkeeping-worker.ts). */
export interface BookkeepingWorkerData {
  path: string;
  durability: NonNullable<OpenOptions['durability']>;
}

export type BookkeepingReply = { id: number; error: string | null };

export interface BookkeepingThread {
  write(batch: BookkeepingBatch): Promise<void>;
  /** Waits for the batches sent, then ends the thread. */
  stop(): Promise<void>;
}

interface Sent {
  batch: BookkeepingBatch;
  resolve: () => void;
  reject: (error: Error) => void;
}

// The thread's entry composes a store of its own, so it sits beside create-store.ts, above this folder.
const WORKER_FILE = new URL('../bookkeeping-worker.js', import.meta.url);

/**
 * Validation's bookkeeping is the one write every validation makes: a batch of events and `lastValidatedAt`
 * touches every 250 ms. better-sqlite3 is synchronous, so on the server's own connection each batch took the
 * event loop for its inserts and its commit's fsync (~15% of a validation's cost under load). The server writes
 * it instead from a thread of its own, with its own connection to the same file: WAL lets the event loop read
 * meanwhile, and SQLite's write lock keeps writers one at a time across connections (a writer on the event loop
 * waits at most one batch for it, as it waited for the batch before).
 *
 * Null where the thread's built module is absent (tests run the sources): the caller writes on its own
 * connection. If the thread dies, the batches it had not acknowledged go to `fallback` (one it committed
 * without saying so is then written twice), and so does everything after.
 */
export function startBookkeepingThread(
  data: BookkeepingWorkerData,
  fallback: (batch: BookkeepingBatch) => Promise<void>,
  onFailure: (error: Error) => void,
): BookkeepingThread | null {
  if (!existsSync(fileURLToPath(WORKER_FILE))) return null;
  // A batch is a few hundred small events: a small young generation is plenty, and V8's default for a thread
  // (sized like the main thread's) added ~40 MB to the process.
  const worker = new Worker(WORKER_FILE, {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
  });
  worker.unref();
  const sent = new Map<number, Sent>();
  let nextId = 0;
  let isDead = false;
  let isStopping = false;

  const rescue = () => {
    isDead = true;
    const orphans = [...sent.values()];
    sent.clear();
    for (const { batch, resolve, reject } of orphans) fallback(batch).then(resolve, reject);
  };
  worker.on('message', ({ id, error }: BookkeepingReply) => {
    const waiting = sent.get(id);
    sent.delete(id);
    if (error === null) waiting?.resolve();
    else waiting?.reject(new Error(error));
  });
  worker.on('error', (error) => {
    onFailure(error);
    rescue();
  });
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      if (!isStopping) rescue();
      resolve();
    }),
  );

  const inFlight = new Set<Promise<void>>();
  return {
    write(batch) {
      if (isDead) return fallback(batch);
      const written = new Promise<void>((resolve, reject) => {
        const id = nextId++;
        sent.set(id, { batch, resolve, reject });
        worker.postMessage({ id, batch });
      });
      inFlight.add(written);
      const settled = () => inFlight.delete(written);
      written.then(settled, settled);
      return written;
    },
    async stop() {
      await Promise.allSettled([...inFlight]);
      if (isDead) return;
      isStopping = true;
      // Unreferenced while it runs, so it never holds the process open; a stop is waited for.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
