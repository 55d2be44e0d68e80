import { type Actor, serverActor } from '../access/actor.js';
import type { Clock } from '../clock.js';
import type { CustomerService } from '../customers/customer-service.js';
import { DomainError } from '../domain-error.js';
import type { EmailKind } from '../email/email-ports.js';
import { licenseEmailVariables } from '../email/license-email-variables.js';
import type { LicenseService } from '../licenses/license-service.js';
import type { Customer, License, Policy } from '../model.js';
import { effectiveRules } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import type {
  ItemMapping,
  PaymentConnection,
  PaymentEventDetail,
  PaymentEventStatus,
  Purchase,
  PurchaseLine,
} from './commerce-ports.js';
import { connectionNotFound } from './payment-connection-service.js';
import type { PurchaseBuyer, PurchaseEvent, ReceivedPaymentEvent } from './purchase-event.js';

/** What receiving an event came to; `duplicate` when the event was handled before and nothing changed now. */
export interface ReceiveResult {
  eventId: number;
  status: PaymentEventStatus;
  duplicate: boolean;
}

/** What applying one event did: its status, its outcome in words, the licenses it touched. */
interface Handling {
  status: 'applied' | 'ignored' | 'waiting';
  outcome: string;
  licenseIds: number[];
}

/** Everything applying an event works with, in the one transaction it runs in. */
interface Applying {
  tx: Repositories;
  connection: PaymentConnection;
  now: Date;
}

const ignored = (outcome: string): Handling => ({ status: 'ignored', outcome, licenseIds: [] });
const waiting = (what: string): Handling => ({
  status: 'waiting',
  outcome: `waiting for the purchase of ${what}; applied once it arrives`,
  licenseIds: [],
});

/** Errors are shown in the dashboard; a stack or a huge message is not useful there. */
const MAX_ERROR_CHARS = 1000;

/** The purchase an event names, in words, for the outcome of a waiting event. */
function referenceOf(purchase: PurchaseEvent): string {
  if (purchase.subscriptionId) return `subscription ${purchase.subscriptionId}`;
  if (purchase.orderId) return `order ${purchase.orderId}`;
  if (purchase.paymentIds.length > 0) return `payment ${purchase.paymentIds.join(', ')}`;
  return `customer ${purchase.buyer.providerCustomerId ?? '(none)'}`;
}

/** Whether a waiting event names the purchase just made. */
function namesPurchase(event: PurchaseEvent, purchase: Purchase): boolean {
  if (event.change === 'customer_updated')
    return (
      event.buyer.providerCustomerId !== null &&
      event.buyer.providerCustomerId === purchase.providerCustomerId
    );
  return (
    (event.orderId !== null && event.orderId === purchase.orderId) ||
    (event.subscriptionId !== null && event.subscriptionId === purchase.subscriptionId) ||
    event.paymentIds.some((id) => purchase.paymentIds.includes(id))
  );
}

const later = (a: Date | null, b: Date | null): Date | null =>
  a === null ? b : b === null ? a : a > b ? a : b;

/**
 * Turns payment providers' events into licenses. Each event is stored first, in a transaction of its own, so a
 * delivery is durable before it is acknowledged; then it is applied in one transaction with everything it
 * changes (licenses through LicenseService, so every rule, event and webhook of issuing applies; customers;
 * emails through the outbox) and marked with what it did. Events of one connection apply one at a time (the
 * connection row is locked), which makes the ordering rules below hold across processes:
 *
 * - the same provider event id twice is one event: once applied, ignored or waiting, a delivery changes nothing;
 *   one that failed applies again;
 * - an event for a purchase not known yet waits, and applies right after that purchase is made, oldest first;
 * - a renewal never shortens a license, and one older than the cancellation does not undo it; a cancellation
 *   older than the latest renewal, or a change older than the latest change, changes nothing.
 */
