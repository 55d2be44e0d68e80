import type { Actor } from '../access/actor.js';
import { assertScope } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { checkDestinationUrl, type DestinationRules } from '../operations/network-destinations.js';
import type { Store } from '../ports.js';
import type { SecretBox } from '../signing/secrets.js';
import { stripUndefined } from '../strip-undefined.js';
import { newEvent } from './record-event.js';
import { type DispatcherOptions, WebhookDispatcher, type WebhookTransport } from './webhook-dispatcher.js';
import { EVENT_PATTERN, TEST_EVENT_TYPE } from './webhook-event-filter.js';
import type { DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from './webhook-ports.js';
import { generateWebhookSecret } from './webhook-signature.js';

export interface WebhookEndpointInput {
  url: string;
  description?: string | null;
  eventTypes: string[];
  productIds?: number[];
  isEnabled?: boolean;
  /** Every record an import writes, not only its summary (default false). */
  includeImportRecords?: boolean;
}

const MAX_EVENT_TYPES = 100;

function checkEventTypes(types: string[]): string[] {
  const unique = [...new Set(types.map((t) => t.trim()))];
  if (unique.length === 0 || unique.length > MAX_EVENT_TYPES)
    throw new DomainError('INVALID_INPUT', `eventTypes holds 1 to ${MAX_EVENT_TYPES} types`, {
      field: 'eventTypes',
    });
  const bad = unique.find((t) => !EVENT_PATTERN.test(t));
  if (bad !== undefined)
    throw new DomainError(
      'INVALID_INPUT',
      `"${bad}" is no event type: use e.g. license.created, license.* or *`,
      {
        field: 'eventTypes',
      },
    );
  return unique;
}

/** Webhook endpoints and their deliveries. The secret is shown once, at creation or rotation, and sealed at rest. */
export class WebhookService {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      secretBox: SecretBox;
      destinations: DestinationRules;
    },
  ) {}

  /** A literal internal address is refused here; a name is checked again on its address at each delivery. */
  private checkUrl(url: string): string {
    return checkDestinationUrl(url, this.deps.destinations, 'url');
  }

  private async checkProducts(productIds: number[]): Promise<number[]> {
    const unique = [...new Set(productIds)];
    for (const id of unique) {
      if (!(await this.deps.store.products.findById(id)))
        throw new DomainError('NOT_FOUND', `product ${id} does not exist`, { field: 'productIds' });
    }
    return unique;
  }

  async create(
    actor: Actor,
    input: WebhookEndpointInput,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    assertScope(actor.principal, 'webhooks:write');
    const url = this.checkUrl(input.url);
    const eventTypes = checkEventTypes(input.eventTypes);
    const productIds = await this.checkProducts(input.productIds ?? []);
    const secret = generateWebhookSecret();
    const now = this.deps.clock.now();
    const endpoint = await this.deps.store.transaction(async (tx) => {
      const created = await tx.webhooks.insertEndpoint({
        url,
        description: input.description ?? null,
        eventTypes,
        productIds,
        isEnabled: input.isEnabled ?? true,
        includeImportRecords: input.includeImportRecords ?? false,
        sealedSecret: this.deps.secretBox.seal(secret),
        createdAt: now,
        updatedAt: now,
      });
      await tx.events.append(newEvent('webhook.created', actor, now, {}, { webhookId: created.id }));
      return created;
    });
    return { endpoint, secret };
  }

  list(input: { after: number | null; limit: number }): Promise<WebhookEndpoint[]> {
    return this.deps.store.webhooks.listEndpoints(input);
  }

  async get(id: number): Promise<WebhookEndpoint> {
    const endpoint = await this.deps.store.webhooks.findEndpoint(id);
    if (!endpoint) throw new DomainError('NOT_FOUND', `webhook ${id} does not exist`);
    return endpoint;
  }

  async update(actor: Actor, id: number, changes: Partial<WebhookEndpointInput>): Promise<WebhookEndpoint> {
    assertScope(actor.principal, 'webhooks:write');
    const checked = stripUndefined({
      url: changes.url === undefined ? undefined : this.checkUrl(changes.url),
      description: changes.description,
      eventTypes: changes.eventTypes === undefined ? undefined : checkEventTypes(changes.eventTypes),
      productIds: changes.productIds === undefined ? undefined : await this.checkProducts(changes.productIds),
      isEnabled: changes.isEnabled,
      includeImportRecords: changes.includeImportRecords,
    });
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const endpoint = await tx.webhooks.updateEndpoint(id, { ...checked, updatedAt: now });
      if (!endpoint) throw new DomainError('NOT_FOUND', `webhook ${id} does not exist`);
      await tx.events.append(newEvent('webhook.updated', actor, now, {}, { webhookId: id }));
      return endpoint;
    });
  }

  /** A new secret; the old one stops signing at once. */
  async rotateSecret(actor: Actor, id: number): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    assertScope(actor.principal, 'webhooks:write');
    const secret = generateWebhookSecret();
    const now = this.deps.clock.now();
    const endpoint = await this.deps.store.transaction(async (tx) => {
      const updated = await tx.webhooks.updateEndpoint(id, {
        sealedSecret: this.deps.secretBox.seal(secret),
        updatedAt: now,
      });
      if (!updated) throw new DomainError('NOT_FOUND', `webhook ${id} does not exist`);
      await tx.events.append(newEvent('webhook.secret_rotated', actor, now, {}, { webhookId: id }));
      return updated;
    });
    return { endpoint, secret };
  }

  /** Deletes the endpoint with its deliveries and their log. */
  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'webhooks:write');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.webhooks.deleteEndpoint(id)))
        throw new DomainError('NOT_FOUND', `webhook ${id} does not exist`);
      await tx.events.append(newEvent('webhook.deleted', actor, now, {}, { webhookId: id }));
    });
  }

  /**
   * Queues a `webhook.test` event for this endpoint alone, through the outbox like every event: the receiver
   * gets what a real delivery looks like (signature, headers, body) and the attempt is logged like any other.
   */
  async sendTest(actor: Actor, id: number): Promise<WebhookDelivery> {
    assertScope(actor.principal, 'webhooks:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const endpoint = await tx.webhooks.findEndpoint(id);
      if (!endpoint) throw new DomainError('NOT_FOUND', `webhook ${id} does not exist`);
      if (!endpoint.isEnabled)
        throw new DomainError('CONFLICT', `webhook ${id} is disabled; enable it to send it a test event`);
      await tx.events.append(newEvent(TEST_EVENT_TYPE, actor, now, {}, { webhookId: id }));
      const [delivery] = await tx.webhooks.listDeliveries({
        endpointId: id,
        status: null,
        before: null,
        limit: 1,
      });
      if (!delivery || delivery.eventType !== TEST_EVENT_TYPE)
        throw new Error('the test event was not queued');
      return delivery;
    });
  }

  /** A dispatcher for this store; the server runs one per process. */
  createDispatcher(transport: WebhookTransport, options: DispatcherOptions = {}): WebhookDispatcher {
    const { store, clock, secretBox } = this.deps;
    return new WebhookDispatcher({ store, clock, secretBox, transport }, options);
  }

  async listDeliveries(input: {
    endpointId: number;
    status: DeliveryStatus | null;
    before: number | null;
    limit: number;
  }): Promise<WebhookDelivery[]> {
    await this.get(input.endpointId);
    return this.deps.store.webhooks.listDeliveries(input);
  }

  async getDelivery(id: number): Promise<{ delivery: WebhookDelivery; attempts: WebhookAttempt[] }> {
    const delivery = await this.deps.store.webhooks.findDelivery(id);
    if (!delivery) throw new DomainError('NOT_FOUND', `delivery ${id} does not exist`);
    return { delivery, attempts: await this.deps.store.webhooks.listAttempts(id) };
  }

  /** Sends a delivery again (a receiver that lost it, or one that failed for a day): due now, a new day of retries. */
  async redeliver(actor: Actor, id: number): Promise<WebhookDelivery> {
    assertScope(actor.principal, 'webhooks:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const delivery = await tx.webhooks.redeliver(id, now);
      if (!delivery) throw new DomainError('NOT_FOUND', `delivery ${id} does not exist`);
      await tx.events.append(
        newEvent(
          'webhook.redelivery_requested',
          actor,
          now,
          {},
          { webhookId: delivery.endpointId, deliveryId: id },
        ),
      );
      return delivery;
    });
  }
}
