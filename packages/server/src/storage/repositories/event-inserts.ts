import type { Kysely } from 'kysely';
import type { DomainEvent } from '../../core/model.js';
import { precompiled } from '../precompiled.js';
import type { Database } from '../schema/index.js';
import { toEventRow } from './events.js';

type NewEvent = Omit<DomainEvent, 'id'>;

type EventRow = ReturnType<typeof toEventRow>;

/** The columns of an event row (events.ts maps an event to them), in the order each row's values are bound. */
const COLUMNS: ReadonlyArray<keyof EventRow> = [
  'type',
  'license_id',
  'product_id',
  'machine_id',
  'token_id',
  'code',
  'ip',
  'data',
  'created_at',
];

function valuesOf(e: NewEvent): unknown[] {
  const row = toEventRow(e);
  return COLUMNS.map((column) => row[column]);
}

export interface InsertedEvent {
  id: number | string;
  type: string;
  product_id: number | null;
  data: string;
  created_at: number | string;
}

/**
 * Statements of a few fixed sizes, each built once (precompiled.ts) and kept prepared: validation's bookkeeping
 * writes hundreds of events a second, and building one insert of 500 rows (4,500 parameters) for each batch,
 * then preparing its new text, cost more than writing the rows. A batch is written as statements of 50 rows,
 * then of 10, then single rows.
 */
const SIZES = [50, 10, 1];

function insertOf(size: number, returning: boolean) {
  return precompiled<unknown[], InsertedEvent>(size * COLUMNS.length, (db, ...args) => {
    const rows = Array.from({ length: size }, (_, row) =>
      Object.fromEntries(COLUMNS.map((column, i) => [column, args[row * COLUMNS.length + i]])),
    );
    const insert = db.insertInto('events').values(rows as never);
    return returning ? insert.returning(['id', 'type', 'product_id', 'data', 'created_at']) : insert;
  });
}

const plain = new Map(SIZES.map((size) => [size, insertOf(size, false)]));
const withIds = new Map(SIZES.map((size) => [size, insertOf(size, true)]));

/**
 * Inserts the events in order; with `returning`, answers each inserted row (the webhook outbox needs their
 * ids), else nothing is read back.
 */
export async function insertEvents(
  db: Kysely<Database>,
  events: readonly NewEvent[],
  options: { returning: boolean },
): Promise<InsertedEvent[]> {
  const inserted: InsertedEvent[] = [];
  let next = 0;
  for (const size of SIZES) {
    const statement = (options.returning ? withIds : plain).get(size);
    while (statement && events.length - next >= size) {
      const args = events.slice(next, next + size).flatMap(valuesOf);
      inserted.push(...(await statement(db, ...args)));
      next += size;
    }
  }
  return inserted;
}
