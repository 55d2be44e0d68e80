import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../core/access/actor.js';
import type { Policy } from '../../core/model.js';
import { hmacPaymentAdapter, hmacSignature } from '../../test-support/hmac-payment-adapter.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { testDialects } from '../../test-support/test-store.js';
import { MalformedPaymentEvent } from './malformed-payment-event.js';
import type { PaymentAdapter } from './payment-adapter.js';
import { MAX_PAYMENT_WEBHOOK_BYTES, PAYMENT_WEBHOOK_PREFIX } from './payment-webhooks.js';
import { ProviderApiUnavailable } from './provider-api-unavailable.js';

const SECRET = 'whsec_route_test_secret';
/**
 * The HMAC adapter, failing after the signature check on two event types the way the real adapters do: the
 * Stripe adapter when it cannot ask Stripe's API, any adapter for a body that is not its provider's event.
 */
const testAdapter: PaymentAdapter = {
  provider: 'stripe',
  async receive(input) {
    const event = await hmacPaymentAdapter.receive(input);
    if (event.providerEventType === 'test.api_unavailable')
      throw new ProviderApiUnavailable('API_KEY_MISSING', 'the connection has no API key to read line items');
    if (event.providerEventType === 'test.malformed')
      throw new MalformedPaymentEvent('data.object is missing');
    if (event.providerEventType === 'test.unexpected') throw new TypeError('secret internals');
    return event;
  },
};
const sign = (body: string, at: Date, secret = SECRET) => hmacSignature(body, at, secret);

