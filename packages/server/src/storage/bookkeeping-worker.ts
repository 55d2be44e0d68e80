import { existsSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createStore } from './create-store.js';
import type { BookkeepingReply, BookkeepingWorkerData } from './sqlite/bookkeeping-thread.js';

/**
 * The bookkeeping thread (sqlite/bookkeeping-thread.ts): its own connection to the server's SQLite file, writing each
 * batch it is sent in one transaction, as the server's connection would, and answering when it is committed.
 */
const data = workerData as BookkeepingWorkerData;
const port = parentPort;
if (!port) throw new Error('bookkeeping-worker runs as a worker thread');
// The server's file, never a new one: a thread that cannot open it fails, and its batches go back to the server.
if (!existsSync(data.path)) throw new Error(`the database file ${data.path} is gone`);
const store = createStore({ kind: 'sqlite', path: data.path }, { durability: data.durability });

port.on('message', (message) => {
  if (message === 'stop') {
    void store.close().finally(() => port.close());
    return;
  }
  const { id, batch } = message;
  store.writeBookkeeping(batch).then(
    () => port.postMessage({ id, error: null } satisfies BookkeepingReply),
    (error: unknown) =>
      port.postMessage({
        id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies BookkeepingReply),
  );
});