export class PurchaseService {
  private readonly actor: Actor = serverActor('payments');

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      licenses: LicenseService;
      customers: CustomerService;
    },
  ) {}

  /**
   * Stores a verified, translated event and applies it. Throws DomainError UNAVAILABLE (after recording the
   * failure on the event) when applying fails, so the provider delivers it again; NOT_FOUND for an unknown
   * connection.
   */
  receive(connectionId: number, event: ReceivedPaymentEvent, rawPayload: string): Promise<ReceiveResult> {
    // Storing must commit before applying starts, whatever unit of work the caller runs in.
    return this.deps.store.detached(() => this.storeAndApply(connectionId, event, rawPayload));
  }

  /** The purchases these licenses came from (the customer portal's "bought with"); the caller checked reach. */
  purchasesOfLicenses(licenseIds: readonly number[]): Promise<Purchase[]> {
    return this.deps.store.purchases.listOfLicenses(licenseIds);
  }

  private async storeAndApply(
    connectionId: number,
    received: ReceivedPaymentEvent,
    rawPayload: string,
  ): Promise<ReceiveResult> {
    const { store, clock } = this.deps;
    const stored = await store.transaction(async (tx) => {
      if (!(await tx.paymentConnections.findById(connectionId))) throw connectionNotFound(connectionId);
      return tx.paymentEvents.record({
        connectionId,
        providerEventId: received.providerEventId,
        providerEventType: received.providerEventType,
        occurredAt: received.occurredAt,
        receivedAt: clock.now(),
        purchase: received.purchase,
        payload: rawPayload,
      });
    });
    if (isHandled(stored.event.status))
      return { eventId: stored.event.id, status: stored.event.status, duplicate: true };

    const unit = store.unitOfWork();
    try {
      const result = await unit.run(() =>
        store.transaction(async (tx) => {
          const connection = await tx.paymentConnections.lockById(connectionId);
          if (!connection) throw connectionNotFound(connectionId);
          // Read again under the lock: another delivery of the same event may have applied it meanwhile.
          const event = await tx.paymentEvents.findById(stored.event.id);
          if (!event) throw new Error(`payment event ${stored.event.id} vanished`);
          if (isHandled(event.status)) return { eventId: event.id, status: event.status, duplicate: true };
          const now = clock.now();
          const handling = await this.handle({ tx, connection, now }, event);
          await tx.paymentEvents.setHandling(event.id, { ...handling, error: null, handledAt: now });
          return { eventId: event.id, status: handling.status, duplicate: false };
        }),
      );
      await unit.commit(async () => {});
      return result;
    } catch (error) {
      await unit.rollback();
      // Deleted while this delivery was applied: there is nothing left to retry into.
      if (!(await store.paymentConnections.findById(connectionId))) throw connectionNotFound(connectionId);
      const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_CHARS);
      await store.transaction((tx) =>
        tx.paymentEvents.setHandling(stored.event.id, {
          status: 'failed',
          outcome: null,
          error: message,
          licenseIds: [],
          handledAt: clock.now(),
        }),
      );
      throw new DomainError(
        'UNAVAILABLE',
        `payment event ${received.providerEventId} was stored but could not be applied (${message}); the provider will deliver it again`,
        { paymentEventId: stored.event.id },
      );
    }
  }

  private handle(at: Applying, event: PaymentEventDetail): Promise<Handling> {
    const purchase = event.purchase;
    if (purchase === null)
      return Promise.resolve(ignored(`Keyward does not act on ${event.providerEventType}`));
    switch (purchase.change) {
      case 'purchase_completed':
        return this.completePurchase(at, event, purchase);
      case 'subscription_renewed':
        return this.onPurchase(at, purchase, (p) => this.renew(at, event, purchase, p));
      case 'subscription_changed':
        return this.onPurchase(at, purchase, (p) => this.changeItems(at, event, purchase, p));
      case 'subscription_canceled':
        return this.onPurchase(at, purchase, (p) => this.cancel(at, event, purchase, p));
      case 'payment_reversed':
        return this.onPurchase(at, purchase, (p) => this.reverse(at, p));
      case 'customer_updated':
        return this.updateCustomer(at, purchase);
    }
  }

  /** Runs `work` on the purchase the event names, remembering the payments it names; waits when none is known. */
  private async onPurchase(
    { tx, connection, now }: Applying,
    purchase: PurchaseEvent,
    work: (found: Purchase) => Promise<Handling>,
  ): Promise<Handling> {
    const found = await tx.purchases.findByReference(connection.id, purchase);
    if (!found) return waiting(referenceOf(purchase));
    await tx.purchases.addPaymentIds(found.id, purchase.paymentIds);
    if (purchase.buyer.providerCustomerId !== null && found.providerCustomerId === null)
      await tx.purchases.update(found.id, {
        providerCustomerId: purchase.buyer.providerCustomerId,
        updatedAt: now,
      });
    return work(found);
  }

  private async completePurchase(
    at: Applying,
    event: PaymentEventDetail,
    purchase: PurchaseEvent,
  ): Promise<Handling> {
    const { tx, connection, now } = at;
    const existing = await tx.purchases.findByReference(connection.id, purchase);
    if (existing && existing.lines.length > 0) return this.completeAgain(at, event, purchase, existing);
    const mapped = purchase.items.filter((item) => mappingOf(connection, item.providerItemId));
    const unmapped = purchase.items.filter((item) => !mappingOf(connection, item.providerItemId));
    if (mapped.length === 0)
      return ignored(
        purchase.items.length === 0
          ? 'the purchase names no items'
          : `no item is mapped to a policy: ${unmapped.map((i) => i.providerItemId).join(', ')}`,
      );
    const customer = await this.customerFor(tx, purchase.buyer);
    const created = await this.createLicenses(
      at,
      mapped,
      purchase.periodEndsAt,
      customer,
      purchase.buyer.email,
    );
    const made = await tx.purchases.insert({
      connectionId: connection.id,
      orderId: purchase.orderId,
      subscriptionId: purchase.subscriptionId,
      providerCustomerId: purchase.buyer.providerCustomerId,
      customerId: customer?.id ?? null,
      paymentIds: purchase.paymentIds,
      lines: created.map((c) => c.line),
      status: purchase.subscriptionId === null ? 'paid' : 'active',
      periodEndsAt: purchase.periodEndsAt,
      cancelledAt: null,
      renewedAt: event.occurredAt,
      changedAt: event.occurredAt,
      createdAt: now,
      updatedAt: now,
    });
    const recipient = customer?.email ?? purchase.buyer.email;
    const parts = created.map((c) => `created license ${c.license.id} (${c.policy.name}, ${seats(c)})`);
    let outcome = `${parts.join('; ')}${recipient ? ` for ${recipient}` : ', no email yet: delivered once the provider names the buyer'}`;
    if (unmapped.length > 0) outcome += `; not mapped: ${unmapped.map((i) => i.providerItemId).join(', ')}`;
    const later = await this.applyWaiting(at, made);
    if (later > 0) outcome += `; then applied ${later} waiting event${later === 1 ? '' : 's'}`;
    return { status: 'applied', outcome, licenseIds: created.map((c) => c.license.id) };
  }

  /**
   * A second completion of a purchase made already. Lemon Squeezy completes a subscription purchase twice, in
   * either order: its order (no subscription) and its subscription (the order's id, the subscription's id and
   * period). The second links what it names that the purchase lacks, and a subscription's paid period becomes the
   * end of licenses that had none or an earlier one; nothing is created twice.
   */
  private async completeAgain(
    at: Applying,
    event: PaymentEventDetail,
    purchase: PurchaseEvent,
    found: Purchase,
  ): Promise<Handling> {
    const { tx, now } = at;
    const licenses = found.lines.map((l) => l.licenseId).join(', ');
    await tx.purchases.addPaymentIds(found.id, purchase.paymentIds);
    const links = {
      ...(found.orderId === null && purchase.orderId !== null ? { orderId: purchase.orderId } : {}),
      ...(found.subscriptionId === null && purchase.subscriptionId !== null
        ? { subscriptionId: purchase.subscriptionId, status: 'active' as const }
        : {}),
      ...(found.providerCustomerId === null && purchase.buyer.providerCustomerId !== null
        ? { providerCustomerId: purchase.buyer.providerCustomerId }
        : {}),
    };
    const subscribed = (links.subscriptionId ?? found.subscriptionId) !== null;
    const until = subscribed ? purchase.periodEndsAt : null;
    const cancelled = found.cancelledAt !== null && event.occurredAt <= found.cancelledAt;
    const extended: number[] = [];
    if (until !== null && !cancelled && (found.periodEndsAt === null || found.periodEndsAt < until)) {
      for (const line of found.lines) {
        const license = await tx.licenses.findById(line.licenseId);
        if (!license || (license.expiresAt !== null && license.expiresAt >= until)) continue;
        await this.deps.licenses.update(this.actor, license.id, { expiresAt: until });
        extended.push(license.id);
      }
    }
    const runsTo = extended.length > 0 ? { periodEndsAt: until } : {};
    if (Object.keys(links).length === 0 && extended.length === 0)
      return ignored(`purchase ${found.id} was made already (licenses ${licenses})`);
    await tx.purchases.update(found.id, { ...links, ...runsTo, updatedAt: now });
    const notes = [`purchase ${found.id} was made already (licenses ${licenses})`];
    if (links.subscriptionId) notes.push(`linked subscription ${links.subscriptionId}`);
    if (links.orderId) notes.push(`linked order ${links.orderId}`);
    if (until !== null && extended.length > 0) notes.push(`runs to ${until.toISOString()}`);
    const waited = await this.applyWaiting(at, { ...found, ...links, ...runsTo });
    if (waited > 0) notes.push(`then applied ${waited} waiting event${waited === 1 ? '' : 's'}`);
    return { status: 'applied', outcome: notes.join('; '), licenseIds: extended };
  }

  /** Applies the connection's waiting events that name this purchase, oldest first; answers how many. */
  private async applyWaiting(at: Applying, purchase: Purchase): Promise<number> {
    const due = (await at.tx.paymentEvents.listWaiting(at.connection.id)).filter(
      (e) => e.purchase !== null && namesPurchase(e.purchase, purchase),
    );
    for (const event of due) {
      const handling = await this.handle(at, event);
      await at.tx.paymentEvents.setHandling(event.id, { ...handling, error: null, handledAt: at.now });
    }
    return due.length;
  }

  private async renew(at: Applying, event: PaymentEventDetail, purchase: PurchaseEvent, found: Purchase) {
    const { tx, now } = at;
    if (found.cancelledAt && event.occurredAt <= found.cancelledAt)
      return ignored(
        `older than the cancellation of ${found.cancelledAt.toISOString()}: the cancellation stands`,
      );
    if (purchase.periodEndsAt === null)
      return ignored('the renewal names no period end (Lemon Squeezy names it in the update that follows)');
    const until = purchase.periodEndsAt;
    const extended = await this.extendTo(at, found, until);
    await tx.purchases.update(found.id, {
      status: found.status === 'reversed' ? 'reversed' : 'active',
      periodEndsAt: later(found.periodEndsAt, until),
      renewedAt: later(found.renewedAt, event.occurredAt),
      ...(found.cancelledAt ? { cancelledAt: null } : {}),
      updatedAt: now,
    });
    if (extended.length === 0)
      return {
        status: 'applied' as const,
        outcome: `licenses already run to ${until.toISOString()}`,
        licenseIds: [],
      };
    return {
      status: 'applied' as const,
      outcome: `extended license${extended.length === 1 ? '' : 's'} ${extended.join(', ')} to ${until.toISOString()}`,
      licenseIds: extended,
    };
  }

  /** Extends the purchase's licenses that end before `until` to it, each with a renewal email; never shortens. */
  private async extendTo({ tx, now }: Applying, found: Purchase, until: Date): Promise<number[]> {
    const extended: number[] = [];
    for (const line of found.lines) {
      const license = await tx.licenses.findById(line.licenseId);
      if (!license || license.expiresAt === null || license.expiresAt >= until) continue;
      const renewed = await this.deps.licenses.extend(this.actor, license.id, { expiresAt: until });
      extended.push(license.id);
      await this.enqueueEmail(tx, 'license_renewed', renewed, now);
    }
    return extended;
  }

  private async cancel(at: Applying, event: PaymentEventDetail, purchase: PurchaseEvent, found: Purchase) {
    const { tx, now } = at;
    if (found.renewedAt && event.occurredAt < found.renewedAt)
      return ignored(`older than the renewal of ${found.renewedAt.toISOString()}: the subscription runs on`);
    if (found.cancelledAt && event.occurredAt < found.cancelledAt)
      return ignored(`older than the cancellation of ${found.cancelledAt.toISOString()}`);
    // The end of what was paid; a cancellation that names none ends the licenses when it happened.
    const end = purchase.periodEndsAt ?? found.periodEndsAt ?? event.occurredAt;
    const ended: number[] = [];
    for (const line of found.lines) {
      const license = await tx.licenses.findById(line.licenseId);
      if (!license || license.expiresAt?.getTime() === end.getTime()) continue;
      await this.deps.licenses.update(this.actor, license.id, { expiresAt: end });
      ended.push(license.id);
    }
    await tx.purchases.update(found.id, {
      status: found.status === 'reversed' ? 'reversed' : 'canceled',
      cancelledAt: event.occurredAt,
      periodEndsAt: end,
      updatedAt: now,
    });
    const ids = found.lines.map((l) => l.licenseId);
    return {
      status: 'applied' as const,
      outcome: `canceled: license${ids.length === 1 ? '' : 's'} ${ids.join(', ')} run to ${end.toISOString()}, then expire`,
      licenseIds: ended,
    };
  }

  /** Refund or chargeback: the connection's refund action on every license of the purchase. */
  private async reverse(at: Applying, found: Purchase): Promise<Handling> {
    const { tx, connection, now } = at;
    const touched: number[] = [];
    for (const line of found.lines) {
      const license = await tx.licenses.findById(line.licenseId);
      if (!license || license.revokedAt) continue;
      if (connection.refundAction === 'revoke') await this.deps.licenses.revoke(this.actor, license.id);
      else if (!license.isSuspended) await this.deps.licenses.suspend(this.actor, license.id);
      else continue;
      touched.push(license.id);
    }
    await tx.purchases.update(found.id, { status: 'reversed', updatedAt: now });
    if (touched.length === 0) return ignored('its licenses were already suspended, revoked or deleted');
    const verb = connection.refundAction === 'revoke' ? 'revoked' : 'suspended';
    return {
      status: 'applied',
      outcome: `${verb} license${touched.length === 1 ? '' : 's'} ${touched.join(', ')}`,
      licenseIds: touched,
    };
  }

  /**
   * Items changed: each new item takes the license of the same item, else one whose item left (an upgrade or a
   * downgrade to another price); its policy and seats follow the mapping. A seat limit may go below the machines
   * active (as the native API allows): they keep running, and new activations wait for free seats. Items new to
   * the subscription get new licenses; a license whose item left stays as it is.
   */
  private async changeItems(
    at: Applying,
    event: PaymentEventDetail,
    purchase: PurchaseEvent,
    found: Purchase,
  ) {
    const { tx, connection, now } = at;
    if (found.changedAt && event.occurredAt < found.changedAt)
      return ignored(`older than the change of ${found.changedAt.toISOString()}`);
    if (purchase.items.length === 0) return ignored('the change names no items');
    const notes: string[] = [];
    const touched: number[] = [];
    const unmapped = purchase.items
      .filter((i) => !mappingOf(connection, i.providerItemId))
      .map((i) => i.providerItemId);
    const items = purchase.items.filter((i) => mappingOf(connection, i.providerItemId));
    const pairs = pairLines(found.lines, items);
    const added = items.filter((item) => !pairs.some((p) => p.item === item));
    for (const { line, item } of pairs) {
      const mapping = mappingOf(connection, item.providerItemId) as ItemMapping;
      const license = await tx.licenses.findById(line.licenseId);
      if (!license) continue;
      const maxMachines = seatsFor(item.quantity, mapping);
      const policyChanges = license.policyId === mapping.policyId ? {} : { policyId: mapping.policyId };
      if (policyChanges.policyId !== undefined || license.overrides.maxMachines !== maxMachines) {
        const updated = await this.deps.licenses.update(this.actor, license.id, {
          ...policyChanges,
          overrides: { maxMachines },
        });
        const policy = (await tx.policies.findById(updated.policyId)) as Policy;
        notes.push(
          `license ${license.id} now ${policy.name}, ${maxMachines} seat${maxMachines === 1 ? '' : 's'}`,
        );
        touched.push(license.id);
      }
      await tx.purchases.updateLine(found.id, { licenseId: line.licenseId, ...item });
    }
    const remaining = found.lines.filter((line) => !pairs.some((p) => p.line === line));
    if (added.length > 0) {
      const customer = found.customerId === null ? null : await tx.customers.findById(found.customerId);
      const email = customer?.email ?? (await this.emailOfPurchase(tx, found));
      const created = await this.createLicenses(
        at,
        added,
        purchase.periodEndsAt ?? found.periodEndsAt,
        customer,
        email,
      );
      await tx.purchases.addLines(
        found.id,
        created.map((c) => c.line),
      );
      for (const c of created) {
        notes.push(`created license ${c.license.id} (${c.policy.name}, ${seats(c)})`);
        touched.push(c.license.id);
      }
    }
    for (const line of remaining)
      notes.push(`license ${line.licenseId} left the subscription and stays as it is`);
    if (unmapped.length > 0) notes.push(`not mapped: ${unmapped.join(', ')}`);
    // A change that names a later paid period moves the licenses to it, as a renewal would: Lemon Squeezy names
    // a renewed period only in the subscription's update that follows the payment.
    const until = purchase.periodEndsAt;
    const cancelled = found.cancelledAt !== null && event.occurredAt <= found.cancelledAt;
    const moves = until !== null && !cancelled && (found.periodEndsAt === null || found.periodEndsAt < until);
    if (moves) {
      const extended = await this.extendTo(at, found, until);
      if (extended.length > 0)
        notes.push(
          `extended license${extended.length === 1 ? '' : 's'} ${extended.join(', ')} to ${until.toISOString()}`,
        );
      touched.push(...extended.filter((id) => !touched.includes(id)));
    }
    await tx.purchases.update(found.id, {
      changedAt: event.occurredAt,
      ...(moves ? { periodEndsAt: until } : {}),
      updatedAt: now,
    });
    if (touched.length === 0)
      return ignored(notes.length > 0 ? notes.join('; ') : 'the licenses match the items already');
    return { status: 'applied' as const, outcome: notes.join('; '), licenseIds: touched };
  }

  /**
   * The buyer's email arrived (Paddle names it only on its customer): the purchases of that provider customer
   * whose licenses went out without an email get the customer and the email, and the licenses are delivered now.
   */
  private async updateCustomer(
    { tx, connection, now }: Applying,
    purchase: PurchaseEvent,
  ): Promise<Handling> {
    const { providerCustomerId, email } = purchase.buyer;
    if (providerCustomerId === null) return ignored('the event names no provider customer');
    if (email === null) return ignored('the event names no email');
    const purchases = await tx.purchases.listByProviderCustomer(connection.id, providerCustomerId);
    if (purchases.length === 0) return waiting(`customer ${providerCustomerId}`);
    const delivered: number[] = [];
    let customer: Customer | null = null;
    for (const found of purchases) {
      for (const line of found.lines) {
        const license = await tx.licenses.findById(line.licenseId);
        if (!license || license.email !== null) continue;
        customer ??= await this.customerFor(tx, purchase.buyer);
        const updated = await this.deps.licenses.update(this.actor, license.id, {
          email,
          ...(license.customerId === null && customer ? { customerId: customer.id } : {}),
        });
        await this.enqueueEmail(tx, 'license_delivered', updated, now);
        delivered.push(license.id);
      }
      if (found.customerId === null && customer)
        await tx.purchases.update(found.id, { customerId: customer.id, updatedAt: now });
    }
    if (delivered.length === 0) return ignored('the licenses of this customer were delivered already');
    return {
      status: 'applied',
      outcome: `delivered license${delivered.length === 1 ? '' : 's'} ${delivered.join(', ')} to ${email.trim().toLowerCase()}`,
      licenseIds: delivered,
    };
  }

  /** The customer of this email (case-insensitive), made when there is none; null without an email. */
  private async customerFor(tx: Repositories, buyer: PurchaseBuyer): Promise<Customer | null> {
    const email = buyer.email?.trim().toLowerCase();
    if (!email) return null;
    const [existing] = await tx.customers.list({ email, after: null, limit: 1 });
    if (existing) return existing;
    return this.deps.customers.create(this.actor, { name: buyer.name?.trim() || email, email });
  }

  private async emailOfPurchase(tx: Repositories, purchase: Purchase): Promise<string | null> {
    for (const line of purchase.lines) {
      const license = await tx.licenses.findById(line.licenseId);
      if (license?.email) return license.email;
    }
    return null;
  }

  /** A license per item, through LicenseService; each delivered by email when the buyer's email is known. */
  private async createLicenses(
    { tx, connection, now }: Applying,
    items: Array<{ providerItemId: string; quantity: number }>,
    periodEndsAt: Date | null,
    customer: Customer | null,
    email: string | null,
  ): Promise<Array<{ license: License; policy: Policy; line: PurchaseLine }>> {
    const created: Array<{ license: License; policy: Policy; line: PurchaseLine }> = [];
    for (const item of items) {
      const mapping = mappingOf(connection, item.providerItemId);
      if (!mapping) continue;
      const license = await this.deps.licenses.create(this.actor, mapping.policyId, {
        customerId: customer?.id ?? null,
        email: customer?.email ?? email,
        // A subscription's license runs to the end of the paid period; a one-time purchase's as the policy says.
        ...(periodEndsAt !== null ? { expiresAt: periodEndsAt } : {}),
        overrides: { maxMachines: seatsFor(item.quantity, mapping) },
      });
      const policy = (await tx.policies.findById(mapping.policyId)) as Policy;
      await this.enqueueEmail(tx, 'license_delivered', license, now);
      created.push({
        license,
        policy,
        line: { licenseId: license.id, providerItemId: item.providerItemId, quantity: item.quantity },
      });
    }
    return created;
  }

  /** Queues a message about a license to its email, in the transaction that changed it; none without an email. */
  private async enqueueEmail(tx: Repositories, kind: EmailKind, license: License, now: Date): Promise<void> {
    if (!license.email) return;
    await tx.emailOutbox.enqueue(
      {
        kind,
        to: license.email,
        productId: license.productIds[0] ?? null,
        licenseId: license.id,
        customerId: license.customerId,
        variables: await licenseEmailVariables(tx, license),
        sealedSecrets: null,
      },
      now,
    );
  }
}

