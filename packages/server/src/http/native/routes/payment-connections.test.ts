import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/access/actor.js';
import type { Policy } from '../../../core/model.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

const SECRET = 'whsec_connection_route_secret_Abcd';
const API_KEY = 'rk_test_restricted_key_Wxyz';

for (const dialect of await testDialects()) {
  describe(`payment connection routes (${dialect})`, () => {
    let t: TestApp;
    let policy: Policy;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      const product = await t.keyward.catalog.createProduct(systemActor, { name: 'Connected' });
      policy = await t.keyward.catalog.createPolicy(systemActor, { productId: product.id, name: 'Pro' });
    });
    afterAll(() => t.dispose());

    const create = (payload: Record<string, unknown>) =>
      t.call({ method: 'POST', url: '/v1/payment-connections', payload });
    const valid = () => ({
      provider: 'stripe',
      name: 'Stripe live',
      webhookSecret: SECRET,
      apiKey: API_KEY,
      refundAction: 'revoke',
      mappings: [{ providerItemId: 'price_pro', policyId: policy.id, seatsPerUnit: 2 }],
    });

    it('connects a provider and never answers or stores its secrets in plain text', async () => {
      const answer = await create(valid());
      expect(answer.statusCode).toBe(201);
      const connection = answer.json();
      expect(connection).toMatchObject({
        provider: 'stripe',
        name: 'Stripe live',
        refundAction: 'revoke',
        hasWebhookSecret: true,
        webhookSecretHint: '…Abcd',
        hasApiKey: true,
        apiKeyHint: '…Wxyz',
        webhookPath: `/payments/webhooks/${connection.id}`,
        mappings: [{ providerItemId: 'price_pro', policyId: policy.id, seatsPerUnit: 2 }],
      });
      expect(answer.body).not.toContain(SECRET);
      expect(answer.body).not.toContain(API_KEY);
      const row = await t.store.database.db
        .selectFrom('payment_connections')
        .selectAll()
        .where('id', '=', connection.id)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(SECRET);
      expect(JSON.stringify(row)).not.toContain(API_KEY);
      // Only the receiver gets them opened.
      expect(await t.keyward.paymentConnections.secretsForVerifying(connection.id)).toEqual({
        provider: 'stripe',
        webhookSecret: SECRET,
        apiKey: API_KEY,
      });
      const read = await t.call({ method: 'GET', url: `/v1/payment-connections/${connection.id}` });
      expect(read.json()).toEqual(connection);
      const list = await t.call({ method: 'GET', url: '/v1/payment-connections' });
      expect(list.json().data).toContainEqual(connection);
    });

    it.each([
      ['an unknown provider', { provider: 'paypal' }, 400],
      ['a short secret', { webhookSecret: 'short' }, 400],
      ['a seat count of 0', { mappings: [{ providerItemId: 'p', policyId: 1, seatsPerUnit: 0 }] }, 400],
      ['an unknown field', { extra: true }, 400],
      [
        'a mapping to a policy that does not exist',
        { mappings: [{ providerItemId: 'p', policyId: 999_999, seatsPerUnit: 1 }] },
        404,
      ],
    ])('refuses %s', async (_name, change, status) => {
      const before = (await t.call({ method: 'GET', url: '/v1/payment-connections' })).json().data.length;
      const answer = await create({ ...valid(), ...change });
      expect(answer.statusCode).toBe(status);
      expect(answer.json().error).toBeDefined();
      expect((await t.call({ method: 'GET', url: '/v1/payment-connections' })).json().data).toHaveLength(
        before,
      );
    });

    it('refuses an item mapped twice', async () => {
      const mapping = { providerItemId: 'price_twice', policyId: policy.id, seatsPerUnit: 1 };
      const answer = await create({ ...valid(), mappings: [mapping, mapping] });
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error.message).toMatch(/mapped twice/);
    });

    it('changes the secret, removes the API key and replaces the mappings', async () => {
      const { id } = (await create(valid())).json();
      const answer = await t.call({
        method: 'PATCH',
        url: `/v1/payment-connections/${id}`,
        payload: {
          webhookSecret: 'whsec_rotated_secret_9876',
          apiKey: null,
          mappings: [{ providerItemId: 'price_team', policyId: policy.id, seatsPerUnit: 5 }],
        },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({
        webhookSecretHint: '…9876',
        hasApiKey: false,
        apiKeyHint: null,
        mappings: [{ providerItemId: 'price_team', policyId: policy.id, seatsPerUnit: 5 }],
      });
      expect(await t.keyward.paymentConnections.secretsForVerifying(id)).toMatchObject({
        webhookSecret: 'whsec_rotated_secret_9876',
        apiKey: null,
      });
      const missing = await t.call({
        method: 'PATCH',
        url: '/v1/payment-connections/999999',
        payload: { name: 'x' },
      });
      expect(missing.statusCode).toBe(404);
    });

    it.each([
      ['without a webhook secret', {}],
      ['with a null webhook secret', { webhookSecret: null }],
    ])('connects %s, to set it once the provider shows it', async (_name, secret) => {
      const { webhookSecret: _, ...withoutSecret } = valid();
      const answer = await create({ ...withoutSecret, ...secret });
      expect(answer.statusCode).toBe(201);
      const connection = answer.json();
      expect(connection).toMatchObject({
        hasWebhookSecret: false,
        webhookSecretHint: null,
        hasApiKey: true,
        webhookPath: `/payments/webhooks/${connection.id}`,
      });
      expect(await t.keyward.paymentConnections.secretsForVerifying(connection.id)).toEqual({
        provider: 'stripe',
        webhookSecret: null,
        apiKey: API_KEY,
      });
      const list = await t.call({ method: 'GET', url: '/v1/payment-connections' });
      expect(list.json().data).toContainEqual(connection);
      const set = await t.call({
        method: 'PATCH',
        url: `/v1/payment-connections/${connection.id}`,
        payload: { webhookSecret: SECRET },
      });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toMatchObject({ hasWebhookSecret: true, webhookSecretHint: '…Abcd' });
      expect(set.body).not.toContain(SECRET);
      expect(await t.keyward.paymentConnections.secretsForVerifying(connection.id)).toMatchObject({
        webhookSecret: SECRET,
      });
    });

    it('refuses to remove a webhook secret: once set, it is only replaced', async () => {
      const { id } = (await create(valid())).json();
      const answer = await t.call({
        method: 'PATCH',
        url: `/v1/payment-connections/${id}`,
        payload: { webhookSecret: null },
      });
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error.code).toBe('INVALID_INPUT');
      expect(answer.json().error.message).toMatch(/webhookSecret/);
      expect(await t.keyward.paymentConnections.secretsForVerifying(id)).toMatchObject({
        webhookSecret: SECRET,
      });
      // Core refuses it too, for callers that do not come through the schema.
      await expect(
        t.keyward.paymentConnections.update(systemActor, id, {
          webhookSecret: null as unknown as string,
        }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/cannot be removed/) });
      expect(await t.keyward.paymentConnections.secretsForVerifying(id)).toMatchObject({
        webhookSecret: SECRET,
      });
    });

    it('deletes a connection; its webhook URL answers 404 from then on', async () => {
      const { id } = (await create(valid())).json();
      expect((await t.call({ method: 'DELETE', url: `/v1/payment-connections/${id}` })).statusCode).toBe(204);
      expect((await t.call({ method: 'GET', url: `/v1/payment-connections/${id}` })).statusCode).toBe(404);
      expect((await t.call({ method: 'DELETE', url: `/v1/payment-connections/${id}` })).statusCode).toBe(404);
      const hook = await t.call({
        method: 'POST',
        url: `/payments/webhooks/${id}`,
        token: null,
        payload: '{}',
      });
      expect(hook.statusCode).toBe(404);
    });

    it("pages a connection's events newest first, and reads one with its body", async () => {
      const { id } = (await create(valid())).json();
      const ids: number[] = [];
      for (const n of [1, 2, 3]) {
        const result = await t.keyward.purchases.receive(
          id,
          {
            providerEventId: `evt_${n}`,
            providerEventType: 'customer.created',
            occurredAt: t.clock.now(),
            purchase: null,
          },
          `{"n":${n}}`,
        );
        ids.push(result.eventId);
      }
      const first = (
        await t.call({ method: 'GET', url: `/v1/payment-connections/${id}/events?limit=2` })
      ).json();
      expect(first.data.map((e: { id: number }) => e.id)).toEqual([ids[2], ids[1]]);
      expect(first.data[0]).toMatchObject({
        providerEventId: 'evt_3',
        status: 'ignored',
        outcome: 'Keyward does not act on customer.created',
        change: null,
      });
      expect(first.data[0].payload).toBeUndefined();
      const second = (
        await t.call({
          method: 'GET',
          url: `/v1/payment-connections/${id}/events?limit=2&after=${first.nextCursor}`,
        })
      ).json();
      expect(second.data.map((e: { id: number }) => e.id)).toEqual([ids[0]]);
      const detail = await t.call({ method: 'GET', url: `/v1/payment-connections/${id}/events/${ids[0]}` });
      expect(detail.json()).toMatchObject({ id: ids[0], payload: '{"n":1}', isPayloadTruncated: false });
      // An event of another connection is not found through this one.
      const other = (await create(valid())).json();
      const elsewhere = await t.call({
        method: 'GET',
        url: `/v1/payment-connections/${other.id}/events/${ids[0]}`,
      });
      expect(elsewhere.statusCode).toBe(404);
      expect((await t.call({ method: 'GET', url: '/v1/payment-connections/999999/events' })).statusCode).toBe(
        404,
      );
    });
  });
}

describeRouteSecurity('payment-connections');
