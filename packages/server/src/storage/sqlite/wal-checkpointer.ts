import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * How often the WAL is copied back into the database file: about as often as SQLite itself would under load
 * (it checkpoints every 1,000 pages, ~4 MB). Each checkpoint costs two fsyncs on the disk that durable commits
 * wait for; every 200 ms slowed activations.
 */
const CHECKPOINT_EVERY_MS = 1000;

// An eval'd worker is CommonJS and needs no built file of its own (the tests run the sources). It requires
// better-sqlite3 by the path the server itself resolved. Errors end nothing: a checkpoint that cannot run now
// (another process checkpointing, a full disk) runs at the next tick, and SQLite keeps the WAL meanwhile.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.module);
const db = new Sqlite(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * SQLite copies the WAL back into the database file (a checkpoint, two fsyncs and up to 4 MB of writes) inside
 * the commit that grows the WAL past 1,000 pages; better-sqlite3 runs that commit on the event loop, which then
 * stalls every request for the checkpoint (10–15 ms measured under validation load). The server instead turns
 * the connection's automatic checkpoints off and checkpoints from a thread of its own with its own connection,
 * every second. A PASSIVE checkpoint takes no lock writers or readers wait for, so the event loop never waits
 * for one; what a checkpoint has not copied yet is read from the WAL, as always. If the thread fails, the
 * connection checkpoints by itself again (`onFailure`).
 */
export function checkpointInBackground(path: string, onFailure: (error: Error) => void): WalCheckpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      path,
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      everyMs: CHECKPOINT_EVERY_MS,
    },
  });
  worker.unref();
  worker.on('error', onFailure);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Unreferenced while it runs, so it never holds the process open; a stop is waited for.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
