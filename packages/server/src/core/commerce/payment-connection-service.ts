import type { Actor } from '../access/actor.js';
import { assertScope, assertUnrestricted, type Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Repositories, Store } from '../ports.js';
import type { SecretBox } from '../signing/secrets.js';
import { stripUndefined } from '../strip-undefined.js';
import {
  type ItemMapping,
  type PaymentConnection,
  type PaymentEvent,
  type PaymentEventDetail,
  REFUND_ACTIONS,
  type RefundAction,
} from './commerce-ports.js';
import { PAYMENT_PROVIDERS, type PaymentProvider } from './purchase-event.js';

export interface PaymentConnectionInput {
  provider: PaymentProvider;
  name: string;
  /**
   * The signing secret the provider shows for the webhook endpoint (`whsec_…`, Paddle's, Lemon Squeezy's).
   * Optional at creation: the provider shows it only once the endpoint exists at the connection's URL, so the
   * vendor connects first and sets it later; until then deliveries are refused and the provider retries them.
   */
  webhookSecret?: string | null;
  /** Stripe: a restricted key that may read checkout sessions' line items. */
  apiKey?: string | null;
  /** Default suspend: a chargeback won later can be undone; a revocation cannot. */
  refundAction?: RefundAction;
  mappings?: ItemMapping[];
}

export type PaymentConnectionChanges = Partial<Omit<PaymentConnectionInput, 'provider' | 'webhookSecret'>> & {
  /** Sets or replaces the secret; null is refused: a secret once set is replaced, never removed. */
  webhookSecret?: string;
};

/** What the webhook receiver needs to verify a delivery, opened: for that purpose only. */
export interface OpenedConnectionSecrets {
  provider: PaymentProvider;
  /** Null until the vendor sets it: the receiver then cannot verify, and refuses the delivery. */
  webhookSecret: string | null;
  apiKey: string | null;
}

const MAX_MAPPINGS = 500;
const MAX_SEATS_PER_UNIT = 100_000;

/** The last characters of a secret, enough to tell two apart and too few to matter. */
export function secretHint(secret: string): string {
  return `…${secret.slice(-4)}`;
}

function checkSecret(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed.length < 8 || trimmed.length > 500)
    throw new DomainError('INVALID_INPUT', `${field} holds 8 to 500 characters`, { field });
  return trimmed;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 200)
    throw new DomainError('INVALID_INPUT', 'name holds 1 to 200 characters', { field: 'name' });
  return trimmed;
}

/** Mappings, checked: one per provider item, each to a policy that exists, with a sane seat count. */
async function checkMappings(tx: Repositories, mappings: ItemMapping[]): Promise<ItemMapping[]> {
  if (mappings.length > MAX_MAPPINGS)
    throw new DomainError('INVALID_INPUT', `a connection maps at most ${MAX_MAPPINGS} items`, {
      field: 'mappings',
    });
  const seen = new Set<string>();
  const checked: ItemMapping[] = [];
  for (const mapping of mappings) {
    const providerItemId = mapping.providerItemId.trim();
    if (providerItemId === '' || providerItemId.length > 200)
      throw new DomainError('INVALID_INPUT', 'providerItemId holds 1 to 200 characters', {
        field: 'mappings',
      });
    if (seen.has(providerItemId))
      throw new DomainError('INVALID_INPUT', `${providerItemId} is mapped twice`, { field: 'mappings' });
    seen.add(providerItemId);
    if (
      !Number.isInteger(mapping.seatsPerUnit) ||
      mapping.seatsPerUnit < 1 ||
      mapping.seatsPerUnit > MAX_SEATS_PER_UNIT
    )
      throw new DomainError('INVALID_INPUT', `seatsPerUnit is 1 to ${MAX_SEATS_PER_UNIT}`, {
        field: 'mappings',
      });
    if (!(await tx.policies.findById(mapping.policyId)))
      throw new DomainError('NOT_FOUND', `policy ${mapping.policyId} does not exist`, { field: 'mappings' });
    checked.push({ providerItemId, policyId: mapping.policyId, seatsPerUnit: mapping.seatsPerUnit });
  }
  return checked;
}

/**
 * A vendor's connections to payment providers. Secrets are sealed at rest and never answered: a connection
 * says only whether an API key is set and the last characters of each secret. Connections span products (a
 * mapping may name any policy), so only an unlocked credential reaches them.
 */
export class PaymentConnectionService {
  constructor(private readonly deps: { store: Store; clock: Clock; secretBox: SecretBox }) {}

