import type { Kysely, Selectable } from 'kysely';
import {
  MAX_STORED_PAYLOAD_CHARS,
  type PaymentEvent,
  type PaymentEventDetail,
  type PaymentEventRepository,
  type PaymentEventStatus,
} from '../../core/commerce/commerce-ports.js';
import type { PurchaseChange, PurchaseEvent } from '../../core/commerce/purchase-event.js';
import { fromFlag, fromJson, fromMillis, fromMillisOrNull, toFlag, toJson } from '../columns.js';
import type { PaymentEventsTable } from '../schema/commerce.js';
import type { Database } from '../schema/index.js';

type Row = Selectable<PaymentEventsTable>;
type SummaryRow = Omit<Row, 'purchase' | 'payload' | 'is_payload_truncated'>;

const SUMMARY_COLUMNS = [
  'id',
  'connection_id',
  'provider_event_id',
  'provider_event_type',
  'change',
  'occurred_at',
  'received_at',
  'status',
  'outcome',
  'error',
  'license_ids',
  'handled_at',
] as const;

const toEvent = (row: SummaryRow): PaymentEvent => ({
  id: Number(row.id),
  connectionId: row.connection_id,
  providerEventId: row.provider_event_id,
  providerEventType: row.provider_event_type,
  change: row.change as PurchaseChange | null,
  occurredAt: fromMillis(row.occurred_at),
  receivedAt: fromMillis(row.received_at),
  status: row.status as PaymentEventStatus,
  outcome: row.outcome,
  error: row.error,
  licenseIds: fromJson<number[]>(row.license_ids),
  handledAt: fromMillisOrNull(row.handled_at),
});

/** The translation is stored as JSON; its one date comes back a Date. */
function fromPurchaseJson(text: string | null): PurchaseEvent | null {
  if (text === null) return null;
  const parsed = fromJson<Omit<PurchaseEvent, 'periodEndsAt'> & { periodEndsAt: string | null }>(text);
  return { ...parsed, periodEndsAt: parsed.periodEndsAt === null ? null : new Date(parsed.periodEndsAt) };
}

const toDetail = (row: Row): PaymentEventDetail => ({
  ...toEvent(row),
  purchase: fromPurchaseJson(row.purchase),
  payload: row.payload,
  isPayloadTruncated: fromFlag(row.is_payload_truncated),
});

function boundedPayload(payload: string): { payload: string; is_payload_truncated: number } {
  const isTruncated = payload.length > MAX_STORED_PAYLOAD_CHARS;
  return {
    payload: isTruncated ? payload.slice(0, MAX_STORED_PAYLOAD_CHARS) : payload,
    is_payload_truncated: toFlag(isTruncated),
  };
}

export function paymentEventRepository(db: Kysely<Database>): PaymentEventRepository {
  const findById = async (id: number) => {
    const row = await db.selectFrom('payment_events').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDetail(row) : null;
  };
  return {
    async record(input) {
      const translated = {
        provider_event_type: input.providerEventType,
        change: input.purchase?.change ?? null,
        occurred_at: input.occurredAt.getTime(),
        purchase: input.purchase === null ? null : toJson(input.purchase),
        ...boundedPayload(input.payload),
      };
      const inserted = await db
        .insertInto('payment_events')
        .values({
          connection_id: input.connectionId,
          provider_event_id: input.providerEventId,
          received_at: input.receivedAt.getTime(),
          status: 'received',
          outcome: null,
          error: null,
          license_ids: '[]',
          handled_at: null,
          ...translated,
        })
        .onConflict((oc) => oc.columns(['connection_id', 'provider_event_id']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { event: toDetail(inserted), isNew: true };
      // Not applied yet: this delivery's translation replaces the stored one.
      await db
        .updateTable('payment_events')
        .set(translated)
        .where('connection_id', '=', input.connectionId)
        .where('provider_event_id', '=', input.providerEventId)
        .where('status', 'in', ['received', 'failed'])
        .execute();
      const stored = await db
        .selectFrom('payment_events')
        .selectAll()
        .where('connection_id', '=', input.connectionId)
        .where('provider_event_id', '=', input.providerEventId)
        .executeTakeFirstOrThrow();
      return { event: toDetail(stored), isNew: false };
    },
    findById,
    async setHandling(id, handling) {
      await db
        .updateTable('payment_events')
        .set({
          status: handling.status,
          outcome: handling.outcome,
          error: handling.error,
          license_ids: toJson(handling.licenseIds),
          handled_at: handling.handledAt.getTime(),
        })
        .where('id', '=', id)
        .execute();
    },
    async listWaiting(connectionId) {
      const rows = await db
        .selectFrom('payment_events')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where('status', '=', 'waiting')
        .orderBy('occurred_at')
        .orderBy('id')
        .execute();
      return rows.map(toDetail);
    },
    async list({ connectionId, before, limit }) {
      let query = db
        .selectFrom('payment_events')
        .select(SUMMARY_COLUMNS)
        .where('connection_id', '=', connectionId)
        .orderBy('id', 'desc')
        .limit(limit);
      if (before !== null) query = query.where('id', '<', before);
      return (await query.execute()).map(toEvent);
    },
  };
}
