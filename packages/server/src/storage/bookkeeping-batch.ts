import type { BookkeepingBatch, Repositories } from '../core/ports.js';

/** What a batch of bookkeeping writes, wherever it is written (create-store.ts, the SQLite bookkeeping thread). */
export async function writeBookkeepingBatch(tx: Repositories, batch: BookkeepingBatch): Promise<void> {
  await tx.events.appendMany(batch.events);
  const { validated } = batch;
  if (validated) await tx.licenses.touchValidated(validated.ids, validated.at, validated.renewedIfBefore);
}
