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

/** An audience as SQL matches it: the values it binds, and a shape that fixes the statement's text. */
export type AudienceTerms =
  | { kind: 'nobody' }
  | { kind: 'endpoint'; endpointId: number }
  | {
      kind: 'subscribers';
      /** As text, as the JSON arrays' elements are compared. */
      productIds: string[];
      /** Every pattern that matches one of the audience's types (patternsMatching). */
      patterns: string[];
      isImportRecord: boolean;
    };

export function audienceTerms(audience: WebhookAudience): AudienceTerms {
  if (audience.kind === 'endpoint') {
    return audience.endpointId === null
      ? { kind: 'nobody' }
      : { kind: 'endpoint', endpointId: audience.endpointId };
  }
  return {
    kind: 'subscribers',
    productIds: audience.productIds.map(String),
    patterns: [...new Set(audience.types.flatMap(patternsMatching))],
    isImportRecord: audience.isImportRecord,
  };
}

/** The values the terms bind, in the order endpointsHearing binds them. */
export function boundValues(terms: AudienceTerms): unknown[] {
  if (terms.kind === 'nobody') return [];
  if (terms.kind === 'endpoint') return [terms.endpointId];
  return [...terms.productIds, ...terms.patterns];
}

/** Terms of the same shape binding `values` instead (a statement compiled once per shape takes new values). */
export function withBoundValues(terms: AudienceTerms, values: unknown[]): AudienceTerms {
  if (terms.kind === 'nobody') return terms;
  if (terms.kind === 'endpoint') return { ...terms, endpointId: values[0] as number };
  const products = terms.productIds.length;
  return {
    ...terms,
    productIds: values.slice(0, products) as string[],
    patterns: values.slice(products, products + terms.patterns.length) as string[],
  };
}

/** What tells statements of different texts apart: everything in the terms but the values they bind. */
export function shapeOf(terms: AudienceTerms): string {
  if (terms.kind !== 'subscribers') return terms.kind;
  return `${terms.productIds.length}:${terms.patterns.length}:${terms.isImportRecord}`;
}

const column = (name: string) => `webhook_endpoints.${name}`;

export function endpointsHearing(terms: AudienceTerms, adapter: DatabaseAdapter): Expression<SqlBool> {
  const isEnabled = sql<SqlBool>`${sql.ref(column('is_enabled'))} = 1`;
  if (terms.kind === 'nobody') return sql<SqlBool>`1 = 0`;
  if (terms.kind === 'endpoint') {
    return sql<SqlBool>`(${isEnabled} and ${sql.ref(column('id'))} = ${terms.endpointId})`;
  }
  const conditions: Expression<SqlBool>[] = [isEnabled];
  if (terms.isImportRecord) conditions.push(sql<SqlBool>`${sql.ref(column('include_import_records'))} = 1`);
  // An endpoint that names no products hears every product, and events of none.
  const namesNoProduct = sql<SqlBool>`${adapter.jsonArrayLength(column('product_ids'))} = 0`;
  conditions.push(
    terms.productIds.length === 0
      ? namesNoProduct
      : sql<SqlBool>`(${namesNoProduct} or ${adapter.jsonArrayHoldsAny(column('product_ids'), terms.productIds)})`,
  );
  // The patterns that match a type are few (patternsMatching): the endpoint must list one of them.
  conditions.push(
    terms.patterns.length === 0
      ? sql<SqlBool>`1 = 0`
      : adapter.jsonArrayHoldsAny(column('event_types'), terms.patterns),
  );
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}
