import type { Kysely, Selectable } from 'kysely';
import { pickInTurn } from '../../core/events/webhook-fair-share.js';
import type {
  ClaimedDelivery,
  DeliveryStatus,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookRepository,
} from '../../core/events/webhook-ports.js';
import { columnsFor, fromFlag, fromJson, fromMillis, fromMillisOrNull, toFlag, toJson } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type {
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from '../schema/events.js';
import type { Database } from '../schema/index.js';

const toEndpoint = (row: Selectable<WebhookEndpointsTable>): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  description: row.description,
  eventTypes: fromJson<string[]>(row.event_types),
  productIds: fromJson<number[]>(row.product_ids),
  isEnabled: fromFlag(row.is_enabled),
  includeImportRecords: fromFlag(row.include_import_records),
  createdAt: fromMillis(row.created_at),
  updatedAt: fromMillis(row.updated_at),
});

const toDelivery = (row: Selectable<WebhookDeliveriesTable>): WebhookDelivery => ({
  id: Number(row.id),
  endpointId: row.endpoint_id,
  eventId: Number(row.event_id),
  eventType: row.event_type,
  status: row.status as DeliveryStatus,
  attemptCount: row.attempt_count,
  nextAttemptAt: fromMillis(row.next_attempt_at),
  windowStartedAt: fromMillis(row.window_started_at),
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  deliveredAt: fromMillisOrNull(row.delivered_at),
  createdAt: fromMillis(row.created_at),
});

const toAttempt = (row: Selectable<WebhookAttemptsTable>): WebhookAttempt => ({
  id: Number(row.id),
  deliveryId: Number(row.delivery_id),
  attemptedAt: fromMillis(row.attempted_at),
  statusCode: row.status_code,
  error: row.error,
  responseExcerpt: row.response_excerpt,
  durationMs: row.duration_ms,
});

type EndpointChanges = Parameters<WebhookRepository['updateEndpoint']>[1];