for (const dialect of await testDialects()) {
  describe(`receiving payment webhooks (${dialect})`, () => {
    let t: TestApp;
    let policy: Policy;
    let connectionId: number;
    let n = 0;
    const checkout = (price = 'price_pro') =>
      // Spacing and key order as a provider might send them: the signature holds only over these exact bytes.
      `{ "type" : "checkout.session.completed",\n  "id":"evt_${dialect}_${++n}", "created": ${Math.floor(
        t.clock.now().getTime() / 1000,
      )}, "email": "Buyer${n}@Example.com", "price": "${price}" }`;
    const post = (body: string, headers: Record<string, string> = {}, id = connectionId) =>
      t.call({
        method: 'POST',
        url: `${PAYMENT_WEBHOOK_PREFIX}/${id}`,
        token: null,
        headers: {
          'content-type': 'application/json',
          'x-test-signature': sign(body, t.clock.now()),
          ...headers,
        },
        payload: body,
      });
    const events = async (id = connectionId) =>
      (await t.call({ method: 'GET', url: `/v1/payment-connections/${id}/events` })).json().data as Array<{
        id: number;
        status: string;
        outcome: string | null;
        error: string | null;
        licenseIds: number[];
      }>;

    beforeAll(async () => {
      t = await createTestApp(dialect, { paymentAdapters: { stripe: testAdapter } });
      const product = await t.keyward.catalog.createProduct(systemActor, { name: 'Routed' });
      policy = await t.keyward.catalog.createPolicy(systemActor, { productId: product.id, name: 'Pro' });
      const created = await t.call({
        method: 'POST',
        url: '/v1/payment-connections',
        payload: {
          provider: 'stripe',
          name: 'Shop',
          webhookSecret: SECRET,
          mappings: [{ providerItemId: 'price_pro', policyId: policy.id, seatsPerUnit: 3 }],
        },
      });
      expect(created.statusCode).toBe(201);
      connectionId = created.json().id;
    });
    afterAll(() => t.dispose());

    it('turns a signed purchase into a license and answers received', async () => {
      const body = checkout();
      const answer = await post(body);
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({ received: true });
      const [event] = await events();
      expect(event?.status).toBe('applied');
      const license = await t.keyward.licenses.get(event?.licenseIds[0] as number);
      expect(license).toMatchObject({ policyId: policy.id, email: `buyer${n}@example.com` });
      expect(license.overrides.maxMachines).toBe(6);
      // The detail keeps the body exactly as sent.
      const detail = await t.call({
        method: 'GET',
        url: `/v1/payment-connections/${connectionId}/events/${event?.id}`,
      });
      expect(detail.json()).toMatchObject({
        payload: body,
        isPayloadTruncated: false,
        providerEventType: 'checkout.session.completed',
      });
    });

    it('answers a second delivery of the same event as a duplicate, changing nothing', async () => {
      const body = checkout();
      expect((await post(body)).json()).toEqual({ received: true });
      const before = await events();
      const again = await post(body);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ received: true, duplicate: true });
      expect(await events()).toEqual(before);
    });

    it.each([
      [
        'a forged signature',
        (body: string) => ({ 'x-test-signature': sign(body, new Date(), 'whsec_someone_else') }),
      ],
      ['no signature', () => ({ 'x-test-signature': '' })],
      [
        'a stale timestamp',
        (body: string) => ({ 'x-test-signature': sign(body, new Date(Date.now() - 3_600_000)) }),
      ],
    ])('refuses %s with 400 and stores nothing', async (_name, headers) => {
      const before = await events();
      const body = checkout();
      const answer = await post(body, headers(body));
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error).toMatchObject({ code: 'INVALID_INPUT' });
      expect(answer.json().error.message).toMatch(/^signature refused/);
      expect(await events()).toEqual(before);
    });

    it('refuses a body changed after signing', async () => {
      const body = checkout();
      const answer = await post(body.replace('price_pro', 'price_xxx'), {
        'x-test-signature': sign(body, t.clock.now()),
      });
      expect(answer.statusCode).toBe(400);
    });

    it('refuses a signed body that is not JSON with 400', async () => {
      const answer = await post('not json at all');
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error.message).toBe('the body is not JSON');
    });

    it('answers 404 for a connection that does not exist', async () => {
      const answer = await post(checkout(), {}, 987_654);
      expect(answer.statusCode).toBe(404);
      expect(answer.json().error.code).toBe('NOT_FOUND');
      expect((await post(checkout(), {}, 0)).statusCode).toBe(400);
    });

    it('keeps a large body cut at 256 KiB, saying so', async () => {
      const body = JSON.stringify({
        id: `evt_${dialect}_large`,
        type: 'invoice.created',
        created: Math.floor(t.clock.now().getTime() / 1000),
        pad: 'x'.repeat(300 * 1024),
      });
      expect((await post(body)).json()).toEqual({ received: true });
      const [event] = await events();
      const detail = (
        await t.call({ method: 'GET', url: `/v1/payment-connections/${connectionId}/events/${event?.id}` })
      ).json();
      expect(detail).toMatchObject({ status: 'ignored', isPayloadTruncated: true });
      expect(detail.payload).toBe(body.slice(0, 256 * 1024));
    });

    it('refuses a body over the limit with 413', async () => {
      const answer = await post(`{"pad":"${'x'.repeat(MAX_PAYMENT_WEBHOOK_BYTES)}"}`);
      expect(answer.statusCode).toBe(413);
    });

    it('answers 503 when applying fails, records why, and applies the retry once the cause is fixed', async () => {
      const doomed = await t.keyward.catalog.createPolicy(systemActor, {
        productId: policy.productId,
        name: 'Doomed',
      });
      const shop = await t.call({
        method: 'POST',
        url: '/v1/payment-connections',
        payload: {
          provider: 'stripe',
          name: 'Failing shop',
          webhookSecret: SECRET,
          mappings: [{ providerItemId: 'price_doomed', policyId: doomed.id, seatsPerUnit: 1 }],
        },
      });
      const shopId = shop.json().id as number;
      await t.keyward.catalog.deletePolicy(systemActor, doomed.id);
      const body = checkout('price_doomed');
      const failed = await post(body, {}, shopId);
      expect(failed.statusCode).toBe(503);
      expect(failed.json().error).toMatchObject({ code: 'UNAVAILABLE' });
      expect(failed.json().error.message).toMatch(/could not be applied .*policy/);
      const [event] = await events(shopId);
      expect(event).toMatchObject({ status: 'failed', licenseIds: [] });
      expect(event?.error).toMatch(/policy/);
      const fixed = await t.call({
        method: 'PATCH',
        url: `/v1/payment-connections/${shopId}`,
        payload: { mappings: [{ providerItemId: 'price_doomed', policyId: policy.id, seatsPerUnit: 1 }] },
      });
      expect(fixed.statusCode).toBe(200);
      const retried = await post(body, {}, shopId);
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toEqual({ received: true });
      expect((await events(shopId))[0]).toMatchObject({ id: event?.id, status: 'applied' });
    });

    it('answers 503 to deliveries before the webhook secret is set, and applies the retry after', async () => {
      const created = await t.call({
        method: 'POST',
        url: '/v1/payment-connections',
        payload: {
          provider: 'stripe',
          name: 'Secret later',
          mappings: [{ providerItemId: 'price_pro', policyId: policy.id, seatsPerUnit: 1 }],
        },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ hasWebhookSecret: false, webhookSecretHint: null });
      const laterId = created.json().id as number;
      const body = checkout();
      const early = await post(body, {}, laterId);
      expect(early.statusCode).toBe(503);
      expect(early.json().error).toMatchObject({
        code: 'UNAVAILABLE',
        message: `payment connection ${laterId} has no webhook secret yet: paste the signing secret the provider shows for this endpoint`,
      });
      expect(await events(laterId)).toEqual([]);
      const set = await t.call({
        method: 'PATCH',
        url: `/v1/payment-connections/${laterId}`,
        payload: { webhookSecret: SECRET },
      });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toMatchObject({ hasWebhookSecret: true, webhookSecretHint: '…cret' });
      // The provider's retry: the same bytes, signed with the secret the vendor just pasted.
      const retried = await post(body, {}, laterId);
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toEqual({ received: true });
      const [event] = await events(laterId);
      expect(event).toMatchObject({ status: 'applied' });
      expect(event?.licenseIds).toHaveLength(1);
    });

    const signedOfType = (type: string) =>
      JSON.stringify({
        id: `evt_${dialect}_${++n}`,
        type,
        created: Math.floor(t.clock.now().getTime() / 1000),
      });

    it("answers 503 with the adapter's message when the provider's API cannot be asked, storing nothing", async () => {
      const before = await events();
      const answer = await post(signedOfType('test.api_unavailable'));
      expect(answer.statusCode).toBe(503);
      expect(answer.json().error).toMatchObject({
        code: 'UNAVAILABLE',
        message: 'the connection has no API key to read line items',
      });
      expect(await events()).toEqual(before);
    });

    it('answers 400 to a signed body that is not the event its provider documents, storing nothing', async () => {
      const before = await events();
      const answer = await post(signedOfType('test.malformed'));
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error).toMatchObject({
        code: 'INVALID_INPUT',
        message: 'the event could not be read: data.object is missing',
      });
      expect(await events()).toEqual(before);
    });

    it('answers 503 without the details when an adapter fails unexpectedly', async () => {
      const before = await events();
      const answer = await post(signedOfType('test.unexpected'));
      expect(answer.statusCode).toBe(503);
      expect(answer.json().error.code).toBe('UNAVAILABLE');
      expect(answer.body).not.toContain('secret internals');
      expect(await events()).toEqual(before);
    });

    it('answers 503 for a provider this server has no adapter for', async () => {
      const paddle = await t.call({
        method: 'POST',
        url: '/v1/payment-connections',
        payload: { provider: 'paddle', name: 'Paddle', webhookSecret: 'pdl_ntfset_secret' },
      });
      const answer = await post(checkout(), {}, paddle.json().id);
      expect(answer.statusCode).toBe(503);
    });
  });
}
