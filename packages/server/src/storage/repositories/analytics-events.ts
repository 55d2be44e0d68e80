import type { Kysely } from 'kysely';
import type { AnalyticsEvent, AnalyticsEventRepository } from '../../core/events/analytics-ports.js';
import { fromMillis } from '../columns.js';
import type { AnalyticsEventsTable } from '../schema/analytics.js';
import type { Database } from '../schema/index.js';

type Row = Omit<AnalyticsEventsTable, 'id'> & { id: number | string; key: string | null };

const toEvent = (row: Row): AnalyticsEvent => ({
  id: Number(row.id),
  productId: row.product_id,
  licenseId: row.license_id,
  key: row.key,
  machineCode: row.machine_code,
  featureName: row.feature_name,
  eventName: row.event_name,
  value: Number(row.value),
  currency: row.currency,
  metadata: row.metadata,
  ip: row.ip,
  tokenId: row.token_id,
  createdAt: fromMillis(Number(row.created_at)),
});

export function analyticsEventRepository(db: Kysely<Database>): AnalyticsEventRepository {
  return {
    async insert(event) {
      const row = await db
        .insertInto('analytics_events')
        .values({
          product_id: event.productId,
          license_id: event.licenseId,
          machine_code: event.machineCode,
          feature_name: event.featureName,
          event_name: event.eventName,
          value: event.value,
          currency: event.currency,
          metadata: event.metadata,
          ip: event.ip,
          token_id: event.tokenId,
          created_at: event.createdAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const license =
        row.license_id === null
          ? undefined
          : await db.selectFrom('licenses').select('key').where('id', '=', row.license_id).executeTakeFirst();
      return toEvent({ ...row, key: license?.key ?? null });
    },
    async list(q) {
      let query = db
        .selectFrom('analytics_events as e')
        .leftJoin('licenses as l', 'l.id', 'e.license_id')
        .selectAll('e')
        .select('l.key as key')
        .orderBy('e.id', q.order)
        .limit(q.limit);
      if (q.productIds !== null) {
        if (q.productIds.length === 0) return [];
        query = query.where('e.product_id', 'in', q.productIds);
      }
      if (q.licenseId !== undefined) query = query.where('e.license_id', '=', q.licenseId);
      if (q.machineCode !== undefined) query = query.where('e.machine_code', '=', q.machineCode);
      if (q.featureName !== undefined) query = query.where('e.feature_name', '=', q.featureName);
      if (q.eventName !== undefined) query = query.where('e.event_name', '=', q.eventName);
      if (q.metadata !== undefined) query = query.where('e.metadata', '=', q.metadata);
      if (q.since !== undefined) query = query.where('e.created_at', '>=', q.since.getTime());
      if (q.afterId !== undefined) query = query.where('e.id', '>', q.afterId);
      if (q.beforeId !== undefined) query = query.where('e.id', '<', q.beforeId);
      return (await query.execute()).map((row) => toEvent(row as Row));
    },
  };
}
