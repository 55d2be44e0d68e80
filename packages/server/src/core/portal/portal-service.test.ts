import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  createLicense,
  expectError,
  expectStatus,
  post,
  productWithPolicy,
} from '../../test-support/native-calls.js';
import {
  requestLink,
  setUpPortal,
  signInMessages,
  signInToPortal,
  TEST_PUBLIC_URL,
} from '../../test-support/portal.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { testDialects } from '../../test-support/test-store.js';
import { isDomainError } from '../domain-error.js';
import { encodeOfflineRequest } from '../signing/offline-exchange.js';
import { LINK_SECONDS, SESSION_IDLE_SECONDS, SESSION_SECONDS } from './portal-service.js';

/** What a customer may reach, decided in core: sign-in links, sessions, ownership and allowed actions. */
for (const dialect of await testDialects()) {
  describe(`customer portal (${dialect})`, () => {
    let t: TestApp;
    let policyId: number;
    beforeAll(async () => {
      t = await createTestApp(dialect, { publicUrl: TEST_PUBLIC_URL });
      ({
        policy: { id: policyId },
      } = await productWithPolicy(t, { maxMachines: 3, maxDeactivations: 1 }));
      await setUpPortal(t);
    });
    afterAll(() => t.dispose());

    /** Each test asks from its own address, so the throttle of one does not spill into another. */
    let lastIp = 0;
    const freshIp = () => `198.51.100.${++lastIp}`;

    it('answers a sign-in request the same whether or not the address owns a license, and mails only an owner', async () => {
      await createLicense(t, policyId, { email: 'Owner@Example.com' });
      const before = (await signInMessages(t)).length;
      const owner = await requestLink(t, 'owner@example.com', freshIp());
      const stranger = await requestLink(t, 'nobody@example.com', freshIp());
      expect(owner.statusCode).toBe(202);
      expect(stranger.statusCode).toBe(202);
      expect(stranger.json()).toEqual(owner.json());
      const messages = await signInMessages(t);
      expect(messages.length).toBe(before + 1);
      expect(messages[0]?.to).toBe('owner@example.com');
      expect(messages[0]?.url).toMatch(
        new RegExp(`^${TEST_PUBLIC_URL}/portal/sign-in#kwl_[A-Za-z0-9_-]{43}$`),
      );
      // The link is stored hashed only.
      const stored = await t.store.database.db.selectFrom('portal_sign_in_links').selectAll().execute();
      expect(JSON.stringify(stored)).not.toContain(messages[0]?.token);
    });

    it('finds a customer by the address of the license or of its customer, ignoring case', async () => {
      const customer = await post(t, '/v1/customers', { name: 'Carol', email: 'CAROL@example.com' });
      const byCustomer = await createLicense(t, policyId, { customerId: customer.id });
      const byOwnEmail = await createLicense(t, policyId, { email: 'carol@EXAMPLE.com' });
      await createLicense(t, policyId, { email: 'someone-else@example.com' });
      const carol = await signInToPortal(t, 'Carol@Example.com');
      const { items } = await expectStatus(carol.call({ method: 'GET', url: '/portal/api/licenses' }), 200);
      expect(items.map((l: { id: number }) => l.id)).toEqual([byCustomer.id, byOwnEmail.id]);
      const [message] = await signInMessages(t);
      expect(message?.to).toBe('carol@example.com');
    });

    it('throttles sign-in requests per address asked for and per client, owner or not alike', async () => {
      const ip = freshIp();
      await createLicense(t, policyId, { email: 'throttled@example.com' });
      for (const email of ['throttled@example.com', 'unknown-throttled@example.com']) {
        for (let i = 0; i < 3; i++) expect((await requestLink(t, email, freshIp())).statusCode).toBe(202);
        const refused = await requestLink(t, email, freshIp());
        expect(refused.statusCode).toBe(429);
        expect(refused.headers['retry-after']).toBe('1');
      }
      for (let i = 0; i < 20; i++)
        expect((await requestLink(t, `spray${i}@example.com`, ip)).statusCode).toBe(202);
      expect((await requestLink(t, 'spray-last@example.com', ip)).statusCode).toBe(429);
      t.clock.advance(2);
      expect((await requestLink(t, 'throttled@example.com', freshIp())).statusCode).toBe(202);
      // A day later the counters are forgotten and swept, owners' and strangers' alike.
      const portalCounters = async () =>
        (
          await t.store.database.db
            .selectFrom('sign_in_counters')
            .select('key')
            .where('key', 'like', 'portal-%')
            .execute()
        ).length;
      const before = await portalCounters();
      expect(before).toBeGreaterThan(20);
      t.clock.advance(25 * 3600);
      expect((await requestLink(t, 'spray0@example.com', ip)).statusCode).toBe(202);
      expect(await portalCounters()).toBe(2);
    });

    it('opens one session per link: used links, links redeemed in parallel and expired links are refused', async () => {
      await createLicense(t, policyId, { email: 'once@example.com' });
      expect((await requestLink(t, 'once@example.com', freshIp())).statusCode).toBe(202);
      const [first] = await signInMessages(t);
      const token = first?.token as string;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () => t.keyward.portal.redeem({ token, ip: null })),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes)
        if (o.status === 'rejected') expect(isDomainError(o.reason) && o.reason.code).toBe('UNAUTHENTICATED');
      expect(
        await t.store.database.db
          .selectFrom('portal_sessions')
          .where('email', '=', 'once@example.com')
          .select('id')
          .execute(),
      ).toHaveLength(1);

      t.clock.advance(2);
      expect((await requestLink(t, 'once@example.com', freshIp())).statusCode).toBe(202);
      const [late] = await signInMessages(t);
      t.clock.advance(LINK_SECONDS);
      await expectError(
        t.app.inject({ method: 'POST', url: '/portal/api/sessions', payload: { token: late?.token } }),
        401,
        'UNAUTHENTICATED',
      );
      await expectError(
        t.app.inject({ method: 'POST', url: '/portal/api/sessions', payload: { token: 'kwl_not-a-link' } }),
        401,
        'UNAUTHENTICATED',
      );
    });

    it('ends a session after its idle time and after its absolute time', async () => {
      await createLicense(t, policyId, { email: 'idle@example.com' });
      t.clock.advance(10);
      const idle = await signInToPortal(t, 'idle@example.com');
      t.clock.advance(SESSION_IDLE_SECONDS - 60);
      await expectStatus(idle.call({ method: 'GET', url: '/portal/api/session' }), 200);
      t.clock.advance(SESSION_IDLE_SECONDS - 60);
      await expectStatus(idle.call({ method: 'GET', url: '/portal/api/session' }), 200);
      t.clock.advance(SESSION_IDLE_SECONDS);
      await expectError(idle.call({ method: 'GET', url: '/portal/api/session' }), 401, 'UNAUTHENTICATED');

      t.clock.advance(10);
      const busy = await signInToPortal(t, 'idle@example.com');
      for (let spent = 0; spent < SESSION_SECONDS - 600; spent += 600) {
        t.clock.advance(600);
        await expectStatus(busy.call({ method: 'GET', url: '/portal/api/session' }), 200);
      }
      t.clock.advance(600);
      await expectError(busy.call({ method: 'GET', url: '/portal/api/session' }), 401, 'UNAUTHENTICATED');
    });

    it('deactivates within the deactivation limit, and refuses what the vendor does not allow', async () => {
      const license = await createLicense(t, policyId, { email: 'dana@example.com' });
      const one = await activate(t, license.id, 'fp-dana-1');
      const two = await activate(t, license.id, 'fp-dana-2');
      t.clock.advance(10);
      const dana = await signInToPortal(t, 'dana@example.com');
      await expectStatus(
        dana.call({ method: 'POST', url: `/portal/api/machines/${one.id}/deactivate` }),
        200,
      );
      await expectError(
        dana.call({ method: 'POST', url: `/portal/api/machines/${two.id}/deactivate` }),
        422,
        'DEACTIVATION_LIMIT_REACHED',
      );
      const { items } = await expectStatus(dana.call({ method: 'GET', url: '/portal/api/licenses' }), 200);
      expect(items[0].machines.map((m: { id: number }) => m.id)).toEqual([two.id]);
      expect(items[0].deactivationCount).toBe(1);

      await setUpPortal(t, { allowedActions: { deactivation: false, licenseFile: false } });
      try {
        const refusal = await expectError(
          dana.call({ method: 'POST', url: `/portal/api/machines/${two.id}/deactivate` }),
          403,
          'FORBIDDEN',
        );
        expect(refusal.message).toMatch(/deactivating machines/);
        await expectError(
          dana.call({
            method: 'POST',
            url: `/portal/api/licenses/${license.id}/license-file`,
            payload: { fingerprint: 'fp-dana-2' },
          }),
          403,
          'FORBIDDEN',
        );
      } finally {
        await setUpPortal(t, { allowedActions: { deactivation: true, licenseFile: true } });
      }
      const file = await expectStatus(
        dana.call({
          method: 'POST',
          url: `/portal/api/licenses/${license.id}/license-file`,
          payload: { fingerprint: 'fp-dana-2' },
        }),
        200,
      );
      expect(file.file).toEqual(expect.any(String));
    });

    it("answers an air-gapped machine's requests for the customer's own license, as allowed", async () => {
      const license = await createLicense(t, policyId, { email: 'erin@example.com' });
      t.clock.advance(10);
      const erin = await signInToPortal(t, 'erin@example.com');
      const answer = (request: string) =>
        erin.call({ method: 'POST', url: '/portal/api/offline-responses', payload: { request } });
      const activation = encodeOfflineRequest({
        type: 'activation',
        key: license.key,
        fingerprint: 'erin-offline-pc',
        nonce: 'nonce-erin-1',
        requestedAt: t.clock.now(),
      });
      const activated = await expectStatus(answer(activation), 200);
      expect(activated).toMatchObject({
        type: 'activation',
        nonce: 'nonce-erin-1',
        response: expect.any(String),
      });
      const { items } = await expectStatus(erin.call({ method: 'GET', url: '/portal/api/licenses' }), 200);
      expect(items[0].machines.map((m: { fingerprint: string }) => m.fingerprint)).toEqual([
        'erin-offline-pc',
      ]);
      // A verified trial belongs to no license: not the customer's to answer.
      const trial = encodeOfflineRequest({
        type: 'verified-trial',
        policyId,
        fingerprint: 'erin-trial-pc',
        nonce: 'nonce-erin-2',
        requestedAt: t.clock.now(),
      });
      await expectError(answer(trial), 400, 'INVALID_INPUT');
      await setUpPortal(t, { allowedActions: { offlineActivation: false } });
      try {
        await expectError(answer(activation), 403, 'FORBIDDEN');
      } finally {
        await setUpPortal(t, { allowedActions: { offlineActivation: true } });
      }
      // Bodies are small: far more than an offline request is refused before it is read.
      const huge = await erin.call({
        method: 'POST',
        url: '/portal/api/offline-responses',
        payload: { request: 'A'.repeat(200_000) },
      });
      expect(huge.statusCode).toBe(413);
      expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses everything while the portal is off', async () => {
      await createLicense(t, policyId, { email: 'off@example.com' });
      t.clock.advance(10);
      const off = await signInToPortal(t, 'off@example.com');
      await setUpPortal(t, { isEnabled: false });
      try {
        await expectError(requestLink(t, 'off@example.com', freshIp()), 403, 'FORBIDDEN');
        await expectError(off.call({ method: 'GET', url: '/portal/api/licenses' }), 403, 'FORBIDDEN');
      } finally {
        await setUpPortal(t);
      }
      await expectStatus(off.call({ method: 'GET', url: '/portal/api/licenses' }), 200);
    });
  });

  describe(`customer portal without KEYWARD_PUBLIC_URL (${dialect})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      await setUpPortal(t);
    });
    afterAll(() => t.dispose());

    it('gives the customer the same answer and mails nothing', async () => {
      const { policy } = await productWithPolicy(t);
      await createLicense(t, policy.id, { email: 'owner@example.com' });
      const answer = await requestLink(t, 'owner@example.com');
      expect(answer.statusCode).toBe(202);
      expect(await signInMessages(t)).toEqual([]);
      const settings = await expectStatus(t.call({ method: 'GET', url: '/v1/portal/settings' }), 200);
      expect(settings.publicUrl).toBeNull();
    });
  });
}
