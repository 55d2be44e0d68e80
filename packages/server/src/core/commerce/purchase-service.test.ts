import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestDialect, testDialects } from '../../test-support/test-store.js';
import { systemActor } from '../access/actor.js';
import { manualClock } from '../clock.js';
import { isDomainError } from '../domain-error.js';
import { emailDate } from '../email/license-email-variables.js';
import { createKeyward, type Keyward } from '../keyward.js';
import type { License, Policy } from '../model.js';
import { SecretBox } from '../signing/secrets.js';
import type { PaymentConnection, RefundAction } from './commerce-ports.js';
import type { PurchaseEvent, ReceivedPaymentEvent } from './purchase-event.js';

const DAY = 86_400_000;
const T0 = new Date('2030-03-01T00:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** A translated event as an adapter would hand it over. */
function event(
  id: string,
  occurredAt: Date,
  purchase: (Partial<PurchaseEvent> & Pick<PurchaseEvent, 'change'>) | null,
): ReceivedPaymentEvent {
  return {
    providerEventId: id,
    providerEventType: purchase?.change ?? 'ping',
    occurredAt,
    purchase:
      purchase === null
        ? null
        : {
            buyer: { providerCustomerId: null, email: null, name: null },
            orderId: null,
            subscriptionId: null,
            paymentIds: [],
            items: [],
            periodEndsAt: null,
            ...purchase,
          },
  };
}

describe.each(await testDialects())('payments: purchases become licenses (%s)', (dialect: TestDialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let k: Keyward;
  const clock = manualClock(T0);
  let pro: Policy;
  let team: Policy;
  let connection: PaymentConnection;
  // Every scenario names its own ids, so they share the store without meeting.
  let s: string;

  const newConnection = async (refundAction: RefundAction = 'suspend') =>
    k.paymentConnections.create(systemActor, {
      provider: 'stripe',
      name: `Shop ${unique()}`,
      webhookSecret: 'whsec_test_secret_1234',
      refundAction,
      mappings: [
        { providerItemId: 'price_pro', policyId: pro.id, seatsPerUnit: 1 },
        { providerItemId: 'price_team', policyId: team.id, seatsPerUnit: 5 },
      ],
    });
  const receive = (e: ReceivedPaymentEvent, on = connection) =>
    k.purchases.receive(on.id, e, JSON.stringify({ id: e.providerEventId }));
  const eventsOf = async (on = connection) =>
    k.paymentConnections.listEvents(systemActor.principal, on.id, { before: null, limit: 100 });
  const licensesOf = async (orderOrSubscription: string, on = connection): Promise<License[]> => {
    const purchase = await store.purchases.findByReference(on.id, {
      orderId: orderOrSubscription,
      subscriptionId: orderOrSubscription,
      paymentIds: [],
    });
    return Promise.all((purchase?.lines ?? []).map((l) => k.licenses.get(l.licenseId)));
  };
  const emailsTo = async (to: string) =>
    store.database.db
      .selectFrom('email_messages')
      .select(['kind', 'license_id', 'variables'])
      .where('to_address', '=', to)
      .orderBy('id')
      .execute();
  const checkout = (id: string, email: string | null, extra: Partial<PurchaseEvent> = {}) =>
    event(`evt_${id}`, clock.now(), {
      change: 'purchase_completed',
      buyer: { providerCustomerId: `cus_${id}`, email, name: 'Ada Lovelace' },
      orderId: `cs_${id}`,
      paymentIds: [`pi_${id}`],
      items: [{ providerItemId: 'price_pro', quantity: 3 }],
      ...extra,
    });
  const subscribe = (id: string, email: string, periodEndsAt: Date, occurredAt = clock.now()) =>
    event(`evt_${id}`, occurredAt, {
      change: 'purchase_completed',
      buyer: { providerCustomerId: `cus_${id}`, email, name: null },
      orderId: `cs_${id}`,
      subscriptionId: `sub_${id}`,
      paymentIds: [`in_${id}_1`],
      items: [{ providerItemId: 'price_pro', quantity: 1 }],
      periodEndsAt,
    });
  const onSubscription = (
    eventId: string,
    id: string,
    change: PurchaseEvent['change'],
    occurredAt: Date,
    extra: Partial<PurchaseEvent> = {},
  ) => event(eventId, occurredAt, { change, subscriptionId: `sub_${id}`, ...extra });

  beforeAll(async () => {
    store = await createTestStore(dialect);
    k = createKeyward({
      store,
      clock,
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: (error) => {
        throw error;
      },
    });
    const product = await k.catalog.createProduct(systemActor, { name: 'Studio' });
    pro = await k.catalog.createPolicy(systemActor, { productId: product.id, name: 'Pro', maxMachines: 1 });
    team = await k.catalog.createPolicy(systemActor, { productId: product.id, name: 'Team', maxMachines: 1 });
    connection = await newConnection();
  });
  afterAll(async () => {
    await k.bookkeeping.flush();
    await store.dispose();
  });
  beforeEach(() => {
    s = unique();
    clock.set(T0);
  });

  it('makes a license per mapped item for the buyer, matched by email, and emails its key', async () => {
    const existing = await k.customers.create(systemActor, { name: 'Ada', email: `ada-${s}@example.com` });
    const result = await receive(checkout(s, `ADA-${s}@Example.com`));
    expect(result).toMatchObject({ status: 'applied', duplicate: false });
    const [license, ...more] = await licensesOf(`cs_${s}`);
    expect(more).toEqual([]);
    expect(license).toMatchObject({
      policyId: pro.id,
      customerId: existing.id,
      email: `ada-${s}@example.com`,
    });
    expect(license?.overrides.maxMachines).toBe(3);
    // One-time purchase: the policy's lifetime (none here).
    expect(license?.expiresAt).toBeNull();
    const [stored] = await eventsOf();
    expect(stored).toMatchObject({
      status: 'applied',
      licenseIds: [license?.id],
      outcome: `created license ${license?.id} (Pro, 3 seats) for ada-${s}@example.com`,
    });
    const emails = await emailsTo(`ada-${s}@example.com`);
    expect(emails.map((e) => e.kind)).toEqual(['license_delivered']);
    expect(JSON.parse(emails[0]?.variables ?? '{}')).toEqual({
      licenseKey: license?.key,
      productName: 'Studio',
      policyName: 'Pro',
      customerName: 'Ada',
      expiresAt: '',
      maxMachines: '3',
    });
  });

  it('applies the same provider event once, however often it arrives', async () => {
    const first = await receive(checkout(s, `twice-${s}@example.com`));
    const again = await receive(checkout(s, `twice-${s}@example.com`));
    expect(again).toEqual({ eventId: first.eventId, status: 'applied', duplicate: true });
    expect(await licensesOf(`cs_${s}`)).toHaveLength(1);
    expect(await emailsTo(`twice-${s}@example.com`)).toHaveLength(1);
    // Another event naming the same order (a second webhook type for one checkout) makes nothing either.
    const other = await receive({ ...checkout(s, `twice-${s}@example.com`), providerEventId: `evt_${s}_b` });
    expect(other).toMatchObject({ status: 'ignored', duplicate: false });
    expect(await licensesOf(`cs_${s}`)).toHaveLength(1);
  });

  it('creates the customer when none has the email, and names unmapped items', async () => {
    await receive(
      checkout(s, `new-${s}@example.com`, {
        items: [
          { providerItemId: 'price_team', quantity: 2 },
          { providerItemId: 'price_unknown', quantity: 1 },
        ],
      }),
    );
    const [license] = await licensesOf(`cs_${s}`);
    expect(license?.policyId).toBe(team.id);
    expect(license?.overrides.maxMachines).toBe(10);
    const customer = await k.customers.get(systemActor.principal, license?.customerId as number);
    expect(customer).toMatchObject({ name: 'Ada Lovelace', email: `new-${s}@example.com` });
    expect((await eventsOf())[0]?.outcome).toMatch(/; not mapped: price_unknown$/);
  });

  it('ignores a purchase of nothing mapped, and events it does not act on', async () => {
    const none = await receive(
      checkout(s, `none-${s}@example.com`, { items: [{ providerItemId: 'x', quantity: 1 }] }),
    );
    expect(none.status).toBe('ignored');
    expect((await eventsOf())[0]?.outcome).toBe('no item is mapped to a policy: x');
    const other = await receive(event(`evt_other_${s}`, clock.now(), null));
    expect(other.status).toBe('ignored');
    expect((await eventsOf())[0]?.outcome).toBe('Keyward does not act on ping');
    expect(await licensesOf(`cs_${s}`)).toEqual([]);
  });

  // Subscriptions: each row is a sequence of events in arrival order, and the expiry it must end with.
  const orderings: Array<{
    name: string;
    steps: (id: string) => ReceivedPaymentEvent[];
    statuses: string[];
    expiresAt: Date;
  }> = [
    {
      name: 'a renewal extends to the new period end',
      steps: (id) => [
        subscribe(id, `${id}@example.com`, at(30)),
        onSubscription(`r1_${id}`, id, 'subscription_renewed', at(30), { periodEndsAt: at(60) }),
      ],
      statuses: ['applied', 'applied'],
      expiresAt: at(60),
    },
    {
      name: 'an older renewal arriving late never shortens',
      steps: (id) => [
        subscribe(id, `${id}@example.com`, at(30)),
        onSubscription(`r2_${id}`, id, 'subscription_renewed', at(60), { periodEndsAt: at(90) }),
        onSubscription(`r1_${id}`, id, 'subscription_renewed', at(30), { periodEndsAt: at(60) }),
      ],
      statuses: ['applied', 'applied', 'applied'],
      expiresAt: at(90),
    },
    {
      name: 'a renewal before its order waits, and applies once the order arrives',
      steps: (id) => [
        onSubscription(`r1_${id}`, id, 'subscription_renewed', at(30), { periodEndsAt: at(60) }),
        subscribe(id, `${id}@example.com`, at(30), at(0)),
      ],
      statuses: ['waiting', 'applied'],
      expiresAt: at(60),
    },
    {
      name: 'a cancellation lets the license run to the end of the paid period',
      steps: (id) => [
        subscribe(id, `${id}@example.com`, at(30)),
        onSubscription(`c_${id}`, id, 'subscription_canceled', at(10), { periodEndsAt: at(30) }),
      ],
      statuses: ['applied', 'applied'],
      expiresAt: at(30),
    },
    {
      name: 'a renewal older than the cancellation does not undo it',
      steps: (id) => [
        subscribe(id, `${id}@example.com`, at(30)),
        onSubscription(`c_${id}`, id, 'subscription_canceled', at(35), { periodEndsAt: at(60) }),
        onSubscription(`r1_${id}`, id, 'subscription_renewed', at(30), { periodEndsAt: at(60) }),
      ],
      statuses: ['applied', 'applied', 'ignored'],
      expiresAt: at(60),
    },
    {
      name: 'a cancellation older than the latest renewal changes nothing',
      steps: (id) => [
        subscribe(id, `${id}@example.com`, at(30)),
        onSubscription(`r1_${id}`, id, 'subscription_renewed', at(30), { periodEndsAt: at(60) }),
        onSubscription(`c_${id}`, id, 'subscription_canceled', at(20), { periodEndsAt: at(30) }),
      ],
      statuses: ['applied', 'applied', 'ignored'],
      expiresAt: at(60),
    },
    {
      name: 'a cancellation before its order waits, and ends the license once made',
      steps: (id) => [
        onSubscription(`c_${id}`, id, 'subscription_canceled', at(5), { periodEndsAt: at(30) }),
        subscribe(id, `${id}@example.com`, at(30), at(0)),
      ],
      statuses: ['waiting', 'applied'],
      expiresAt: at(30),
    },
  ];

  it.each(orderings)('$name', async ({ steps, statuses, expiresAt }) => {
    const id = `sub${s}`;
    const sequence = steps(id);
    const seen = [];
    for (const step of sequence) seen.push((await receive(step)).status);
    // Each delivered twice more, in the same order: nothing changes.
    for (const step of sequence) expect((await receive(step)).duplicate).toBe(true);
    expect(seen).toEqual(statuses);
    const [license, ...more] = await licensesOf(`sub_${id}`);
    expect(more).toEqual([]);
    expect(license?.expiresAt?.toISOString()).toBe(expiresAt.toISOString());
    // No event is left waiting once the purchase exists.
    expect((await eventsOf()).filter((e) => e.status === 'waiting')).toEqual([]);
  });

  it('applies an event delivered several times at once exactly once', async () => {
    const same = checkout(s, `race-${s}@example.com`);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => receive(same)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.eventId)).size).toBe(1);
    expect(await licensesOf(`cs_${s}`)).toHaveLength(1);
    expect(await emailsTo(`race-${s}@example.com`)).toHaveLength(1);
  });

  it('ends the same whichever of a renewal and its order lands first when they race', async () => {
    const id = `race${s}`;
    await Promise.all([
      receive(onSubscription(`r1_${id}`, id, 'subscription_renewed', at(30), { periodEndsAt: at(60) })),
      receive(subscribe(id, `${id}@example.com`, at(30), at(0))),
    ]);
    const [license] = await licensesOf(`sub_${id}`);
    expect(license?.expiresAt?.toISOString()).toBe(at(60).toISOString());
    expect((await eventsOf()).filter((e) => e.status === 'waiting')).toEqual([]);
  });

  it('emails a renewal to the buyer', async () => {
    const id = `renew${s}`;
    await receive(subscribe(id, `${id}@example.com`, at(30)));
    await receive(onSubscription(`r_${id}`, id, 'subscription_renewed', at(30), { periodEndsAt: at(60) }));
    const emails = await emailsTo(`${id}@example.com`);
    expect(emails.map((e) => e.kind)).toEqual(['license_delivered', 'license_renewed']);
    expect(JSON.parse(emails[1]?.variables ?? '{}').expiresAt).toBe(emailDate(at(60)));
  });

  it.each([
    ['suspend', { isSuspended: true, revoked: false }],
    ['revoke', { isSuspended: false, revoked: true }],
  ] as const)('a refund before its order waits, then %ss the new license', async (action, expected) => {
    const shop = await newConnection(action);
    expect(
      (await receive(event(`ref_${s}`, at(1), { change: 'payment_reversed', paymentIds: [`pi_${s}`] }), shop))
        .status,
    ).toBe('waiting');
    const created = await receive(checkout(s, `refund-${s}@example.com`), shop);
    expect(created.status).toBe('applied');
    const [license] = await licensesOf(`cs_${s}`, shop);
    expect(license?.isSuspended).toBe(expected.isSuspended);
    expect(license?.revokedAt !== null).toBe(expected.revoked);
    const [refund] = (await eventsOf(shop)).filter((e) => e.providerEventId === `ref_${s}`);
    expect(refund).toMatchObject({
      status: 'applied',
      outcome: `${action === 'revoke' ? 'revoked' : 'suspended'} license ${license?.id}`,
    });
    // A second refund event (a chargeback after the refund) changes nothing more.
    const again = await receive(
      event(`dispute_${s}`, at(2), { change: 'payment_reversed', paymentIds: [`pi_${s}`] }),
      shop,
    );
    expect(again.status).toBe('ignored');
  });

  it('an upgrade moves the license to the new policy and seats; an older change arriving late is ignored', async () => {
    const id = `chg${s}`;
    await receive(subscribe(id, `${id}@example.com`, at(30)));
    const up = await receive(
      onSubscription(`up_${id}`, id, 'subscription_changed', at(10), {
        items: [{ providerItemId: 'price_team', quantity: 2 }],
      }),
    );
    expect(up.status).toBe('applied');
    const [license] = await licensesOf(`sub_${id}`);
    expect(license?.policyId).toBe(team.id);
    expect(license?.overrides.maxMachines).toBe(10);
    const stale = await receive(
      onSubscription(`old_${id}`, id, 'subscription_changed', at(5), {
        items: [{ providerItemId: 'price_pro', quantity: 1 }],
      }),
    );
    expect(stale.status).toBe('ignored');
    const [after] = await licensesOf(`sub_${id}`);
    expect(after?.policyId).toBe(team.id);
    // A downgrade below the machines in use is allowed: they keep running (as the native API allows).
    await k.machines.activate(systemActor, after?.id as number, { fingerprint: 'a' });
    await k.machines.activate(systemActor, after?.id as number, { fingerprint: 'b' });
    await receive(
      onSubscription(`down_${id}`, id, 'subscription_changed', at(20), {
        items: [{ providerItemId: 'price_pro', quantity: 1 }],
      }),
    );
    const [down] = await licensesOf(`sub_${id}`);
    expect(down).toMatchObject({ policyId: pro.id, activationCount: 2 });
    expect(down?.overrides.maxMachines).toBe(1);
  });

  it('a change adding an item makes and delivers its license; an item that left keeps its license as it is', async () => {
    const id = `add${s}`;
    await receive(subscribe(id, `${id}@example.com`, at(30)));
    const [pro1] = await licensesOf(`sub_${id}`);
    const added = await receive(
      onSubscription(`add_${id}`, id, 'subscription_changed', at(3), {
        items: [
          { providerItemId: 'price_pro', quantity: 1 },
          { providerItemId: 'price_team', quantity: 1 },
        ],
      }),
    );
    expect(added.status).toBe('applied');
    const licenses = await licensesOf(`sub_${id}`);
    expect(licenses.map((l) => l.policyId).sort()).toEqual([pro.id, team.id].sort());
    const teamLicense = licenses.find((l) => l.policyId === team.id);
    expect(teamLicense).toMatchObject({ email: `${id}@example.com`, customerId: pro1?.customerId });
    expect(teamLicense?.expiresAt?.toISOString()).toBe(at(30).toISOString());
    expect((await emailsTo(`${id}@example.com`)).map((e) => e.kind)).toEqual([
      'license_delivered',
      'license_delivered',
    ]);
    const dropped = await receive(
      onSubscription(`drop_${id}`, id, 'subscription_changed', at(4), {
        items: [{ providerItemId: 'price_team', quantity: 1 }],
      }),
    );
    expect(dropped.status).toBe('ignored');
    expect((await eventsOf())[0]?.outcome).toBe(
      `license ${pro1?.id} left the subscription and stays as it is`,
    );
    expect(await k.licenses.get(pro1?.id as number)).toMatchObject({
      policyId: pro.id,
      revokedAt: null,
      isSuspended: false,
    });
  });

  it('without an email (Paddle), delivers once the provider names the customer, also when that came first', async () => {
    const late = `paddle${s}`;
    await receive(checkout(late, null));
    const [license] = await licensesOf(`cs_${late}`);
    expect(license).toMatchObject({ email: null, customerId: null });
    const named = await receive(
      event(`ctm_${late}`, at(1), {
        change: 'customer_updated',
        buyer: { providerCustomerId: `cus_${late}`, email: `${late}@example.com`, name: 'Grace' },
      }),
    );
    expect(named.status).toBe('applied');
    const [delivered] = await licensesOf(`cs_${late}`);
    expect(delivered?.email).toBe(`${late}@example.com`);
    expect(delivered?.customerId).not.toBeNull();
    expect((await emailsTo(`${late}@example.com`)).map((e) => e.kind)).toEqual(['license_delivered']);

    const early = `paddle2${s}`;
    const first = await receive(
      event(`ctm_${early}`, at(0), {
        change: 'customer_updated',
        buyer: { providerCustomerId: `cus_${early}`, email: `${early}@example.com`, name: null },
      }),
    );
    expect(first.status).toBe('waiting');
    await receive(checkout(early, null));
    const [then] = await licensesOf(`cs_${early}`);
    expect(then?.email).toBe(`${early}@example.com`);
    expect((await emailsTo(`${early}@example.com`)).map((e) => e.kind)).toEqual(['license_delivered']);
  });

  it('a failure is recorded, answered UNAVAILABLE, and applied again when the provider retries', async () => {
    const product = await k.catalog.createProduct(systemActor, { name: `Gone ${s}` });
    const doomed = await k.catalog.createPolicy(systemActor, { productId: product.id, name: 'Doomed' });
    const shop = await k.paymentConnections.create(systemActor, {
      provider: 'stripe',
      name: 'failing',
      webhookSecret: 'whsec_test_secret_1234',
      mappings: [{ providerItemId: 'price_pro', policyId: doomed.id, seatsPerUnit: 1 }],
    });
    await k.catalog.deletePolicy(systemActor, doomed.id);
    const failure = await receive(checkout(s, `fail-${s}@example.com`), shop).catch(
      (error: unknown) => error,
    );
    expect(isDomainError(failure) && failure.code).toBe('UNAVAILABLE');
    const [failed] = await eventsOf(shop);
    expect(failed).toMatchObject({ status: 'failed', outcome: null });
    expect(failed?.error).toMatch(/policy/);
    // Nothing of the attempt stayed: no customer, no license.
    expect(
      await k.customers.list(systemActor.principal, {
        email: `fail-${s}@example.com`,
        after: null,
        limit: 5,
      }),
    ).toEqual([]);
    await k.paymentConnections.update(systemActor, shop.id, {
      mappings: [{ providerItemId: 'price_pro', policyId: pro.id, seatsPerUnit: 1 }],
    });
    const retried = await receive(checkout(s, `fail-${s}@example.com`), shop);
    expect(retried).toMatchObject({ eventId: failed?.id, status: 'applied', duplicate: false });
    expect(await licensesOf(`cs_${s}`, shop)).toHaveLength(1);
  });

  it('answers which purchase each license came from', async () => {
    await receive(checkout(s, `which-${s}@example.com`));
    const [license] = await licensesOf(`cs_${s}`);
    const [purchase, ...more] = await k.purchases.purchasesOfLicenses([license?.id as number]);
    expect(more).toEqual([]);
    expect(purchase).toMatchObject({
      provider: 'stripe',
      orderId: `cs_${s}`,
      paymentIds: [`pi_${s}`],
      lines: [{ licenseId: license?.id, providerItemId: 'price_pro', quantity: 3 }],
      status: 'paid',
    });
  });

  /** Lemon Squeezy's subscription purchase: its order (no subscription, no period), and the subscription. */
  const lemonOrder = (id: string, email: string, occurredAt: Date) =>
    event(`order_created:${id}`, occurredAt, {
      change: 'purchase_completed',
      buyer: { providerCustomerId: `c_${id}`, email, name: null },
      orderId: `o_${id}`,
      paymentIds: [`o_${id}`],
      items: [{ providerItemId: 'price_pro', quantity: 1 }],
    });
  const lemonSubscription = (id: string, email: string, periodEndsAt: Date, occurredAt: Date) =>
    event(`subscription_created:${id}`, occurredAt, {
      change: 'purchase_completed',
      buyer: { providerCustomerId: `c_${id}`, email, name: null },
      orderId: `o_${id}`,
      subscriptionId: `sub_${id}`,
      items: [{ providerItemId: 'price_pro', quantity: 1 }],
      periodEndsAt,
    });

  for (const order of ['order first', 'subscription first'] as const) {
    it(`completes a purchase named twice (${order}) once, linked to its subscription and running to its period`, async () => {
      const email = `lemon-${s}@example.com`;
      const completions = [lemonOrder(s, email, at(0)), lemonSubscription(s, email, at(30), at(0))];
      if (order === 'subscription first') completions.reverse();
      for (const completion of completions) await receive(completion);
      const licenses = await licensesOf(`sub_${s}`);
      expect(licenses).toHaveLength(1);
      expect(licenses[0]?.expiresAt).toEqual(at(30));
      expect((await emailsTo(email)).map((m) => m.kind)).toEqual(['license_delivered']);
      // A renewal by subscription id finds the purchase the order made.
      clock.set(at(29));
      await receive(
        onSubscription(`evt_renew_${s}`, s, 'subscription_renewed', at(29), { periodEndsAt: at(60) }),
      );
      expect((await licensesOf(`o_${s}`))[0]?.expiresAt).toEqual(at(60));
    });
  }

  it("moves the licenses to a later period a change names (Lemon Squeezy's renewal), never earlier", async () => {
    const email = `lemon-change-${s}@example.com`;
    await receive(lemonSubscription(s, email, at(30), at(0)));
    const paid = await receive(onSubscription(`evt_paid_${s}`, s, 'subscription_renewed', at(29)));
    expect(paid.status).toBe('ignored');
    const item = [{ providerItemId: 'price_pro', quantity: 1 }];
    await receive(
      onSubscription(`evt_upd_${s}`, s, 'subscription_changed', at(29.5), {
        items: item,
        periodEndsAt: at(60),
      }),
    );
    expect((await licensesOf(`sub_${s}`))[0]?.expiresAt).toEqual(at(60));
    expect((await emailsTo(email)).map((m) => m.kind)).toEqual(['license_delivered', 'license_renewed']);
    await receive(
      onSubscription(`evt_old_${s}`, s, 'subscription_changed', at(29.7), {
        items: item,
        periodEndsAt: at(30),
      }),
    );
    expect((await licensesOf(`sub_${s}`))[0]?.expiresAt).toEqual(at(60));
  });

  it('refuses an event for a connection that does not exist', async () => {
    const refusal = await k.purchases.receive(999_999, checkout(s, null), '{}').catch((e: unknown) => e);
    expect(isDomainError(refusal) && refusal.code).toBe('NOT_FOUND');
  });
});
