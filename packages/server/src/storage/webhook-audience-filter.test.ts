import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointWants, webhookAudience } from '../core/events/webhook-event-filter.js';
import type { WebhookEndpoint } from '../core/events/webhook-ports.js';
import type { DomainEvent } from '../core/model.js';
import { T0 } from '../test-support/store-inputs.js';
import { createTestStore, type TestDialect, testDialects } from '../test-support/test-store.js';
import { audienceTerms, endpointsHearing } from './repositories/webhook-audience-sql.js';

/**
 * Core decides which endpoints want an event (endpointWants, core/events/webhook-event-filter.ts); a write that
 * records an event and queues its deliveries in one statement asks the same in SQL
 * (repositories/webhook-audience-sql.ts). This contract holds them together: on both databases, every event of
 * the table below selects exactly the endpoints core says want it — patterns (`*`, `group.*`, exact, and some
 * that only look alike), products named or not, import records and summaries, webhook tests, disabled endpoints.
 */

const dialects: TestDialect[] = await testDialects();
const P1 = 11;
const P2 = 12;

type EndpointFacts = Pick<
  WebhookEndpoint,
  'eventTypes' | 'productIds' | 'isEnabled' | 'includeImportRecords'
>;
const endpoint = (facts: Partial<EndpointFacts>): EndpointFacts => ({
  eventTypes: ['*'],
  productIds: [],
  isEnabled: true,
  includeImportRecords: false,
  ...facts,
});

const ENDPOINTS: EndpointFacts[] = [
  endpoint({}),
  endpoint({ isEnabled: false }),
  endpoint({ includeImportRecords: true }),
  endpoint({ eventTypes: ['machine.*'] }),
  endpoint({ eventTypes: ['machine.activated'], productIds: [P1] }),
  endpoint({ eventTypes: ['machine.activated'], productIds: [P1], isEnabled: false }),
  endpoint({ eventTypes: ['license.*'], productIds: [P1, P2] }),
  endpoint({ eventTypes: ['license.imported'], productIds: [P2], includeImportRecords: true }),
  endpoint({ eventTypes: ['import.*'] }),
  endpoint({ eventTypes: ['customer.created'] }),
  endpoint({ eventTypes: ['customer.created'], includeImportRecords: true }),
  endpoint({ eventTypes: [] }),
  endpoint({ eventTypes: ['machine.activated', 'license.created'], productIds: [P2] }),
  // Patterns that only look like a match: case, a prefix without its dot, LIKE's wildcards, a bare `.*`.
  endpoint({ eventTypes: ['Machine.activated', 'machine', 'machin.*', 'machine.activate_', 'machine.%'] }),
  endpoint({ eventTypes: ['.*'] }),
  endpoint({ eventTypes: ['machine.lease.*', 'import.completed'] }),
  endpoint({ eventTypes: ['*'], productIds: [P2] }),
];

type EventFacts = Pick<DomainEvent, 'type' | 'productId' | 'data'>;
const event = (type: string, productId: number | null, data: Record<string, unknown> = {}): EventFacts => ({
  type,
  productId,
  data: { via: 'native', ...data },
});

/** Events of the table; webhook tests name endpoints by their position in ENDPOINTS. */
function eventsFor(ids: number[]): Array<{ name: string; event: EventFacts }> {
  const named = (name: string, facts: EventFacts) => ({ name, event: facts });
  return [
    named('machine.activated of P1', event('machine.activated', P1)),
    named('machine.activated of P2', event('machine.activated', P2)),
    named('machine.activated of no product', event('machine.activated', null)),
    named('machine.deactivated of P1', event('machine.deactivated', P1)),
    named('machines.activated (not machine.*)', event('machines.activated', P1)),
    named('machine (no group)', event('machine', P1)),
    named('machine.lease.renewed (two groups)', event('machine.lease.renewed', P2)),
    named('.hidden (matches `.*`)', event('.hidden', null)),
    named('license.created of P1', event('license.created', P1)),
    named('license.created of P2', event('license.created', P2)),
    named(
      'license.imported, a record of an import',
      event('license.imported', P2, { via: 'import:cryptolens' }),
    ),
    named(
      'customer.created, a record of an import',
      event('customer.created', null, { via: 'import:limelm' }),
    ),
    named('customer.created, not imported', event('customer.created', null, { via: 'dashboard' })),
    named(
      'import.completed with records of P2',
      event('import.completed', null, {
        via: 'import:cryptolens',
        productIds: [P2],
        recordTypes: ['license.imported', 'customer.created'],
      }),
    ),
    named(
      'import.completed with machine records of P1',
      event('import.completed', null, { productIds: [P1], recordTypes: ['machine.activated'] }),
    ),
    named('import.failed without records', event('import.failed', null, { productIds: [], recordTypes: [] })),
    named('webhook.test to an enabled endpoint', event('webhook.test', null, { webhookId: ids[4] })),
    named('webhook.test to a disabled endpoint', event('webhook.test', null, { webhookId: ids[1] })),
    named(
      'webhook.test naming an endpoint by text',
      event('webhook.test', null, { webhookId: String(ids[0]) }),
    ),
    named('webhook.test naming no endpoint', event('webhook.test', null)),
  ];
}

describe.each(dialects)('the webhook audience filter on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let endpoints: WebhookEndpoint[];

  beforeAll(async () => {
    store = await createTestStore(dialect);
    endpoints = [];
    for (const [i, facts] of ENDPOINTS.entries()) {
      endpoints.push(
        await store.webhooks.insertEndpoint({
          ...facts,
          url: `https://hooks.example/${i}`,
          description: null,
          sealedSecret: 'sealed',
          createdAt: T0,
          updatedAt: T0,
        }),
      );
    }
  });
  afterAll(() => store.dispose());

  const selected = async (facts: EventFacts) => {
    const { db, adapter } = store.database;
    const rows = await db
      .selectFrom('webhook_endpoints')
      .select('id')
      .where(endpointsHearing(audienceTerms(webhookAudience(facts)), adapter))
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  };
  const wanting = (facts: EventFacts) => endpoints.filter((e) => endpointWants(e, facts)).map((e) => e.id);

  it('has events that some endpoints want and others do not, and endpoints that hear some of them', () => {
    const cases = eventsFor(endpoints.map((e) => e.id));
    for (const { event } of cases.slice(0, 3)) {
      expect(wanting(event).length).toBeGreaterThan(0);
      expect(wanting(event).length).toBeLessThan(endpoints.length);
    }
    const heard = new Set(cases.flatMap(({ event }) => wanting(event)));
    expect(heard.size).toBeGreaterThan(endpoints.length / 2);
  });

  it('selects exactly the endpoints core says want each event', async () => {
    for (const { name, event } of eventsFor(endpoints.map((e) => e.id))) {
      expect({ name, ids: await selected(event) }).toEqual({ name, ids: wanting(event) });
    }
  });
});
