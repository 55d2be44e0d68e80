import { createDecipheriv, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LICENSE_FILE_BEGIN,
  LICENSE_FILE_END,
  licenseFileKey,
  licenseFileSignedText,
} from '../../../core/signing/license-file.js';
import { encodeOfflineRequest, openOfflineResponse } from '../../../core/signing/offline-exchange.js';
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
import { describeRouteSecurity, issueToken } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

/** Reads a license file the way the SDK does: armor, envelope, signature, then (maybe) decryption. */
function openLicenseFile(file: string, publicKeyPem: string, bindTo?: { key: string; fingerprint: string }) {
  const lines = file.trim().split('\n');
  expect(lines[0]).toBe(LICENSE_FILE_BEGIN);
  expect(lines.at(-1)).toBe(LICENSE_FILE_END);
  const envelope = JSON.parse(Buffer.from(lines.slice(1, -1).join(''), 'base64').toString('utf8'));
  const isGenuine = verify(
    null,
    Buffer.from(licenseFileSignedText(envelope.encryption, envelope.iv, envelope.payload)),
    createPublicKey(publicKeyPem),
    Buffer.from(envelope.signature, 'base64'),
  );
  if (!isGenuine) throw new Error('forged license file');
  if (envelope.encryption === 'none') return JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
  if (!bindTo) throw new Error('encrypted');
  const sealed = Buffer.from(envelope.payload, 'base64');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    licenseFileKey(bindTo.key, bindTo.fingerprint),
    Buffer.from(envelope.iv, 'base64'),
  );
  decipher.setAuthTag(sealed.subarray(-16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}

for (const dialect of await testDialects()) {
  describe(`offline routes (${dialect})`, () => {
    let t: TestApp;
    let publicKeyPem: string;
    let policyId: number;
    let closedPolicyId: number;
    let unlimitedPolicyId: number;

    beforeAll(async () => {
      t = await createTestApp(dialect);
      const keys = await get(t, '/v1/signing-keys');
      publicKeyPem = keys.data.find((k: Json) => k.algorithm === 'ed25519').publicKeyPem;
      const productId = (await createProduct(t)).id;
      policyId = (
        await createPolicy(t, productId, {
          maxMachines: 2,
          allowLicenseAuth: true,
          featureFields: [{ name: 'pro', type: 'boolean', defaultValue: true }],
        })
      ).id;
      closedPolicyId = (await createPolicy(t, productId, { allowLicenseAuth: false })).id;
      unlimitedPolicyId = (await createPolicy(t, productId, { maxMachines: 0, allowLicenseAuth: true })).id;
    });
    afterAll(() => t.dispose());

    const checkOut = (payload: object, authorization?: string) =>
      t.call({
        method: 'POST',
        url: '/v1/licenses/actions/check-out',
        payload,
        ...(authorization ? { token: null, headers: { authorization } } : {}),
      });
    const respond = (request: string, authorization?: string) =>
      t.call({
        method: 'POST',
        url: '/v1/offline/responses',
        payload: { request },
        ...(authorization ? { token: null, headers: { authorization } } : {}),
      });
    const activationRequest = (key: string, fingerprint: string, nonce = 'nonce-0123456789') =>
      encodeOfflineRequest({ type: 'activation', key, fingerprint, nonce, requestedAt: t.clock.now() });

    it('checks out a signed file bound to the machine with the key as credential', async () => {
      const license = await createLicense(t, policyId, { expiresAt: '2099-01-01T00:00:00Z' });
      await activate(t, license.id, 'pc-1');
      const body = await expectStatus(
        checkOut({ fingerprint: 'pc-1', ttlSeconds: 3600, nonce: 'n-1' }, `License ${license.key}`),
        200,
      );
      expect(body.isEncrypted).toBe(false);
      const payload = openLicenseFile(body.file, publicKeyPem);
      expect(payload).toMatchObject({
        type: 'license-file',
        ttlSeconds: 3600,
        nonce: 'n-1',
        issuedAt: t.clock.now().toISOString(),
        expiresAt: new Date(t.clock.now().getTime() + 3600_000).toISOString(),
        validation: { valid: true, code: 'VALID' },
        license: { id: license.id, key: license.key, features: { pro: true } },
        machine: { fingerprint: 'pc-1' },
      });
      expect(body.expiresAt).toBe(payload.expiresAt);
      const events = await get(t, `/v1/events?licenseId=${license.id}&type=license.file_checked_out`);
      expect(events.data).toEqual([
        expect.objectContaining({
          type: 'license.file_checked_out',
          machineId: payload.machine.id,
          data: expect.objectContaining({ ttlSeconds: 3600, isEncrypted: false }),
        }),
      ]);
    });

    it('encrypts the file to the machine so another fingerprint cannot read it', async () => {
      const license = await createLicense(t, policyId);
      await activate(t, license.id, 'pc-enc');
      const body = await expectStatus(
        checkOut({ key: license.key, fingerprint: 'pc-enc', encrypt: true }),
        200,
      );
      expect(body.isEncrypted).toBe(true);
      expect(body.file).not.toContain(license.key);
      const payload = openLicenseFile(body.file, publicKeyPem, { key: license.key, fingerprint: 'pc-enc' });
      expect(payload.machine.fingerprint).toBe('pc-enc');
      expect(payload.ttlSeconds).toBe(7 * 86_400);
      expect(() =>
        openLicenseFile(body.file, publicKeyPem, { key: license.key, fingerprint: 'pc-x' }),
      ).toThrow();
    });

    it('never lets a file outlive the license', async () => {
      const expiresAt = new Date(t.clock.now().getTime() + 2 * 86_400_000).toISOString();
      const license = await createLicense(t, policyId, { expiresAt });
      await activate(t, license.id, 'pc-short');
      const body = await expectStatus(
        checkOut({ licenseId: license.id, fingerprint: 'pc-short', ttlSeconds: 30 * 86_400 }),
        200,
      );
      expect(body.expiresAt).toBe(expiresAt);
    });

    it('names the machine in every file of a node-locked license, which must be an activated one', async () => {
      const onePolicy = await createPolicy(t, (await createProduct(t)).id, {
        maxMachines: 1,
        allowLicenseAuth: true,
      });
      const license = await createLicense(t, onePolicy.id);
      await activate(t, license.id, 'seat-holder');
      // The reported case: the one seat is taken, yet the key asked for a 30-day file naming no machine.
      for (const [body, auth] of [
        [{ ttlSeconds: 30 * 86_400 }, `License ${license.key}`],
        [{ licenseId: license.id, ttlSeconds: 300 * 86_400 }, undefined],
      ] as const) {
        const error = await expectError(checkOut(body, auth), 400, 'INVALID_INPUT');
        expect(error.details).toMatchObject({ field: 'fingerprint', maxMachines: 1 });
      }
      // A machine that was never activated gets none either, with a token or with the key.
      const stranger = await expectError(
        checkOut({ licenseId: license.id, fingerprint: 'stranger' }),
        404,
        'MACHINE_NOT_FOUND',
      );
      expect(stranger.details).toMatchObject({ validationCode: 'FINGERPRINT_MISMATCH' });
      const body = await expectStatus(
        checkOut({ fingerprint: 'seat-holder' }, `License ${license.key}`),
        200,
      );
      expect(openLicenseFile(body.file, publicKeyPem)).toMatchObject({
        license: { key: license.key, maxMachines: 1 },
        machine: { fingerprint: 'seat-holder' },
      });
    });

    it('issues a file naming no machine only for a license without a machine limit, and says so', async () => {
      const license = await createLicense(t, unlimitedPolicyId);
      const body = await expectStatus(checkOut({ ttlSeconds: 3600 }, `License ${license.key}`), 200);
      expect(openLicenseFile(body.file, publicKeyPem)).toMatchObject({
        license: { key: license.key, maxMachines: 0 },
        machine: null,
      });
    });

    it('refuses files for invalid licenses and machines, with the reason', async () => {
      const license = await createLicense(t, policyId);
      const error = await expectError(
        checkOut({ fingerprint: 'unknown-pc' }, `License ${license.key}`),
        404,
        'MACHINE_NOT_FOUND',
      );
      expect(error.details).toMatchObject({ validationCode: 'NO_MACHINE' });
      await post(t, `/v1/licenses/${license.id}/actions/revoke`, {}, 200);
      await expectError(checkOut({ licenseId: license.id }), 422, 'LICENSE_REVOKED');
    });

    it('caps the time-to-live a key credential may ask for and checks the input', async () => {
      const license = await createLicense(t, policyId);
      await expectError(
        checkOut({ ttlSeconds: 31 * 86_400 }, `License ${license.key}`),
        400,
        'INVALID_INPUT',
      );
      await activate(t, license.id, 'pc-ttl');
      await expectStatus(
        checkOut({ licenseId: license.id, fingerprint: 'pc-ttl', ttlSeconds: 300 * 86_400 }),
        200,
      );
      await expectError(checkOut({ licenseId: license.id, ttlSeconds: 10 }), 400, 'INVALID_INPUT');
      await expectError(checkOut({ licenseId: license.id, encrypt: true }), 400, 'INVALID_INPUT');
      await expectError(checkOut({}), 400, 'INVALID_INPUT');
      const closed = await createLicense(t, closedPolicyId);
      await expectError(checkOut({}, `License ${closed.key}`), 403, 'FORBIDDEN');
    });

    it('answers an air-gapped activation with a signed response, under the seat limit', async () => {
      const license = await createLicense(t, policyId);
      const body = await expectStatus(
        respond(activationRequest(license.key, 'air-1'), `License ${license.key}`),
        200,
      );
      expect(body).toMatchObject({ type: 'activation', nonce: 'nonce-0123456789', trialId: null });
      const payload = openOfflineResponse(body.response, publicKeyPem);
      expect(payload).toMatchObject({
        type: 'activation',
        nonce: 'nonce-0123456789',
        license: { key: license.key },
        machine: { id: body.machineId, fingerprint: 'air-1' },
      });
      await expectStatus(respond(activationRequest(license.key, 'air-2')), 200);
      await expectError(respond(activationRequest(license.key, 'air-3')), 422, 'MACHINE_LIMIT_REACHED');

      const deactivation = encodeOfflineRequest({
        type: 'deactivation',
        key: license.key,
        machineId: body.machineId,
        fingerprint: 'air-1',
        nonce: 'nonce-deactivate',
        requestedAt: t.clock.now(),
      });
      const done = await expectStatus(respond(deactivation, `License ${license.key}`), 200);
      expect(done).toMatchObject({ type: 'deactivation', response: null, machineId: body.machineId });
      await expectError(respond(deactivation), 404, 'MACHINE_NOT_FOUND');
    });

    it('refuses garbage, stale requests and requests for another key', async () => {
      const license = await createLicense(t, policyId);
      const other = await createLicense(t, policyId);
      await expectError(respond('not base64 at all!'), 400, 'INVALID_INPUT');
      await expectError(respond(Buffer.from('{"format":"x"}').toString('base64')), 400, 'INVALID_INPUT');
      const stale = encodeOfflineRequest({
        type: 'activation',
        key: license.key,
        fingerprint: 'old',
        nonce: 'nonce-0123456789',
        requestedAt: new Date(t.clock.now().getTime() - 31 * 86_400_000),
      });
      await expectError(respond(stale), 400, 'INVALID_INPUT');
      await expectError(
        respond(activationRequest(other.key, 'pc'), `License ${license.key}`),
        403,
        'FORBIDDEN',
      );
      await expectError(respond(activationRequest('NOPE-NOPE', 'pc')), 404, 'LICENSE_NOT_FOUND');
      const trial = encodeOfflineRequest({
        type: 'verified-trial',
        policyId,
        fingerprint: 'pc',
        nonce: 'nonce-0123456789',
        requestedAt: t.clock.now(),
      });
      await expectError(respond(trial, `License ${license.key}`), 403, 'FORBIDDEN');
      // A token locked to another product meets the trial's policy as a missing one.
      const elsewhere = (await createProduct(t)).id;
      const { secret } = await issueToken(t, { scopes: ['machines:write'], productIds: [elsewhere] });
      const refused = await expectError(respond(trial, `Bearer ${secret}`), 404, 'NOT_FOUND');
      expect(refused.message).toMatch(/^product \d+ does not exist$/);
    });
  });
}

describeRouteSecurity('offline');
