import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { licenseStatus } from '../licenses/license-status.js';
import type { DomainEvent, License } from '../model.js';
import type { Store } from '../ports.js';
import type { SecretBox } from '../signing/secrets.js';
import type { AttemptOutcome, ClaimedDelivery } from './webhook-ports.js';
import { endpointPauseMs, nextRetryAt } from './webhook-retry.js';
import { signWebhook } from './webhook-signature.js';

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
  /** Sends that may be starting or answering promptly at once, per process. */
  concurrency?: number;
  /** Deliveries of one endpoint in flight at once, per process. */
  perEndpoint?: number;
  /** A send still waiting after this long gives its slot back to other endpoints; it stays open. */
  slowAfterMs?: number;
  /** Requests open at once, slow ones included, per process. */
  maxOpen?: number;
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
  return {
    id: license.id,
    key: license.key,
    productIds: license.productIds,
    policyId: license.policyId,
    customerId: license.customerId,
    email: license.email,
    status: licenseStatus(license, now),
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
 * happens outside any transaction, on a background timer: a slow or dead receiver holds a send of this
 * dispatcher, never a request of the API.
 *
 * One slow receiver must not hold up the others, so:
 * - an endpoint has at most `perEndpoint` deliveries in flight, and each claim takes endpoints in turn,
 *   those with fewer in flight first;
 * - `concurrency` slots are for sends that are starting or answering promptly: a send still waiting after
 *   `slowAfterMs` gives its slot back and waits on (at most `maxOpen` requests are open at once), and its
 *   endpoint gets no other send until it ends, so receivers that take seconds to answer leave the slots to
 *   those that answer at once;
 * - a send gives up after `timeoutMs`, and an endpoint that timed out gets nothing more from this process
 *   for a while (`endpointPauseMs`, growing while it keeps timing out, over as soon as it answers).
 */
export class WebhookDispatcher {
  readonly owner: string;
  private readonly concurrency: number;
  private readonly perEndpoint: number;
  private readonly slowAfterMs: number;
  private readonly maxOpen: number;
  private readonly timeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Sends holding a slot. */
  private active = 0;
  /** Deliveries in flight per endpoint. */
  private readonly held = new Map<number, number>();
  /** Endpoints with a send past `slowAfterMs`: they get no other send until it ends. */
  private readonly slowSends = new Map<number, number>();
  /** Endpoints that timed out: how often in a row, and until when nothing more is sent to them. */
  private readonly paused = new Map<number, { timeouts: number; until: number }>();
  private claiming: Promise<number> | null = null;
  private claimWanted = false;
  private stopped = false;

  constructor(
    private readonly deps: { store: Store; clock: Clock; secretBox: SecretBox; transport: WebhookTransport },
    private readonly options: DispatcherOptions = {},
  ) {
    this.owner = options.owner ?? randomUUID();
    this.concurrency = options.concurrency ?? 8;
    this.perEndpoint = options.perEndpoint ?? 2;
    this.slowAfterMs = options.slowAfterMs ?? 1000;
    this.maxOpen = Math.max(options.maxOpen ?? 64, this.concurrency);
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Longer than any attempt can take, so a lease runs out only when its process died. */
  private get leaseMs(): number {
    return this.timeoutMs + 60_000;
  }

  /**
   * Claims due deliveries for the free slots and starts sending them; returns how many it started. Finished
   * (and slow) sends claim more, so a backlog drains without waiting for the next tick. Claims never overlap:
   * a call during one asks for another round after it.
   */
  runOnce(): Promise<number> {
    if (this.claiming) {
      this.claimWanted = true;
      return this.claiming;
    }
    const claiming = this.claimRounds().finally(() => {
      this.claiming = null;
    });
    this.claiming = claiming;
    return claiming;
  }

  /** Claims until the slots are full or nothing more is due (a claim that took some may have left room). */
  private async claimRounds(): Promise<number> {
    let started = 0;
    for (;;) {
      this.claimWanted = false;
      const claimed = await this.claim();
      started += claimed;
      if (this.stopped || (claimed === 0 && !this.claimWanted)) return started;
    }
  }

  private async claim(): Promise<number> {
    const free = Math.min(this.concurrency - this.active, this.maxOpen - this.inFlight.size);
    if (this.stopped || free <= 0) return 0;
    const now = this.deps.clock.now();
    const skipEndpointIds = [...this.paused]
      .filter(([, pause]) => pause.until > now.getTime())
      .map(([id]) => id);
    const claimed = await this.deps.store.transaction((tx) =>
      tx.webhooks.claimDue({
        now,
        owner: this.owner,
        leaseUntil: new Date(now.getTime() + this.leaseMs),
        limit: free,
        perEndpoint: { max: this.perEndpoint, held: this.heldForClaim() },
        skipEndpointIds,
      }),
    );
    for (const item of claimed) this.start(item);
    return claimed.length;
  }

  /** What each endpoint holds, an endpoint that is slow to answer counting as full: more sends would not help. */
  private heldForClaim(): Map<number, number> {
    const held = new Map(this.held);
    for (const endpointId of this.slowSends.keys()) held.set(endpointId, this.perEndpoint);
    return held;
  }

  private count(map: Map<number, number>, endpointId: number, by: 1 | -1): void {
    const next = (map.get(endpointId) ?? 0) + by;
    if (next > 0) map.set(endpointId, next);
    else map.delete(endpointId);
  }

  private start(item: ClaimedDelivery): void {
    const endpointId = item.endpoint.id;
    this.active++;
    this.count(this.held, endpointId, 1);
    let isSlow = false;
    const slow = setTimeout(() => {
      isSlow = true;
      this.active--;
      this.count(this.slowSends, endpointId, 1);
      this.wake();
    }, this.slowAfterMs);
    slow.unref();
    const sending: Promise<void> = this.send(item)
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        clearTimeout(slow);
        if (isSlow) this.count(this.slowSends, endpointId, -1);
        else this.active--;
        this.count(this.held, endpointId, -1);
        this.inFlight.delete(sending);
        this.wake();
      });
    this.inFlight.add(sending);
  }

  private wake(): void {
    if (!this.stopped) void this.runOnce().catch((error: unknown) => this.options.onError?.(error));
  }

  /** Waits until nothing is being sent. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.claiming) {
      await this.claiming;
      await Promise.allSettled([...this.inFlight]);
    }
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

  /** An endpoint that answered (any status) is trusted again; one that timed out is paused, longer each time. */
  private noteOutcome(endpointId: number, outcome: 'answered' | 'timed out' | 'failed', at: Date): void {
    if (outcome === 'answered') this.paused.delete(endpointId);
    else if (outcome === 'timed out') {
      const pause = this.paused.get(endpointId);
      // Sends that were in flight together time out together: they count once.
      if (pause && pause.until > at.getTime()) return;
      const timeouts = (pause?.timeouts ?? 0) + 1;
      this.paused.set(endpointId, { timeouts, until: at.getTime() + endpointPauseMs(timeouts) });
    }
  }

  private async send({ delivery, endpoint, event }: ClaimedDelivery): Promise<void> {
    const { store, clock, secretBox, transport } = this.deps;
    const startedAt = clock.now();
    const started = performance.now();
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    let outcome: 'answered' | 'timed out' | 'failed' = 'failed';
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
        outcome = 'answered';
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
        if (failure instanceof WebhookTimeout) outcome = 'timed out';
      }
    }
    const durationMs = Math.round(performance.now() - started);
    const finishedAt = clock.now();
    this.noteOutcome(endpoint.id, outcome, finishedAt);
    const attemptCount = delivery.attemptCount + 1;
    const succeeded = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const retryAt =
      succeeded || !event || !endpoint.isEnabled
        ? null
        : nextRetryAt(attemptCount, delivery.windowStartedAt, finishedAt);
    const attemptOutcome: AttemptOutcome = {
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
        outcome: attemptOutcome,
      }),
    );
  }
}
