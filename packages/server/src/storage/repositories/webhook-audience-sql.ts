import { type Expression, type SqlBool, sql } from 'kysely';
import { patternsMatching, type WebhookAudience } from '../../core/events/webhook-event-filter.js';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * core's endpointHears (core/events/webhook-event-filter.ts) over the webhook_endpoints table, for a write that
 * queues an event's deliveries in the statement that records the event: the endpoints that hear its audience.
 * Columns are named by the table (`webhook_endpoints`, no alias), since such a query reads the event's row
 * too. storage/webhook-audience-filter.test.ts runs a table of endpoints and events through both, on both
 * databases, and requires the same endpoints.
 */

const column = (name: string) => `webhook_endpoints.${name}`;

export function endpointsHearing(audience: WebhookAudience, adapter: DatabaseAdapter): Expression<SqlBool> {
  const isEnabled = sql<SqlBool>`${sql.ref(column('is_enabled'))} = 1`;
  if (audience.kind === 'endpoint') {
    return audience.endpointId === null
      ? sql<SqlBool>`1 = 0`
      : sql<SqlBool>`(${isEnabled} and ${sql.ref(column('id'))} = ${audience.endpointId})`;
  }
  const terms: Expression<SqlBool>[] = [isEnabled];
  if (audience.isImportRecord) terms.push(sql<SqlBool>`${sql.ref(column('include_import_records'))} = 1`);
  // An endpoint that names no products hears every product, and events of none.
  const namesNoProduct = sql<SqlBool>`${adapter.jsonArrayLength(column('product_ids'))} = 0`;
  terms.push(
    audience.productIds.length === 0
      ? namesNoProduct
      : sql<SqlBool>`(${namesNoProduct} or ${adapter.jsonArrayHoldsAny(column('product_ids'), audience.productIds.map(String))})`,
  );
  // The patterns that match a type are few (patternsMatching): the endpoint must list one of them.
  const patterns = [...new Set(audience.types.flatMap(patternsMatching))];
  terms.push(
    patterns.length === 0 ? sql<SqlBool>`1 = 0` : adapter.jsonArrayHoldsAny(column('event_types'), patterns),
  );
  return sql<SqlBool>`(${sql.join(terms, sql` and `)})`;
}
