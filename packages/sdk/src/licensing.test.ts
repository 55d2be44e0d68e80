import { describe, expect, it } from 'vitest';
import { Licensing } from './licensing.js';
import { MemoryStore } from './storage.js';
import {
  createFakeServer,
  licenseFileAsServer,
  offlineResponseAsServer,
} from './test-support/fake-server.js';

const DAY = 86_400_000;
const T0 = new Date('2030-03-01T12:00:00Z');

function setup() {
  const server = createFakeServer();
  let now = T0;
  server.behaviour.now = () => now;
  const store = new MemoryStore();
  const make = (fingerprint = 'pc-1') =>
    new Licensing({
      url: 'https://licensing.test',
      publicKey: server.publicKeyPem,
      fetch: server.fetch,
      fingerprint,
      store,
      now: () => now,
      retryDelayMs: 1,
    });
  return {
    server,
    store,
    licensing: make(),
    make,
    /** Local and server clocks move together unless told otherwise. */
    at(days: number) {
      now = new Date(T0.getTime() + days * DAY);
    },
  };
}

const policy = { daysBetweenChecks: 2, graceDays: 5 };

describe('Licensing.isGenuine (the offline policy)', () => {
  it('is not genuine before activation', async () => {
    const { licensing } = setup();
    expect(await licensing.isGenuine(policy)).toMatchObject({ isGenuine: false, status: 'not-activated' });
  });

  // One row per rule: days since the last online check, whether the server answers, the outcome.
  const rows: {
    days: number;
    online: boolean;
    status: string;
    isGenuine: boolean;
    daysLeft: number | null;
  }[] = [
    { days: 1, online: false, status: 'genuine-offline', isGenuine: true, daysLeft: 6 },
    { days: 1, online: true, status: 'genuine-offline', isGenuine: true, daysLeft: 6 },
    { days: 2, online: true, status: 'genuine', isGenuine: true, daysLeft: 7 },
    { days: 2, online: false, status: 'grace', isGenuine: true, daysLeft: 5 },
    { days: 6.5, online: false, status: 'grace', isGenuine: true, daysLeft: 1 },
    { days: 7, online: false, status: 'grace-expired', isGenuine: false, daysLeft: null },
    { days: 30, online: false, status: 'grace-expired', isGenuine: false, daysLeft: null },
    { days: 30, online: true, status: 'genuine', isGenuine: true, daysLeft: 7 },
  ];
  for (const row of rows) {
    it(`${row.days} days after the last check, ${row.online ? 'online' : 'offline'}: ${row.status}`, async () => {
      const { licensing, server, at } = setup();
      await licensing.activate('KEY-1');
      at(row.days);
      server.behaviour.offline = !row.online;
      const calls = server.calls.length;
      const result = await licensing.isGenuine(policy);
      expect(result).toMatchObject({ status: row.status, isGenuine: row.isGenuine, daysLeft: row.daysLeft });
      expect(result.checkedOnline).toBe(row.status === 'genuine');
      // Within the days between checks the server is not asked at all.
      if (row.days < policy.daysBetweenChecks) expect(server.calls.length).toBe(calls);
    });
  }

  it('does not run offline past the expiry the last answer states', async () => {
    const { licensing, server, at } = setup();
    server.behaviour.licenseExpiresAt = new Date(T0.getTime() + 1.5 * DAY).toISOString();
    await licensing.activate('KEY-1');
    server.behaviour.offline = true;
    at(1);
    expect(await licensing.isGenuine(policy)).toMatchObject({ status: 'genuine-offline', daysLeft: 1 });
    at(1.6);
    expect(await licensing.isGenuine(policy)).toMatchObject({
      isGenuine: false,
      status: 'invalid',
      code: 'EXPIRED',
    });
  });

  it('counts the grace period from the last successful check, not from the last attempt', async () => {
    const { licensing, server, at } = setup();
    await licensing.activate('KEY-1');
    server.behaviour.offline = true;
    at(3);
    expect((await licensing.isGenuine(policy)).status).toBe('grace');
    at(6.9);
    expect(await licensing.isGenuine(policy)).toMatchObject({ status: 'grace', daysLeft: 1 });
    at(7.1);
    expect((await licensing.isGenuine(policy)).status).toBe('grace-expired');
  });

  it('treats 5xx answers as an outage but a refusal or an invalid license as final', async () => {
    const { licensing, server, at } = setup();
    await licensing.activate('KEY-1');
    at(3);
    server.behaviour.failWith = { status: 503, code: 'UNAVAILABLE' };
    expect(await licensing.isGenuine(policy)).toMatchObject({ status: 'grace', code: 'UNAVAILABLE' });
    server.behaviour.failWith = { status: 403, code: 'FORBIDDEN' };
    expect(await licensing.isGenuine(policy)).toMatchObject({
      status: 'invalid',
      isGenuine: false,
      code: 'FORBIDDEN',
    });
    server.behaviour.failWith = null;
    server.behaviour.code = 'REVOKED';
    expect(await licensing.isGenuine(policy)).toMatchObject({
      status: 'invalid',
      code: 'REVOKED',
      checkedOnline: true,
    });
    // The server's last word was "revoked": no grace when it then becomes unreachable.
    server.behaviour.offline = true;
    expect(await licensing.isGenuine(policy)).toMatchObject({ status: 'invalid', code: 'REVOKED' });
  });

  it('detects a clock set back against the last reading and against signed server times', async () => {
    const { licensing, server, at } = setup();
    await licensing.activate('KEY-1');
    at(1.5);
    expect((await licensing.isGenuine(policy)).isGenuine).toBe(true);
    at(0.5);
    expect(await licensing.isGenuine(policy)).toMatchObject({
      status: 'clock-rollback',
      code: 'CLOCK_ROLLBACK',
    });
    at(1.48);
    // Within the tolerance (an hour by default) a clock correction is fine.
    expect((await licensing.isGenuine(policy)).isGenuine).toBe(true);
    // Before the server's signed time of the activation, even with no local history.
    const fresh = setup();
    await fresh.licensing.activate('KEY-1');
    fresh.server.behaviour.offline = true;
    fresh.at(-3);
    expect((await fresh.licensing.isGenuine(policy)).status).toBe('clock-rollback');
    expect(server.calls.length).toBeGreaterThan(0);
  });

  it('does not let edited or copied state extend the license', async () => {
    const { licensing, server, store, make, at } = setup();
    await licensing.activate('KEY-1');
    const state = JSON.parse(store.get('keyward.license') as string);
    // A forged "newer" answer in the store does not verify: a check is due at once.
    state.answer.body = state.answer.body.replace(
      T0.toISOString(),
      new Date(T0.getTime() + 20 * DAY).toISOString(),
    );
    store.set('keyward.license', JSON.stringify(state));
    at(10);
    server.behaviour.offline = true;
    expect(await licensing.isGenuine(policy)).toMatchObject({ isGenuine: false, status: 'grace-expired' });
    // The state of one machine copied to another does not carry over.
    server.behaviour.offline = false;
    at(0);
    const fresh = setup();
    await fresh.licensing.activate('KEY-1');
    const copy = fresh.make('pc-2');
    fresh.server.behaviour.offline = true;
    expect((await copy.isGenuine(policy)).isGenuine).toBe(false);
    expect(make).toBeTypeOf('function');
  });

  it('lets a license file carry the app when a check is due and the server is unreachable', async () => {
    const { licensing, server, at } = setup();
    await licensing.activate('KEY-1');
    const file = licenseFileAsServer(
      server.privateKey,
      {
        type: 'license-file',
        issuedAt: T0.toISOString(),
        expiresAt: new Date(T0.getTime() + 10 * DAY).toISOString(),
        ttlSeconds: 864_000,
        nonce: null,
        validation: { valid: true, code: 'VALID' },
        license: { id: 1, key: 'KEY-1', policyId: 1, productIds: [1], expiresAt: null, features: {} },
        machine: {
          id: 1,
          fingerprint: 'pc-1',
          activatedAt: T0.toISOString(),
          expiresAt: null,
          leaseExpiresAt: null,
        },
      },
      { key: 'KEY-1', fingerprint: 'pc-1' },
    );
    expect((await licensing.verifyLicenseFile(file)).expiresAt).toBe(
      new Date(T0.getTime() + 10 * DAY).toISOString(),
    );
    server.behaviour.offline = true;
    at(8);
    expect(await licensing.isGenuine(policy)).toMatchObject({ status: 'genuine-license-file', daysLeft: 2 });
    at(10.5);
    expect((await licensing.isGenuine(policy)).status).toBe('grace-expired');
    await expect(licensing.verifyLicenseFile()).rejects.toMatchObject({ code: 'LICENSE_FILE_EXPIRED' });
  });

  it('activates from an air-gapped response and stays genuine offline until the activation ends', async () => {
    const { licensing, server, at } = setup();
    const request = await licensing.createOfflineActivationRequest('KEY-9', { name: 'Lab PC' });
    const doc = JSON.parse(Buffer.from(request, 'base64').toString());
    expect(doc).toMatchObject({
      format: 'keyward-offline-request',
      version: 1,
      type: 'activation',
      key: 'KEY-9',
      fingerprint: 'pc-1',
      name: 'Lab PC',
      requestedAt: T0.toISOString(),
    });
    const payload = {
      type: 'activation',
      nonce: doc.nonce,
      requestedAt: doc.requestedAt,
      issuedAt: T0.toISOString(),
      license: {
        key: 'KEY-9',
        policyId: 1,
        productIds: [1],
        expiresAt: '2030-06-01T00:00:00.000Z',
        features: {},
      },
      machine: {
        id: 7,
        fingerprint: 'pc-1',
        activatedAt: T0.toISOString(),
        expiresAt: null,
        leaseExpiresAt: null,
      },
    };
    const wrongNonce = offlineResponseAsServer(server.privateKey, { ...payload, nonce: 'another-request' });
    await expect(licensing.activateFromOfflineResponse(wrongNonce)).rejects.toMatchObject({
      code: 'NONCE_MISMATCH',
    });
    const otherMachine = offlineResponseAsServer(server.privateKey, {
      ...payload,
      machine: { ...payload.machine, fingerprint: 'pc-2' },
    });
    await expect(licensing.activateFromOfflineResponse(otherMachine)).rejects.toMatchObject({
      code: 'OFFLINE_RESPONSE_INVALID',
    });
    // Everything the request said comes back signed, its own time included.
    const otherTime = offlineResponseAsServer(server.privateKey, {
      ...payload,
      requestedAt: new Date(T0.getTime() - DAY).toISOString(),
    });
    await expect(licensing.activateFromOfflineResponse(otherTime)).rejects.toMatchObject({
      code: 'OFFLINE_RESPONSE_INVALID',
    });
    const activation = await licensing.activateFromOfflineResponse(
      offlineResponseAsServer(server.privateKey, payload),
    );
    expect(activation.machine.id).toBe(7);
    server.behaviour.offline = true;
    at(60);
    expect(await licensing.isGenuine(policy)).toMatchObject({ status: 'genuine-offline', daysLeft: 32 });
    at(100);
    expect(await licensing.isGenuine(policy)).toMatchObject({
      isGenuine: false,
      status: 'invalid',
      code: 'EXPIRED',
    });
    expect(await licensing.activation()).toEqual({ key: 'KEY-9', machineId: 7, mode: 'air-gapped' });
    const deactivation = JSON.parse(
      Buffer.from(await licensing.createOfflineDeactivationRequest(), 'base64').toString(),
    );
    expect(deactivation).toMatchObject({
      type: 'deactivation',
      key: 'KEY-9',
      machineId: 7,
      fingerprint: 'pc-1',
    });
    expect(await licensing.activation()).toBeNull();
  });

  it('deactivates and forgets the activation', async () => {
    const { licensing, server } = setup();
    await licensing.activate('KEY-1');
    await licensing.deactivate();
    expect(server.calls.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/machines/1' });
    expect(await licensing.isGenuine(policy)).toMatchObject({ status: 'not-activated' });
    await expect(licensing.deactivate()).rejects.toMatchObject({ code: 'NOT_ACTIVATED' });
  });
});
