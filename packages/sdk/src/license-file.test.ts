import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultVerifier } from './crypto.js';
import { openLicenseFile } from './license-file.js';
import { createFakeServer, licenseFileAsServer } from './test-support/fake-server.js';

const payload = {
  type: 'license-file',
  issuedAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-01-08T00:00:00.000Z',
  ttlSeconds: 604_800,
  nonce: null,
  validation: { valid: true, code: 'VALID' },
  license: { id: 1, key: 'KEY-1', policyId: 1, productIds: [1], expiresAt: null, features: { pro: true } },
  machine: {
    id: 2,
    fingerprint: 'pc-1',
    activatedAt: '2030-01-01T00:00:00.000Z',
    expiresAt: null,
    leaseExpiresAt: null,
  },
};

describe('openLicenseFile', async () => {
  const server = createFakeServer();
  const spki = new Uint8Array(createPublicKey(server.publicKeyPem).export({ type: 'spki', format: 'der' }));
  const verifier = await defaultVerifier();

  it('reads a plain and an encrypted file bound to the machine', async () => {
    const plain = licenseFileAsServer(server.privateKey, payload);
    expect(await openLicenseFile(plain, spki, verifier)).toEqual(payload);
    const sealed = licenseFileAsServer(server.privateKey, payload, { key: 'KEY-1', fingerprint: 'pc-1' });
    expect(sealed).not.toContain(Buffer.from('KEY-1').toString('base64').slice(0, 6));
    expect(await openLicenseFile(sealed, spki, verifier, { key: 'KEY-1', fingerprint: 'pc-1' })).toEqual(
      payload,
    );
  });

  it('refuses a file of another machine or license, or encrypted without the binding', async () => {
    const plain = licenseFileAsServer(server.privateKey, payload);
    await expect(openLicenseFile(plain, spki, verifier, { fingerprint: 'pc-2' })).rejects.toMatchObject({
      code: 'LICENSE_FILE_MISMATCH',
    });
    await expect(openLicenseFile(plain, spki, verifier, { key: 'KEY-2' })).rejects.toMatchObject({
      code: 'LICENSE_FILE_MISMATCH',
    });
    const sealed = licenseFileAsServer(server.privateKey, payload, { key: 'KEY-1', fingerprint: 'pc-1' });
    await expect(
      openLicenseFile(sealed, spki, verifier, { key: 'KEY-1', fingerprint: 'pc-2' }),
    ).rejects.toMatchObject({
      code: 'LICENSE_FILE_MISMATCH',
    });
    await expect(openLicenseFile(sealed, spki, verifier)).rejects.toMatchObject({
      code: 'LICENSE_FILE_MISMATCH',
    });
  });

  it('accepts a file naming no machine only where the license has no machine limit', async () => {
    const unbound = { ...payload, machine: null };
    const anywhere = licenseFileAsServer(server.privateKey, {
      ...unbound,
      license: { ...payload.license, maxMachines: 0 },
    });
    expect((await openLicenseFile(anywhere, spki, verifier, { fingerprint: 'pc-9' })).machine).toBeNull();
    // Node-locked (a limit), or a file that does not say (written before files stated it): refused.
    for (const license of [{ ...payload.license, maxMachines: 1 }, payload.license]) {
      const file = licenseFileAsServer(server.privateKey, { ...unbound, license });
      await expect(openLicenseFile(file, spki, verifier, { fingerprint: 'pc-9' })).rejects.toMatchObject({
        code: 'LICENSE_FILE_MISMATCH',
      });
    }
  });

  it('refuses a file of another product', async () => {
    const plain = licenseFileAsServer(server.privateKey, payload);
    expect(await openLicenseFile(plain, spki, verifier, { productId: 1 })).toEqual(payload);
    await expect(openLicenseFile(plain, spki, verifier, { productId: 2 })).rejects.toMatchObject({
      code: 'LICENSE_FILE_MISMATCH',
    });
  });

  it('refuses forged and damaged files', async () => {
    const other = createFakeServer();
    const forged = licenseFileAsServer(other.privateKey, {
      ...payload,
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    await expect(openLicenseFile(forged, spki, verifier)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    const genuine = licenseFileAsServer(server.privateKey, payload);
    const lines = genuine.trim().split('\n');
    const envelope = JSON.parse(Buffer.from(lines.slice(1, -1).join(''), 'base64').toString());
    envelope.payload = Buffer.from(
      JSON.stringify({ ...payload, expiresAt: '2099-01-01T00:00:00.000Z' }),
    ).toString('base64');
    const edited = `${lines[0]}\n${Buffer.from(JSON.stringify(envelope)).toString('base64')}\n${lines.at(-1)}\n`;
    await expect(openLicenseFile(edited, spki, verifier)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    for (const garbage of [
      '',
      'hello',
      '-----BEGIN KEYWARD LICENSE FILE-----\n!!!\n-----END KEYWARD LICENSE FILE-----',
    ]) {
      await expect(openLicenseFile(garbage, spki, verifier)).rejects.toMatchObject({
        code: 'LICENSE_FILE_INVALID',
      });
    }
  });
});
