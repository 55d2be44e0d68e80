import type { DomainEvent } from '../model.js';
import type { WebhookEndpoint } from './webhook-ports.js';

/** `*`, `group.*` or an exact type such as `license.created`. */
export const EVENT_PATTERN = /^(\*|[a-z][a-z_]*\.(\*|[a-z][a-z_.]*))$/;

/**
 * What POST /v1/webhooks/{id}/actions/test sends: it goes to the one endpoint its `data.webhookId` names,
 * whatever that endpoint listens for, and to no other.
 */
export const TEST_EVENT_TYPE = 'webhook.test';

/** The event an import ends with: counts, status, and which kinds of records it wrote. */
export const IMPORT_SUMMARY_TYPES = ['import.completed', 'import.failed'] as const;

type FilteredEvent = Pick<DomainEvent, 'type' | 'productId'> & { data?: Record<string, unknown> };

const isImportSummary = (event: FilteredEvent) =>
  (IMPORT_SUMMARY_TYPES as readonly string[]).includes(event.type);

/**
 * An event an import wrote for one record (license.imported, customer.created, … recorded `via` `import:…`):
 * a migration writes thousands, so endpoints hear them only when they ask (`includeImportRecords`).
 */
export function isImportRecord(event: FilteredEvent): boolean {
  const via = event.data?.via;
  return typeof via === 'string' && via.startsWith('import:') && !isImportSummary(event);
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const numbers = (value: unknown): number[] =>
  Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];

/**
 * Every pattern that matches an event type: `*`, the type itself, and `group.*` for each group the type lies in
 * (`a.b.c` lies in `a.` and `a.b.`). A finite list, so SQL can ask whether an endpoint lists one of them.
 */
export function patternsMatching(type: string): string[] {
  const patterns = ['*', type];
  for (let dot = type.indexOf('.'); dot !== -1; dot = type.indexOf('.', dot + 1)) {
    patterns.push(`${type.slice(0, dot + 1)}*`);
  }
  return patterns;
}

const matchesType = (eventTypes: readonly string[], type: string) =>
  patternsMatching(type).some((pattern) => eventTypes.includes(pattern));

/**
 * Who hears an event, in the terms an endpoint is matched by (endpointHears): everything about the event that
 * decides it, worked out once. Storage matches it in SQL where deliveries are written in the statement that
 * records the event (storage/repositories/webhook-audience-sql.ts; its contract test holds the two together).
 */
export type WebhookAudience =
  /** A webhook test: the one endpoint it names (none when it names no endpoint), whatever it listens for. */
  | { kind: 'endpoint'; endpointId: number | null }
  | {
      kind: 'subscribers';
      /** An endpoint hears it when one of its patterns matches one of these types. */
      types: string[];
      /** An endpoint that names products hears it only when it names one of these. */
      productIds: number[];
      /** One record of an import: only endpoints that include import records hear it. */
      isImportRecord: boolean;
    };

export function webhookAudience(event: FilteredEvent): WebhookAudience {
  if (event.type === TEST_EVENT_TYPE) {
    const named = event.data?.webhookId;
    return { kind: 'endpoint', endpointId: typeof named === 'number' ? named : null };
  }
  // An import's summary reaches every endpoint that would have heard one of its records (by type and product).
  if (isImportSummary(event)) {
    return {
      kind: 'subscribers',
      types: [event.type, ...strings(event.data?.recordTypes)],
      productIds: numbers(event.data?.productIds),
      isImportRecord: false,
    };
  }
  return {
    kind: 'subscribers',
    types: [event.type],
    productIds: event.productId === null ? [] : [event.productId],
    isImportRecord: isImportRecord(event),
  };
}

/**
 * Whether an enabled endpoint hears an audience: its type patterns match one of the types and, when the
 * endpoint names products, it names one of the audience's; an import's records only when it includes them.
 */
export function endpointHears(
  endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'productIds' | 'isEnabled'> &
    Partial<Pick<WebhookEndpoint, 'id' | 'includeImportRecords'>>,
  audience: WebhookAudience,
): boolean {
  if (!endpoint.isEnabled) return false;
  if (audience.kind === 'endpoint') return endpoint.id !== undefined && audience.endpointId === endpoint.id;
  if (audience.isImportRecord && !endpoint.includeImportRecords) return false;
  if (endpoint.productIds.length > 0 && !audience.productIds.some((id) => endpoint.productIds.includes(id)))
    return false;
  return audience.types.some((type) => matchesType(endpoint.eventTypes, type));
}

/**
 * Whether an endpoint wants an event: its type matches a pattern and, when the endpoint names products, the
 * product. An import's records go only to endpoints that include them; its summary goes to every endpoint
 * that would have heard one of its records (by type and product) as well as to those naming `import.*`.
 */
export function endpointWants(endpoint: Parameters<typeof endpointHears>[0], event: FilteredEvent): boolean {
  return endpointHears(endpoint, webhookAudience(event));
}

/**
 * The events a vendor's systems are most likely to want, for documentation and the dashboard; endpoints may
 * name any type the event log records.
 */
export const WEBHOOK_EVENT_TYPES = [
  'license.created',
  'license.imported',
  'license.updated',
  'license.extended',
  'license.suspended',
  'license.reinstated',
  'license.revoked',
  'license.deleted',
  'license.reset',
  'license.expiring_soon',
  'license.expired',
  'license.validation_failed',
  'machine.activated',
  'machine.activation_refused',
  'machine.deactivated',
  'machine.lease_expired',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'import.completed',
  'import.failed',
  'webhook.test',
] as const;
