import { DomainError } from '../../core/domain-error.js';

/** The largest id of the tables with 32-bit ids (events have 64-bit ones); PostgreSQL refuses larger values. */
const MAX_ID = 2_147_483_647;

/** Cursors are the id of the last item seen, as text; anything else is a client error, not a 500. */
export function parseCursor(after: string | undefined, maxId: number = MAX_ID): number | null {
  if (after === undefined || after === '') return null;
  if (!/^\d{1,16}$/.test(after) || Number(after) > maxId)
    throw new DomainError('INVALID_INPUT', 'after must be a cursor from nextCursor', { field: 'after' });
  return Number(after);
}

export function toDate(value: string | null | undefined): Date | null | undefined {
  return value === null || value === undefined ? value : new Date(value);
}
