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

function matchesType(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
    return pattern === type;
  });
}

/**
 * Whether an endpoint wants an event: its type matches a pattern and, when the endpoint names products, the
 * product. An import's records go only to endpoints that include them; its summary goes to every endpoint
 * that would have heard one of its records (by type and product) as well as to those naming `import.*`.
 */
export function endpointWants(
  endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'productIds' | 'isEnabled'> &
    Partial<Pick<WebhookEndpoint, 'id' | 'includeImportRecords'>>,
  event: FilteredEvent,
): boolean {
  if (!endpoint.isEnabled) return false;
  if (event.type === TEST_EVENT_TYPE)
    return endpoint.id !== undefined && event.data?.webhookId === endpoint.id;
  if (isImportRecord(event) && !endpoint.includeImportRecords) return false;
  if (isImportSummary(event)) {
    const products = numbers(event.data?.productIds);
    if (endpoint.productIds.length > 0 && !products.some((id) => endpoint.productIds.includes(id)))
      return false;
    return [event.type, ...strings(event.data?.recordTypes)].some((type) =>
      matchesType(endpoint.eventTypes, type),
    );
  }
  if (
    endpoint.productIds.length > 0 &&
    (event.productId === null || !endpoint.productIds.includes(event.productId))
  )
    return false;
  return matchesType(endpoint.eventTypes, event.type);
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