  async create(actor: Actor, input: PaymentConnectionInput): Promise<PaymentConnection> {
    assertScope(actor.principal, 'payments:write');
    assertUnrestricted(actor.principal);
    if (!PAYMENT_PROVIDERS.includes(input.provider))
      throw new DomainError('INVALID_INPUT', `provider is one of ${PAYMENT_PROVIDERS.join(', ')}`, {
        field: 'provider',
      });
    const refundAction = checkRefundAction(input.refundAction ?? 'suspend');
    const name = checkName(input.name);
    const webhookSecret =
      input.webhookSecret == null ? null : checkSecret(input.webhookSecret, 'webhookSecret');
    const apiKey = input.apiKey == null ? null : checkSecret(input.apiKey, 'apiKey');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const connection = await tx.paymentConnections.insert({
        provider: input.provider,
        name,
        refundAction,
        sealedWebhookSecret: webhookSecret === null ? null : this.deps.secretBox.seal(webhookSecret),
        webhookSecretHint: webhookSecret === null ? null : secretHint(webhookSecret),
        sealedApiKey: apiKey === null ? null : this.deps.secretBox.seal(apiKey),
        apiKeyHint: apiKey === null ? null : secretHint(apiKey),
        mappings: await checkMappings(tx, input.mappings ?? []),
        createdAt: now,
        updatedAt: now,
      });
      await tx.events.append(
        newEvent('payment_connection.created', actor, now, {}, { paymentConnectionId: connection.id }),
      );
      return connection;
    });
  }

  async update(actor: Actor, id: number, changes: PaymentConnectionChanges): Promise<PaymentConnection> {
    assertScope(actor.principal, 'payments:write');
    assertUnrestricted(actor.principal);
    // Removing the secret would only make every delivery fail: a rotated secret is replaced, not cleared.
    if ((changes.webhookSecret as string | null | undefined) === null)
      throw new DomainError(
        'INVALID_INPUT',
        'webhookSecret cannot be removed: a webhook secret once set is replaced with a new one',
        { field: 'webhookSecret' },
      );
    const webhookSecret =
      changes.webhookSecret === undefined ? undefined : checkSecret(changes.webhookSecret, 'webhookSecret');
    const apiKey =
      changes.apiKey === undefined || changes.apiKey === null
        ? changes.apiKey
        : checkSecret(changes.apiKey, 'apiKey');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const updated = await tx.paymentConnections.update(
        id,
        stripUndefined({
          name: changes.name === undefined ? undefined : checkName(changes.name),
          refundAction:
            changes.refundAction === undefined ? undefined : checkRefundAction(changes.refundAction),
          sealedWebhookSecret:
            webhookSecret === undefined ? undefined : this.deps.secretBox.seal(webhookSecret),
          webhookSecretHint: webhookSecret === undefined ? undefined : secretHint(webhookSecret),
          sealedApiKey:
            apiKey === undefined ? undefined : apiKey === null ? null : this.deps.secretBox.seal(apiKey),
          apiKeyHint: apiKey === undefined ? undefined : apiKey === null ? null : secretHint(apiKey),
          mappings: changes.mappings === undefined ? undefined : await checkMappings(tx, changes.mappings),
          updatedAt: now,
        }),
      );
      if (!updated) throw connectionNotFound(id);
      await tx.events.append(
        newEvent(
          'payment_connection.updated',
          actor,
          now,
          {},
          // Which fields changed, never their values: two of them are secrets.
          { paymentConnectionId: id, fields: Object.keys(stripUndefined(changes)).sort() },
        ),
      );
      return updated;
    });
  }

  /** Deletes the connection with its events and purchases; the licenses it made stay. */
  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'payments:write');
    assertUnrestricted(actor.principal);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.paymentConnections.delete(id))) throw connectionNotFound(id);
      await tx.events.append(
        newEvent('payment_connection.deleted', actor, now, {}, { paymentConnectionId: id }),
      );
    });
  }

  async list(principal: Principal | null, input: { after: number | null; limit: number }) {
    assertScope(principal, 'payments:read');
    assertUnrestricted(principal);
    return this.deps.store.paymentConnections.list(input);
  }

  async read(principal: Principal | null, id: number): Promise<PaymentConnection> {
    assertScope(principal, 'payments:read');
    assertUnrestricted(principal);
    const connection = await this.deps.store.paymentConnections.findById(id);
    if (!connection) throw connectionNotFound(id);
    return connection;
  }

  /** The connection's received events, newest first, each with what it did. */
  async listEvents(
    principal: Principal | null,
    connectionId: number,
    input: { before: number | null; limit: number },
  ): Promise<PaymentEvent[]> {
    await this.read(principal, connectionId);
    return this.deps.store.paymentEvents.list({ connectionId, ...input });
  }

  /** One event with the body the provider sent (the provider's data, not a secret). */
  async readEvent(
    principal: Principal | null,
    connectionId: number,
    eventId: number,
  ): Promise<PaymentEventDetail> {
    await this.read(principal, connectionId);
    const event = await this.deps.store.paymentEvents.findById(eventId);
    if (!event || event.connectionId !== connectionId)
      throw new DomainError(
        'NOT_FOUND',
        `payment event ${eventId} of connection ${connectionId} does not exist`,
      );
    return event;
  }

  /**
   * The provider and opened secrets of a connection, for the webhook receiver alone: it verifies a delivery's
   * signature with them. Null when the connection does not exist; `webhookSecret` is null until it is set.
   */
  async secretsForVerifying(connectionId: number): Promise<OpenedConnectionSecrets | null> {
    const sealed = await this.deps.store.paymentConnections.findSecrets(connectionId);
    if (!sealed) return null;
    return {
      provider: sealed.provider,
      webhookSecret:
        sealed.sealedWebhookSecret === null ? null : this.deps.secretBox.open(sealed.sealedWebhookSecret),
      apiKey: sealed.sealedApiKey === null ? null : this.deps.secretBox.open(sealed.sealedApiKey),
    };
  }
}

function checkRefundAction(action: RefundAction): RefundAction {
  if (!REFUND_ACTIONS.includes(action))
    throw new DomainError('INVALID_INPUT', `refundAction is one of ${REFUND_ACTIONS.join(', ')}`, {
      field: 'refundAction',
    });
  return action;
}

export function connectionNotFound(id: number): DomainError {
  return new DomainError('NOT_FOUND', `payment connection ${id} does not exist`);
}
