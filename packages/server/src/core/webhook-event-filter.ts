import type { DomainEvent } from './model.js';
import type { WebhookEndpoint } from './webhook-ports.js';

/** `*`, `group.*` or an exact type such as `license.created`. */
export const EVENT_PATTERN = /^(\*|[a-z][a-z_]*\.(\*|[a-z][a-z_.]*))$/;

/** Whether an endpoint wants an event: its type matches a pattern and, when it names products, the product. */
export function endpointWants(
  endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'productIds' | 'isEnabled'>,
  event: Pick<DomainEvent, 'type' | 'productId'>,
): boolean {
  if (!endpoint.isEnabled) return false;
  if (
    endpoint.productIds.length > 0 &&
    (event.productId === null || !endpoint.productIds.includes(event.productId))
  )
    return false;
  return endpoint.eventTypes.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('.*')) return event.type.startsWith(pattern.slice(0, -1));
    return pattern === event.type;
  });
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
  'webhook.test',
] as const;