function isHandled(status: PaymentEventStatus): boolean {
  return status === 'applied' || status === 'ignored' || status === 'waiting';
}

function mappingOf(connection: PaymentConnection, providerItemId: string) {
  return connection.mappings.find((m) => m.providerItemId === providerItemId);
}

/**
 * Which license each item of a changed subscription takes: the license of the same item first, then, for an
 * item new to it, a license whose item left (the plan changed price: an upgrade or a downgrade).
 */
function pairLines<Item extends { providerItemId: string }>(
  lines: readonly PurchaseLine[],
  items: readonly Item[],
): Array<{ line: PurchaseLine; item: Item }> {
  const pairs: Array<{ line: PurchaseLine; item: Item }> = [];
  const free = [...lines];
  const take = (line: PurchaseLine | undefined, item: Item) => {
    if (!line) return;
    free.splice(free.indexOf(line), 1);
    pairs.push({ line, item });
  };
  for (const item of items)
    take(
      free.find((l) => l.providerItemId === item.providerItemId),
      item,
    );
  const itemIds = new Set(items.map((i) => i.providerItemId));
  for (const item of items) {
    if (pairs.some((p) => p.item === item)) continue;
    take(
      free.find((l) => !itemIds.has(l.providerItemId)),
      item,
    );
  }
  return pairs;
}

/** Seats for a quantity; a quantity below one still buys one unit (0 machines would mean unlimited). */
function seatsFor(quantity: number, mapping: ItemMapping): number {
  return Math.max(1, Math.floor(quantity)) * mapping.seatsPerUnit;
}

function seats({ license, policy }: { license: License; policy: Policy }): string {
  const max = effectiveRules(license, policy).maxMachines;
  return max === 0 ? 'unlimited seats' : `${max} seat${max === 1 ? '' : 's'}`;
}
