import type { ImportCounts, ImportTally } from './import-ports.js';
import type { ImportOutcome } from './imported-records.js';

const emptyTally = (): ImportTally => ({ created: 0, updated: 0, skipped: 0 });

/** Adds `n` records of a kind (products, licenses, …) to the outcome they had. */
export function countInto(counts: ImportCounts, entity: string, outcome: ImportOutcome, n = 1): void {
  counts[entity] ??= emptyTally();
  (counts[entity] as ImportTally)[outcome] += n;
}

/** The event types of the changes an import's counts record, per kind of record. */
const RECORD_CHANGES: Record<string, Partial<Record<ImportOutcome, string>>> = {
  products: { created: 'product.created' },
  policies: { created: 'policy.created' },
  customers: { created: 'customer.created', updated: 'customer.updated' },
  licenses: { created: 'license.imported', updated: 'license.updated' },
};

/**
 * The kinds of change an import made, as the event types a webhook filter names: its summary reaches the
 * endpoints that listen for them (core/events/webhook-event-filter.ts).
 */
export function importRecordTypes(counts: ImportCounts): string[] {
  const types = new Set<string>();
  for (const [entity, changes] of Object.entries(RECORD_CHANGES))
    for (const [outcome, type] of Object.entries(changes))
      if ((counts[entity]?.[outcome as ImportOutcome] ?? 0) > 0) types.add(type as string);
  return [...types].sort();
}
