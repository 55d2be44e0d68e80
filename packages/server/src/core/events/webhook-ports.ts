import type { DomainEvent } from '../model.js';

/** Webhooks: where a vendor's other systems (shop, CRM, support desk) hear about licensing events. */

export interface WebhookEndpoint {
  id: number;
  url: string;
  description: string | null;
  /** Event types, `group.*` patterns or `*`. */
  eventTypes: string[];
  /** Only events of these products; empty = every event, also those of no product. */
  productIds: number[];
  isEnabled: boolean;
  /** Hears each record an import writes; otherwise an import sends only its summary (import.completed). */
  includeImportRecords: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface WebhookDelivery {
  id: number;
  endpointId: number;
  eventId: number;
  eventType: string;
  /** `failed` once retries stopped without a 2xx answer; a redelivery makes it pending again. */
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date;
  /** Retries continue for a day from this instant (creation, or the last redelivery). */
  windowStartedAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface WebhookAttempt {
  id: number;
  deliveryId: number;
  attemptedAt: Date;
  /** Null when no HTTP answer came (refused, timed out). */
  statusCode: number | null;
  error: string | null;
  /** The first characters of the answer's body. */
  responseExcerpt: string | null;
  durationMs: number;
}

/** A delivery taken by one dispatcher, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  endpoint: { id: number; url: string; sealedSecret: string; isEnabled: boolean };
  event: DomainEvent | null;
}

export interface AttemptOutcome {
  status: DeliveryStatus;
  nextAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

export interface WebhookRepository {
  insertEndpoint(
    input: Omit<WebhookEndpoint, 'id' | 'includeImportRecords'> & {
      sealedSecret: string;
      /** Default false. */
      includeImportRecords?: boolean;
    },
  ): Promise<WebhookEndpoint>;
  findEndpoint(id: number): Promise<WebhookEndpoint | null>;
  listEndpoints(input: { after: number | null; limit: number }): Promise<WebhookEndpoint[]>;
  updateEndpoint(
    id: number,
    changes: Partial<Omit<WebhookEndpoint, 'id' | 'createdAt'>> & { sealedSecret?: string },
  ): Promise<WebhookEndpoint | null>;
  deleteEndpoint(id: number): Promise<boolean>;
  /** Newest first. */
  listDeliveries(input: {
    endpointId: number | null;
    status: DeliveryStatus | null;
    before: number | null;
    limit: number;
  }): Promise<WebhookDelivery[]>;
  findDelivery(id: number): Promise<WebhookDelivery | null>;
  listAttempts(deliveryId: number): Promise<WebhookAttempt[]>;
  /**
   * Leases up to `limit` due pending deliveries to `owner` until `leaseUntil`. Deliveries another dispatcher
   * holds (a running lease, or rows locked by its claim: PostgreSQL `SKIP LOCKED`) are not taken, so each
   * delivery is sent by one process at a time.
   *
   * With `perEndpoint`, no endpoint gets more than `max` deliveries in flight counting those it `held`
   * already, and endpoints take turns (one each, then a second each, …) so one endpoint's backlog does not
   * fill a claim. Endpoints in `skipEndpointIds` get nothing.
   */
  claimDue(input: {
    now: Date;
    owner: string;
    leaseUntil: Date;
    limit: number;
    perEndpoint?: { max: number; held: ReadonlyMap<number, number> };
    skipEndpointIds?: readonly number[];
  }): Promise<ClaimedDelivery[]>;
  /**
   * Logs the attempt and stores the outcome, releasing the lease; false (nothing written) when the lease is no
   * longer this owner's.
   */
  completeAttempt(input: {
    deliveryId: number;
    owner: string;
    attempt: Omit<WebhookAttempt, 'id' | 'deliveryId'>;
    outcome: AttemptOutcome;
  }): Promise<boolean>;
  /** Makes a delivery pending and due now, with a fresh retry window; its attempt log stays. */
  redeliver(id: number, now: Date): Promise<WebhookDelivery | null>;
}

export interface ExpiryNoticeRepository {
  /**
   * Licenses expiring in [from, to) that are not revoked at `now` (core/licenses/license-status.ts: a revocation dated
   * later does not count yet) and have no notice of this kind for their current expiry, oldest expiry first.
   */
  findDue(input: {
    kind: string;
    from: Date;
    to: Date;
    now: Date;
    limit: number;
  }): Promise<Array<{ licenseId: number; productId: number; expiresAt: Date }>>;
  /** Records notices; returns those this call recorded (a notice another process recorded first is skipped). */
  record(
    kind: string,
    notices: Array<{ licenseId: number; expiresAt: Date }>,
    at: Date,
  ): Promise<Array<{ licenseId: number; expiresAt: Date }>>;
}

export interface WebhookRepositories {
  webhooks: WebhookRepository;
  expiryNotices: ExpiryNoticeRepository;
}
