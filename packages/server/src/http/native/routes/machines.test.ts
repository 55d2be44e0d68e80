import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  createLicense,
  createPolicy,
  createProduct,
  expectError,
  expectStatus,
  get,
  type Json,
  post,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

for (const dialect of await testDialects()) {
  describe(`machines routes (${dialect})`, () => {
    let t: TestApp;
    let policyId: number;
    let floatingPolicyId: number;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      const productId = (await createProduct(t)).id;
      policyId = (await createPolicy(t, productId, { maxMachines: 2 })).id;
      floatingPolicyId = (
        await createPolicy(t, productId, { maxMachines: 1, isFloating: true, leaseSeconds: 300 })
      ).id;
    });
    afterAll(() => t.dispose());

    /** Requests made by the app itself, with its license key as credential. */
    const asLicense = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      t.call({
        method,
        url,
        ...(payload ? { payload } : {}),
        token: null,
        headers: { authorization: `License ${key}` },
      });

    describe('POST /v1/machines', () => {
      it('activates (201), re-activates the same fingerprint without a seat (200), then hits the limit', async () => {
        const license = await createLicense(t, policyId);
        const first = await post(t, '/v1/machines', {
          licenseId: license.id,
          fingerprint: 'fp-1',
          name: 'Laptop',
          platform: 'linux',
        });
        expect(first).toMatchObject({
          licenseId: license.id,
          fingerprint: 'fp-1',
          name: 'Laptop',
          platform: 'linux',
          ip: '127.0.0.1',
          isVm: false,
          deactivatedAt: null,
          createdAt: t.clock.now().toISOString(),
        });
        t.clock.advance(10);
        const again = await post(t, '/v1/machines', { licenseId: license.id, fingerprint: 'fp-1' }, 200);
        expect(again).toMatchObject({ id: first.id, lastSeenAt: t.clock.now().toISOString() });
        expect((await get(t, `/v1/licenses/${license.id}`)).activationCount).toBe(1);

        await post(t, '/v1/machines', { key: license.key, fingerprint: 'fp-2' });
        const error = await expectError(
          t.call({
            method: 'POST',
            url: '/v1/machines',
            payload: { licenseId: license.id, fingerprint: 'fp-3' },
          }),
          422,
          'MACHINE_LIMIT_REACHED',
        );
        expect(error.details).toEqual({ maxMachines: 2 });
        expect((await get(t, `/v1/licenses/${license.id}`)).activationCount).toBe(2);
      });

      it('activates with the license key as credential', async () => {
        const license = await createLicense(t, policyId);
        const machine = await expectStatus(
          asLicense(license.key, 'POST', '/v1/machines', { fingerprint: 'app' }),
          201,
        );
        expect(machine.licenseId).toBe(license.id);
        await expectStatus(asLicense(license.key, 'POST', '/v1/machines', { fingerprint: 'app' }), 200);
        const other = await createLicense(t, policyId);
        await expectError(
          asLicense(license.key, 'POST', '/v1/machines', { licenseId: other.id, fingerprint: 'x' }),
          403,
          'FORBIDDEN',
        );
      });

      it('refuses without a license, for an unknown one and for a suspended one', async () => {
        const refuse = (payload: object, status: number, code: string) =>
          expectError(t.call({ method: 'POST', url: '/v1/machines', payload }), status, code);
        await refuse({ fingerprint: 'x' }, 400, 'INVALID_INPUT');
        await refuse({ licenseId: 999_999, fingerprint: 'x' }, 404, 'LICENSE_NOT_FOUND');
        await refuse({ key: 'NO-SUCH-KEY', fingerprint: 'x' }, 404, 'LICENSE_NOT_FOUND');
        const license = await createLicense(t, policyId, { isSuspended: true });
        await refuse({ licenseId: license.id, fingerprint: 'x' }, 422, 'LICENSE_SUSPENDED');
        await refuse({ licenseId: license.id, fingerprint: '' }, 400, 'INVALID_INPUT');
      });
    });

    describe('GET /v1/machines', () => {
      it('lists a license’s machines, with deactivated ones on request, page by page', async () => {
        const license = await createLicense(t, policyId, { overrides: { maxMachines: 5 } });
        const machines: Json[] = [];
        for (const fp of ['a', 'b', 'c']) machines.push(await activate(t, license.id, fp));
        await expectStatus(t.call({ method: 'DELETE', url: `/v1/machines/${machines[0].id}` }), 204);
        const live = await get(t, `/v1/machines?licenseId=${license.id}`);
        expect(live.data.map((m: Json) => m.fingerprint)).toEqual(['b', 'c']);
        const first = await get(t, `/v1/machines?licenseId=${license.id}&includeDeactivated=true&limit=2`);
        expect(first.data.map((m: Json) => m.fingerprint)).toEqual(['a', 'b']);
        const rest = await get(
          t,
          `/v1/machines?licenseId=${license.id}&includeDeactivated=true&limit=2&after=${first.nextCursor}`,
        );
        expect(rest).toEqual({ data: [expect.objectContaining({ fingerprint: 'c' })], nextCursor: null });
        const viaKey = await expectStatus(
          asLicense(license.key, 'GET', `/v1/machines?licenseId=${license.id}`),
          200,
        );
        expect(viaKey.data).toHaveLength(2);
      });

      it('demands licenseId from a license credential and refuses an unknown license', async () => {
        const license = await createLicense(t, policyId);
        await expectError(asLicense(license.key, 'GET', '/v1/machines'), 400, 'INVALID_INPUT');
        await expectError(
          t.call({ method: 'GET', url: '/v1/machines?licenseId=999999' }),
          404,
          'LICENSE_NOT_FOUND',
        );
      });
    });

    describe('GET /v1/machines/:id', () => {
      it('shows a machine, to the token and to its own license key', async () => {
        const license = await createLicense(t, policyId);
        const machine = await activate(t, license.id, 'show');
        expect(await get(t, `/v1/machines/${machine.id}`)).toEqual(machine);
        expect(await expectStatus(asLicense(license.key, 'GET', `/v1/machines/${machine.id}`), 200)).toEqual(
          machine,
        );
      });

      it('answers an unknown machine with 404 MACHINE_NOT_FOUND', async () => {
        await expectError(t.call({ method: 'GET', url: '/v1/machines/999999' }), 404, 'MACHINE_NOT_FOUND');
      });
    });

    describe('POST /v1/machines/:id/actions/heartbeat', () => {
      it('records the heartbeat and renews a floating lease', async () => {
        const license = await createLicense(t, floatingPolicyId);
        const machine = await activate(t, license.id, 'floating');
        expect(machine.leaseExpiresAt).toBe(new Date(t.clock.now().getTime() + 300_000).toISOString());
        t.clock.advance(200);
        const beat = await post(t, `/v1/machines/${machine.id}/actions/heartbeat`, {}, 200);
        expect(beat).toMatchObject({
          id: machine.id,
          lastSeenAt: t.clock.now().toISOString(),
          leaseExpiresAt: new Date(t.clock.now().getTime() + 300_000).toISOString(),
        });
        t.clock.advance(10);
        const viaKey = await expectStatus(
          asLicense(license.key, 'POST', `/v1/machines/${machine.id}/actions/heartbeat`, {
            leaseSeconds: 60,
          }),
          200,
        );
        expect(viaKey.leaseExpiresAt).toBe(new Date(t.clock.now().getTime() + 60_000).toISOString());
      });

      it('answers a deactivated or unknown machine with 404 and a too short lease with 400', async () => {
        const license = await createLicense(t, policyId);
        const machine = await activate(t, license.id, 'gone');
        await expectError(
          t.call({
            method: 'POST',
            url: `/v1/machines/${machine.id}/actions/heartbeat`,
            payload: { leaseSeconds: 1 },
          }),
          400,
          'INVALID_INPUT',
        );
        await expectStatus(t.call({ method: 'DELETE', url: `/v1/machines/${machine.id}` }), 204);
        for (const id of [machine.id, 999_999]) {
          await expectError(
            t.call({ method: 'POST', url: `/v1/machines/${id}/actions/heartbeat` }),
            404,
            'MACHINE_NOT_FOUND',
          );
        }
      });
    });

    describe('DELETE /v1/machines/:id', () => {
      it('deactivates (204), keeps the history and frees the seat', async () => {
        const license = await createLicense(t, policyId, { overrides: { maxMachines: 1 } });
        const machine = await activate(t, license.id, 'first');
        await activate(t, license.id, 'second', 422);
        await expectStatus(t.call({ method: 'DELETE', url: `/v1/machines/${machine.id}` }), 204);
        expect((await get(t, `/v1/machines/${machine.id}`)).deactivatedAt).toBe(t.clock.now().toISOString());
        const second = await activate(t, license.id, 'second');
        await expectStatus(asLicense(license.key, 'DELETE', `/v1/machines/${second.id}`), 204);
        expect((await get(t, `/v1/licenses/${license.id}`)).deactivationCount).toBe(2);
      });

      it('answers a second deactivation and an unknown machine with 404', async () => {
        const license = await createLicense(t, policyId);
        const machine = await activate(t, license.id, 'twice');
        await expectStatus(t.call({ method: 'DELETE', url: `/v1/machines/${machine.id}` }), 204);
        await expectError(
          t.call({ method: 'DELETE', url: `/v1/machines/${machine.id}` }),
          404,
          'MACHINE_NOT_FOUND',
        );
        await expectError(t.call({ method: 'DELETE', url: '/v1/machines/999999' }), 404, 'MACHINE_NOT_FOUND');
      });
    });
  });
}

describeRouteSecurity('machines');
