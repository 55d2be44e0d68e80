import type { Kysely, Selectable } from 'kysely';
import type { EventRepository } from '../../core/events/event-ports.js';
import type { DomainEvent } from '../../core/model.js';
import { fromJson, fromMillis } from '../columns.js';
import type { EventsTable } from '../schema/events.js';
import type { Database } from '../schema/index.js';

const toEvent = (row: Selectable<EventsTable>): DomainEvent => ({
  id: Number(row.id),
  type: row.type,
  licenseId: row.license_id,
  productId: row.product_id,
  machineId: row.machine_id,
  tokenId: row.token_id,
  code: row.code,
  ip: row.ip,
  data: fromJson<Record<string, unknown>>(row.data),
  createdAt: fromMillis(row.created_at),
});

export const toEventRow = (e: Omit<DomainEvent, 'id'>) => ({
  type: e.type,
  license_id: e.licenseId,
  product_id: e.productId,
  machine_id: e.machineId,
  token_id: e.tokenId,
  code: e.code,
  ip: e.ip,
  data: JSON.stringify(e.data),
  created_at: e.createdAt.getTime(),
});

/**
 * Reading the event log. Appending is the webhook outbox's (webhook-outbox.ts, through event-inserts.ts): an
 * event is never written without queuing its deliveries, so this side has no writes.
 */
export type EventLogReads = Pick<EventRepository, 'list'>;

export function eventRepository(db: Kysely<Database>): EventLogReads {
  return {
    async list(filter, { before, limit }) {
      let query = db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(limit);
      if (before !== null) query = query.where('id', '<', before);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.licenseId !== undefined) query = query.where('license_id', '=', filter.licenseId);
      if (filter.productId !== undefined) query = query.where('product_id', '=', filter.productId);
      if (filter.machineId !== undefined) query = query.where('machine_id', '=', filter.machineId);
      if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since.getTime());
      if (filter.until !== undefined) query = query.where('created_at', '<', filter.until.getTime());
      return (await query.execute()).map(toEvent);
    },
  };
}
