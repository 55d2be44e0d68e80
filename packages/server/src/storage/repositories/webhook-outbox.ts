import type { Kysely } from 'kysely';
import type { EventRepository } from '../../core/events/event-ports.js';
import { endpointWants } from '../../core/events/webhook-event-filter.js';
import type { DomainEvent } from '../../core/model.js';
import { fromFlag, fromJson } from '../columns.js';
import type { Database } from '../schema/index.js';
import { insertEvents } from './event-inserts.js';
import type { EventLogReads } from './events.js';

const CHUNK = 500;

/**
 * The event log with the webhook outbox: appending events also queues a delivery for every enabled endpoint
 * that wants them, in the same transaction (one is opened when the caller has none), so an event is never
 * recorded without its deliveries nor a delivery queued for an event that rolled back.
 */
export function withWebhookOutbox(db: Kysely<Database>, events: EventLogReads): EventRepository {
  async function appendAll(trx: Kysely<Database>, batch: Omit<DomainEvent, 'id'>[]): Promise<void> {
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .select(['id', 'event_types', 'product_ids', 'is_enabled', 'include_import_records'])
      .where('is_enabled', '=', 1)
      .execute();
    // Without an endpoint nothing is read back: the common case of validation's bookkeeping.
    const inserted = await insertEvents(trx, batch, { returning: endpoints.length > 0 });
    if (endpoints.length === 0) return;
    const wanted = endpoints.map((e) => ({
      id: e.id,
      eventTypes: fromJson<string[]>(e.event_types),
      productIds: fromJson<number[]>(e.product_ids),
      isEnabled: fromFlag(e.is_enabled),
      includeImportRecords: fromFlag(e.include_import_records),
    }));
    const deliveries = inserted.flatMap((event) => {
      // `data` tells an import's records from other events (its `via`) and holds an import summary's reach.
      const filtered = {
        type: event.type,
        productId: event.product_id,
        data: fromJson<Record<string, unknown>>(event.data),
      };
      return wanted
        .filter((endpoint) => endpointWants(endpoint, filtered))
        .map((endpoint) => ({
          endpoint_id: endpoint.id,
          event_id: Number(event.id),
          event_type: event.type,
          status: 'pending',
          attempt_count: 0,
          next_attempt_at: Number(event.created_at),
          window_started_at: Number(event.created_at),
          created_at: Number(event.created_at),
        }));
    });
    for (let j = 0; j < deliveries.length; j += CHUNK)
      await trx
        .insertInto('webhook_deliveries')
        .values(deliveries.slice(j, j + CHUNK))
        .execute();
  }
  const append = async (batch: Omit<DomainEvent, 'id'>[]) => {
    if (batch.length === 0) return;
    if (db.isTransaction) await appendAll(db, batch);
    else await db.transaction().execute((trx) => appendAll(trx, batch));
  };
  return {
    append: (event) => append([event]),
    appendMany: (batch) => append(batch),
    list: (filter, page) => events.list(filter, page),
  };
}