export function webhookRepository(db: Kysely<Database>, adapter: DatabaseAdapter): WebhookRepository {
  return {
    async insertEndpoint(input) {
      const row = await db
        .insertInto('webhook_endpoints')
        .values({
          url: input.url,
          description: input.description,
          event_types: toJson(input.eventTypes),
          product_ids: toJson(input.productIds),
          is_enabled: toFlag(input.isEnabled),
          include_import_records: toFlag(input.includeImportRecords ?? false),
          sealed_secret: input.sealedSecret,
          created_at: input.createdAt.getTime(),
          updated_at: input.updatedAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEndpoint(row);
    },
    async findEndpoint(id) {
      const row = await db
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toEndpoint(row) : null;
    },
    async listEndpoints({ after, limit }) {
      let query = db.selectFrom('webhook_endpoints').selectAll().orderBy('id').limit(limit);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(toEndpoint);
    },
    async updateEndpoint(id, changes) {
      const row = columnsFor<EndpointChanges, Selectable<WebhookEndpointsTable>>(changes, {
        url: (v) => ({ url: v }),
        description: (v) => ({ description: v }),
        eventTypes: (v) => ({ event_types: toJson(v) }),
        productIds: (v) => ({ product_ids: toJson(v) }),
        isEnabled: (v) => ({ is_enabled: toFlag(v) }),
        includeImportRecords: (v) => ({ include_import_records: toFlag(v) }),
        sealedSecret: (v) => ({ sealed_secret: v }),
        updatedAt: (v) => ({ updated_at: v.getTime() }),
      });
      const { id: _id, ...values } = row;
      const updated = await db
        .updateTable('webhook_endpoints')
        .set(values)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return updated ? toEndpoint(updated) : null;
    },
    async deleteEndpoint(id) {
      const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async listDeliveries({ endpointId, status, before, limit }) {
      let query = db.selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').limit(limit);
      if (endpointId !== null) query = query.where('endpoint_id', '=', endpointId);
      if (status !== null) query = query.where('status', '=', status);
      if (before !== null) query = query.where('id', '<', before);
      return (await query.execute()).map(toDelivery);
    },
    async findDelivery(id) {
      const row = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDelivery(row) : null;
    },
    async listAttempts(deliveryId) {
      const rows = await db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where('delivery_id', '=', deliveryId)
        .orderBy('id')
        .execute();
      return rows.map(toAttempt);
    },
    async claimDue({ now, owner, leaseUntil, limit, perEndpoint, skipEndpointIds = [] }) {
      if (limit <= 0) return [];
      const at = now.getTime();
      const full = perEndpoint
        ? [...perEndpoint.held].filter(([, n]) => n >= perEndpoint.max).map(([id]) => id)
        : [];
      const excluded = [...new Set([...skipEndpointIds, ...full])];
      const candidates = db
        .selectFrom('webhook_deliveries')
        .select(['id', 'endpoint_id'])
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', at)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
        .$if(excluded.length > 0, (q) => q.where('endpoint_id', 'not in', excluded))
        .orderBy('next_attempt_at')
        .orderBy('id')
        // A wider look than the claim, so endpoints past the first one's backlog get their turn.
        .limit(perEndpoint ? Math.min(limit * 8, 1000) : limit);
      // Rows another dispatcher is claiming right now are skipped, not waited for.
      const due = (await adapter.lockSkippingLocked(candidates).execute()).map((row) => ({
        id: Number(row.id),
        endpointId: Number(row.endpoint_id),
      }));
      const ids = (perEndpoint ? pickInTurn(due, limit, perEndpoint) : due).map((d) => d.id);
      if (ids.length === 0) return [];
      await db
        .updateTable('webhook_deliveries')
        .set({ lease_owner: owner, lease_until: leaseUntil.getTime() })
        .where('id', 'in', ids)
        .execute();
      const rows = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
        .leftJoin('events as ev', 'ev.id', 'd.event_id')
        .selectAll('d')
        .select([
          'e.url as endpoint_url',
          'e.sealed_secret as endpoint_secret',
          'e.is_enabled as endpoint_enabled',
          'ev.id as ev_id',
          'ev.type as ev_type',
          'ev.license_id as ev_license_id',
          'ev.product_id as ev_product_id',
          'ev.machine_id as ev_machine_id',
          'ev.token_id as ev_token_id',
          'ev.code as ev_code',
          'ev.ip as ev_ip',
          'ev.data as ev_data',
          'ev.created_at as ev_created_at',
        ])
        .where('d.id', 'in', ids)
        .orderBy('d.id')
        .execute();
      return rows.map(
        (row): ClaimedDelivery => ({
          delivery: toDelivery(row),
          endpoint: {
            id: row.endpoint_id,
            url: row.endpoint_url,
            sealedSecret: row.endpoint_secret,
            isEnabled: fromFlag(row.endpoint_enabled),
          },
          event:
            row.ev_id === null
              ? null
              : {
                  id: Number(row.ev_id),
                  type: row.ev_type as string,
                  licenseId: row.ev_license_id,
                  productId: row.ev_product_id,
                  machineId: row.ev_machine_id,
                  tokenId: row.ev_token_id,
                  code: row.ev_code,
                  ip: row.ev_ip,
                  data: fromJson<Record<string, unknown>>(row.ev_data as string),
                  createdAt: fromMillis(row.ev_created_at as number),
                },
        }),
      );
    },
    async completeAttempt({ deliveryId, owner, attempt, outcome }) {
      const updated = await db
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          status: outcome.status,
          attempt_count: eb('attempt_count', '+', 1),
          next_attempt_at: outcome.nextAttemptAt.getTime(),
          last_status_code: outcome.lastStatusCode,
          last_error: outcome.lastError,
          delivered_at: outcome.deliveredAt?.getTime() ?? null,
          lease_owner: null,
          lease_until: null,
        }))
        .where('id', '=', deliveryId)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await db
        .insertInto('webhook_attempts')
        .values({
          delivery_id: deliveryId,
          attempted_at: attempt.attemptedAt.getTime(),
          status_code: attempt.statusCode,
          error: attempt.error,
          response_excerpt: attempt.responseExcerpt,
          duration_ms: attempt.durationMs,
        })
        .execute();
      return true;
    },
    async redeliver(id, now) {
      const row = await db
        .updateTable('webhook_deliveries')
        .set({
          status: 'pending',
          next_attempt_at: now.getTime(),
          window_started_at: now.getTime(),
          lease_owner: null,
          lease_until: null,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toDelivery(row) : null;
    },
  };
}
