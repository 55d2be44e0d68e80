import type { PaymentProvider, PurchaseChange, PurchaseEvent } from './purchase-event.js';

/**
 * Payments: a vendor's connections to payment providers, every webhook event they sent (kept with what it did),
 * and the purchases those events made licenses from.
 */

/** What a refund or chargeback does to a purchase's licenses. */
export const REFUND_ACTIONS = ['suspend', 'revoke'] as const;
export type RefundAction = (typeof REFUND_ACTIONS)[number];

/** A provider's price or variant, sold as licenses of a policy. */
export interface ItemMapping {
  providerItemId: string;
  policyId: number;
  /** Machines per unit bought: a license's max machines is quantity × seatsPerUnit. */
  seatsPerUnit: number;
}

/** A connection as everyone but the webhook receiver sees it: whether secrets are set, never the secrets. */
export interface PaymentConnection {
  id: number;
  provider: PaymentProvider;
  name: string;
  refundAction: RefundAction;
  /**
   * The last characters of the webhook secret, so the vendor can tell which one is set; null until it is set
   * (the provider shows the secret only after the endpoint is created at the connection's URL).
   */
  webhookSecretHint: string | null;
  /** Null when no API key is set. */
  apiKeyHint: string | null;
  mappings: ItemMapping[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewPaymentConnection {
  provider: PaymentProvider;
  name: string;
  refundAction: RefundAction;
  sealedWebhookSecret: string | null;
  webhookSecretHint: string | null;
  sealedApiKey: string | null;
  apiKeyHint: string | null;
  mappings: ItemMapping[];
  createdAt: Date;
  updatedAt: Date;
}

/** What only the webhook receiver reads: the provider and the sealed secrets. */
export interface SealedConnectionSecrets {
  provider: PaymentProvider;
  /** Null until the vendor sets it: deliveries are then refused (503) so the provider retries them. */
  sealedWebhookSecret: string | null;
  sealedApiKey: string | null;
}

export interface PaymentConnectionRepository {
  insert(input: NewPaymentConnection): Promise<PaymentConnection>;
  findById(id: number): Promise<PaymentConnection | null>;
  /** Locks the connection until the transaction ends: events of one connection apply one at a time. */
  lockById(id: number): Promise<PaymentConnection | null>;
  findSecrets(id: number): Promise<SealedConnectionSecrets | null>;
  /** Oldest first. */
  list(input: { after: number | null; limit: number }): Promise<PaymentConnection[]>;
  /** `mappings`, when given, replace the connection's mappings. */
  update(
    id: number,
    changes: Partial<Omit<NewPaymentConnection, 'provider' | 'createdAt'>>,
  ): Promise<PaymentConnection | null>;
  /** Deletes the connection with its events and purchases (the licenses stay). */
  delete(id: number): Promise<boolean>;
}

export const PAYMENT_EVENT_STATUSES = ['received', 'applied', 'ignored', 'waiting', 'failed'] as const;
/**
 * received: stored, not applied yet (or applying); applied: it changed licenses; ignored: it changed nothing, and
 * `outcome` says why; waiting: it needs a purchase not known yet, and applies right after that purchase is made;
 * failed: applying it threw (`error`); the provider's retry applies it again.
 */
export type PaymentEventStatus = (typeof PAYMENT_EVENT_STATUSES)[number];

export interface PaymentEvent {
  id: number;
  connectionId: number;
  providerEventId: string;
  providerEventType: string;
  /** What the adapter translated it to; null for event types Keyward does not act on. */
  change: PurchaseChange | null;
  occurredAt: Date;
  receivedAt: Date;
  status: PaymentEventStatus;
  /** What it did, in words ("created license 12 (Pro, 3 seats) for ada@example.com"). */
  outcome: string | null;
  error: string | null;
  licenseIds: number[];
  /** When it was last applied, ignored, parked or failed. */
  handledAt: Date | null;
}

/** An event with the translation it is applied from and the body the provider sent. */
export interface PaymentEventDetail extends PaymentEvent {
  purchase: PurchaseEvent | null;
  /** The raw body as received, cut at MAX_STORED_PAYLOAD_CHARS. */
  payload: string;
  isPayloadTruncated: boolean;
}

/** The body kept of each event: enough to read any provider's event, bounded so a flood cannot fill the disk. */
export const MAX_STORED_PAYLOAD_CHARS = 256 * 1024;

export interface PaymentEventHandling {
  status: PaymentEventStatus;
  outcome: string | null;
  error: string | null;
  licenseIds: number[];
  handledAt: Date;
}

export interface PaymentEventRepository {
  /**
   * Stores an event unless the connection has one with this provider event id; either way answers the stored
   * row, and `isNew` says which. A stored event that has not been applied (received or failed) takes this
   * delivery's translation and payload, so a retry applies what the provider sent last.
   */
  record(input: {
    connectionId: number;
    providerEventId: string;
    providerEventType: string;
    occurredAt: Date;
    receivedAt: Date;
    purchase: PurchaseEvent | null;
    payload: string;
  }): Promise<{ event: PaymentEventDetail; isNew: boolean }>;
  findById(id: number): Promise<PaymentEventDetail | null>;
  setHandling(id: number, handling: PaymentEventHandling): Promise<void>;
  /** The connection's waiting events, oldest `occurredAt` first. */
  listWaiting(connectionId: number): Promise<PaymentEventDetail[]>;
  /** Newest first. */
  list(input: { connectionId: number; before: number | null; limit: number }): Promise<PaymentEvent[]>;
}

export const PURCHASE_STATUSES = ['paid', 'active', 'canceled', 'reversed'] as const;
/** paid: a one-time purchase; active: a running subscription; canceled: runs to periodEndsAt; reversed: refunded. */
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];

/** One license a purchase made, and the item (and quantity) it stands for. */
export interface PurchaseLine {
  licenseId: number;
  providerItemId: string;
  quantity: number;
}

export interface Purchase {
  id: number;
  connectionId: number;
  provider: PaymentProvider;
  orderId: string | null;
  subscriptionId: string | null;
  providerCustomerId: string | null;
  customerId: number | null;
  /** Every payment any applied event of it named (so a refund of a renewal finds it too). */
  paymentIds: string[];
  lines: PurchaseLine[];
  status: PurchaseStatus;
  periodEndsAt: Date | null;
  /** When the provider says the applied cancellation happened. */
  cancelledAt: Date | null;
  /** When the provider says the latest applied renewal happened. */
  renewedAt: Date | null;
  /** When the provider says the latest applied change of items happened. */
  changedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type PurchaseChanges = Partial<
  Pick<
    Purchase,
    | 'status'
    | 'periodEndsAt'
    | 'cancelledAt'
    | 'renewedAt'
    | 'changedAt'
    | 'customerId'
    | 'providerCustomerId'
    | 'subscriptionId'
    | 'orderId'
  >
> & { updatedAt: Date };

export interface PurchaseRepository {
  insert(
    input: Omit<Purchase, 'id' | 'provider' | 'paymentIds' | 'lines'> & {
      paymentIds: string[];
      lines: PurchaseLine[];
    },
  ): Promise<Purchase>;
  findById(id: number): Promise<Purchase | null>;
  /** The connection's purchase with this order id, subscription id or any of these payment ids. */
  findByReference(
    connectionId: number,
    reference: { orderId: string | null; subscriptionId: string | null; paymentIds: string[] },
  ): Promise<Purchase | null>;
  listByProviderCustomer(connectionId: number, providerCustomerId: string): Promise<Purchase[]>;
  update(id: number, changes: PurchaseChanges): Promise<void>;
  /** Adds payment ids it does not hold yet. */
  addPaymentIds(id: number, paymentIds: string[]): Promise<void>;
  addLines(id: number, lines: PurchaseLine[]): Promise<void>;
  updateLine(id: number, line: PurchaseLine): Promise<void>;
  /** The purchases these licenses came from, oldest first. */
  listOfLicenses(licenseIds: readonly number[]): Promise<Purchase[]>;
}

/** The repositories above, as `Repositories` holds them. */
export interface CommerceRepositories {
  paymentConnections: PaymentConnectionRepository;
  paymentEvents: PaymentEventRepository;
  purchases: PurchaseRepository;
}
