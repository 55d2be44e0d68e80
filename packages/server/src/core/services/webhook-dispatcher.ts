import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { DomainEvent, License } from '../model.js';
import type { Store } from '../ports.js';
import type { SecretBox } from '../secrets.js';
import type { AttemptOutcome, ClaimedDelivery } from '../webhook-ports.js';
import { nextRetryAt } from '../webhook-retry.js';
import { signWebhook } from '../webhook-signature.js';

/** Sends one HTTP POST; throws when no answer came (refused, reset, timed out: then a WebhookTimeout). */
export interface WebhookTransport {
  post(
    url: string,
    headers: Record<string, string>,
    body: string,
    timeoutMs: number,
  ): Promise<{ statusCode: number; body: string }>;
}

/** The receiver did not answer within the delivery timeout. */
export class WebhookTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

export interface DispatcherOptions {
  /** Deliveries in flight at once, per process. */
  concurrency?: number;
  /** A receiver gets this long to answer. */
  timeoutMs?: number;
  /** Names this process in leases; unique per dispatcher. */
  owner?: string;
  onError?: (error: unknown) => void;
}

/** What the delivery log keeps of an answer: enough for a receiver's error text, not a page of it. */
export const EXCERPT_CHARS = 200;

function licenseSummary(license: License | null, now: Date) {
  if (!license) return null;
  const status = license.revokedAt
    ? 'revoked'
    : license.isSuspended
      ? 'suspended'
      : license.expiresAt && license.expiresAt <= now
        ? 'expired'
        : 'active';
  return {
    id: license.id,
    key: license.key,
    productIds: license.productIds,
    policyId: license.policyId,
    customerId: license.customerId,
    email: license.email,
    status,
    expiresAt: license.expiresAt?.toISOString() ?? null,
  };
}

/** The JSON body of a delivery: the event, and the license it concerns as it is when delivered. */
export function webhookPayload(event: DomainEvent, license: License | null, now: Date) {
  const { via, ...data } = event.data;
  return {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    licenseId: event.licenseId,
    productId: event.productId,
    machineId: event.machineId,
    code: event.code,
    via: typeof via === 'string' ? via : null,
    data,
    license: licenseSummary(license, now),
  };
}

/**
 * Delivers the webhook outbox. Deliveries are leased from the database (PostgreSQL `FOR UPDATE SKIP LOCKED`;
 * SQLite writers serialize), so with several server processes each delivery is sent by one of them. Sending
 * happens outside any transaction, at most `concurrency` at a time and each bounded by `timeoutMs`, on a
 * background timer: a slow or dead receiver holds a slot of this dispatcher, never a request of the API.
 */
export class WebhookDispatcher {
  readonly owner: string;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly deps: { store: Store; clock: Clock; secretBox: SecretBox; transport: WebhookTransport },
    private readonly options: DispatcherOptions = {},
  ) {
    this.owner = options.owner ?? randomUUID();
    this.concurrency = options.concurrency ?? 8;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Longer than any attempt can take, so a lease runs out only when its process died. */
  private get leaseMs(): number {
    return this.timeoutMs + 60_000;
  }

  /**
   * Claims as many due deliveries as there are free slots and starts sending them; returns how many it
   * started. Finished sends claim more, so a backlog drains without waiting for the next tick.
   */
  async runOnce(): Promise<number> {
    if (this.stopped) return 0;
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const now = this.deps.clock.now();
    const claimed = await this.deps.store.transaction((tx) =>
      tx.webhooks.claimDue({
        now,
        owner: this.owner,
        leaseUntil: new Date(now.getTime() + this.leaseMs),
        limit: free,
      }),
    );
    for (const item of claimed) {
      const sending: Promise<void> = this.send(item)
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.inFlight.delete(sending);
          if (claimed.length === free) void this.runOnce().catch((error) => this.options.onError?.(error));
        });
      this.inFlight.add(sending);
    }
    return claimed.length;
  }

  /** Waits until nothing is being sent. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Sends everything due now, then waits for it: what a test or a one-shot command wants. */
  async deliverDue(): Promise<void> {
    while ((await this.runOnce()) > 0) await this.idle();
    await this.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async send({ delivery, endpoint, event }: ClaimedDelivery): Promise<void> {
    const { store, clock, secretBox, transport } = this.deps;
    const startedAt = clock.now();
    const started = performance.now();
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    if (!event) error = 'the event no longer exists';
    else if (!endpoint.isEnabled) error = 'the endpoint is disabled';
    else {
      const license = event.licenseId === null ? null : await store.licenses.findById(event.licenseId);
      const body = JSON.stringify(webhookPayload(event, license, startedAt));
      const timestamp = Math.floor(startedAt.getTime() / 1000);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Keyward-Webhooks/1',
        'keyward-signature': signWebhook(secretBox.open(endpoint.sealedSecret), timestamp, body),
        'keyward-event': event.type,
        'keyward-event-id': String(event.id),
        'keyward-delivery': String(delivery.id),
      };
      try {
        const answer = await transport.post(endpoint.url, headers, body, this.timeoutMs);
        statusCode = answer.statusCode;
        excerpt = answer.body.slice(0, EXCERPT_CHARS);
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
      }
    }
    const durationMs = Math.round(performance.now() - started);
    const finishedAt = clock.now();
    const attemptCount = delivery.attemptCount + 1;
    const succeeded = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const retryAt =
      succeeded || !event || !endpoint.isEnabled
        ? null
        : nextRetryAt(attemptCount, delivery.windowStartedAt, finishedAt);
    const outcome: AttemptOutcome = {
      status: succeeded ? 'succeeded' : retryAt ? 'pending' : 'failed',
      nextAttemptAt: retryAt ?? finishedAt,
      lastStatusCode: statusCode,
      lastError: succeeded ? null : (error ?? `the receiver answered ${statusCode}`),
      deliveredAt: succeeded ? finishedAt : null,
    };
    await store.transaction((tx) =>
      tx.webhooks.completeAttempt({
        deliveryId: delivery.id,
        owner: this.owner,
        attempt: { attemptedAt: startedAt, statusCode, error, responseExcerpt: excerpt, durationMs },
        outcome,
      }),
    );
  }
}
