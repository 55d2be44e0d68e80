import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Licensing } from '../licensing.js';
import { MemoryStore } from '../storage.js';
import { type Json, type ServerProcess, startProxy, startServer } from '../test-support/server-process.js';

const DAY_MS = 86_400_000;
const everyTime = { daysBetweenChecks: 0, graceDays: 0 };

/**
 * A proxy that cannot sign anything still controls what the app asks: it can swap the key, the fingerprint
 * or the nonce of a request and pass the server's genuine, signed answer back. Against the built server as a
 * real process, the SDK must refuse every answer that is not about its own request.
 */
describe('signed answers are bound to what was asked', () => {
  let server: ServerProcess;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let productId: number;
  let policyId: number;
  let unlimitedPolicyId: number;

  beforeAll(async () => {
    server = await startServer();
    proxy = await startProxy(server.url);
    productId = (await server.admin('POST', '/v1/products', { name: 'Bound answers' })).id;
    policyId = (
      await server.admin('POST', '/v1/policies', {
        productId,
        name: 'Two seats',
        maxMachines: 2,
        allowLicenseAuth: true,
      })
    ).id;
    unlimitedPolicyId = (
      await server.admin('POST', '/v1/policies', {
        productId,
        name: 'Any machine',
        maxMachines: 0,
        allowLicenseAuth: true,
      })
    ).id;
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  const newLicense = async (policy = policyId): Promise<{ id: number; key: string }> =>
    server.admin('POST', '/v1/licenses', { policyId: policy });
  const activate = (key: string, fingerprint: string): Promise<Json> =>
    fetch(`${server.url}/v1/machines`, {
      method: 'POST',
      headers: { authorization: `License ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fingerprint }),
    }).then((r) => r.json());
  const licensing = (fingerprint: string, options: { now?: () => Date; direct?: boolean } = {}) =>
    new Licensing({
      url: options.direct ? server.url : proxy.url,
      publicKey: server.publicKeyPem,
      fingerprint,
      productId,
      store: new MemoryStore(),
      retries: 0,
      ...(options.now ? { now: options.now } : {}),
    });

  it('refuses a genuine answer about another valid key (the request was rewritten, same nonce)', async () => {
    const own = await newLicense();
    const other = await newLicense();
    const app = licensing('pc-victim');
    proxy.mode = { kind: 'pass' };
    await app.activate(own.key);
    // The one who runs the proxy activated this machine on a license of their own…
    await activate(other.key, 'pc-victim');
    // …and the app's own license is revoked.
    await server.admin('POST', `/v1/licenses/${own.id}/actions/revoke`, {});
    proxy.mode = {
      kind: 'rewrite-request',
      path: '/actions/validate',
      rewrite: (body) => ({ ...body, key: other.key }),
    };
    const swapped = await app.isGenuine(everyTime);
    expect(swapped).toMatchObject({ isGenuine: false, status: 'untrusted-answer', code: 'ANSWER_MISMATCH' });
    proxy.mode = { kind: 'pass' };
    expect(await app.isGenuine(everyTime)).toMatchObject({
      isGenuine: false,
      status: 'invalid',
      code: 'REVOKED',
    });
  });

  it('refuses a genuine answer about another machine of the license (the fingerprint was rewritten)', async () => {
    const license = await newLicense();
    const app = licensing('pc-freed');
    proxy.mode = { kind: 'pass' };
    const { machine } = await app.activate(license.key);
    await activate(license.key, 'pc-still-active');
    // The vendor frees this machine's seat; the other machine keeps its own.
    await server.admin('DELETE', `/v1/machines/${machine.id}`, undefined, 204);
    proxy.mode = {
      kind: 'rewrite-request',
      path: '/actions/validate',
      rewrite: (body) => ({ ...body, fingerprint: 'pc-still-active' }),
    };
    expect(await app.isGenuine(everyTime)).toMatchObject({
      isGenuine: false,
      status: 'untrusted-answer',
      code: 'ANSWER_MISMATCH',
    });
    // Asking without a fingerprint or for another product is the same swap.
    for (const rewrite of [
      ({ fingerprint: _, ...body }: Json) => body,
      ({ productId: _, ...body }: Json) => body,
    ]) {
      proxy.mode = { kind: 'rewrite-request', path: '/actions/validate', rewrite };
      expect((await app.isGenuine(everyTime)).code).toBe('ANSWER_MISMATCH');
    }
    proxy.mode = { kind: 'pass' };
    expect(await app.isGenuine(everyTime)).toMatchObject({ isGenuine: false, code: 'FINGERPRINT_MISMATCH' });
  });

  it('refuses a replayed old answer, also when the proxy replays its nonce into the request', async () => {
    const license = await newLicense();
    const app = licensing('pc-replayed');
    proxy.mode = { kind: 'pass' };
    await app.activate(license.key);
    proxy.mode = { kind: 'replay' };
    expect(await app.isGenuine(everyTime)).toMatchObject({ isGenuine: true, status: 'genuine' });
    await server.admin('POST', `/v1/licenses/${license.id}/actions/suspend`, {});
    expect(await app.isGenuine(everyTime)).toMatchObject({
      isGenuine: false,
      status: 'untrusted-answer',
      code: 'NONCE_MISMATCH',
    });
    // A fresh answer to a request carrying an old nonce is not an answer to this request either.
    proxy.mode = {
      kind: 'rewrite-request',
      path: '/actions/validate',
      rewrite: (body) => ({ ...body, nonce: 'an-old-nonce-0123456789' }),
    };
    expect((await app.isGenuine(everyTime)).code).toBe('NONCE_MISMATCH');
    proxy.mode = { kind: 'pass' };
    expect(await app.isGenuine(everyTime)).toMatchObject({ isGenuine: false, code: 'SUSPENDED' });
  });

  it("refuses an answer whose server time is days from this machine's clock", async () => {
    const license = await newLicense();
    let shiftMs = 0;
    const app = licensing('pc-skewed', { direct: true, now: () => new Date(Date.now() + shiftMs) });
    await app.activate(license.key);
    shiftMs = 3 * DAY_MS;
    expect(await app.isGenuine(everyTime)).toMatchObject({
      isGenuine: false,
      status: 'clock-rollback',
      code: 'CLOCK_SKEW',
    });
    // A wrongly set time zone (hours, not days) still passes.
    shiftMs = 0;
    const zoned = licensing('pc-zoned', { direct: true, now: () => new Date(Date.now() + 9 * 3_600_000) });
    await zoned.activate(license.key);
    expect(await zoned.isGenuine(everyTime)).toMatchObject({ isGenuine: true, status: 'genuine' });
  });

  describe('license files', () => {
    it('the server issues no file naming no machine for a node-locked license, even when asked without one', async () => {
      const license = await newLicense();
      const app = licensing('pc-file');
      proxy.mode = { kind: 'pass' };
      await app.activate(license.key);
      proxy.mode = {
        kind: 'rewrite-request',
        path: '/check-out',
        rewrite: ({ fingerprint: _, encrypt: __, ...body }: Json) => body,
      };
      await expect(app.checkOutLicenseFile({ ttlSeconds: 30 * 86_400 })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        status: 400,
      });
      proxy.mode = { kind: 'pass' };
      const payload = await app.checkOutLicenseFile({ ttlSeconds: 86_400 });
      expect(payload).toMatchObject({
        license: { key: license.key, maxMachines: 2 },
        machine: { fingerprint: 'pc-file' },
      });
    });

    it('the SDK refuses a file of another machine, and one checked out without naming its own', async () => {
      const license = await newLicense();
      await activate(license.key, 'pc-owner');
      // A genuine file, checked out for the machine that holds the seat…
      const { file } = await server.admin('POST', '/v1/licenses/actions/check-out', {
        licenseId: license.id,
        fingerprint: 'pc-owner',
        ttlSeconds: 30 * 86_400,
      });
      // …copied to a machine that was never activated: refused, not stored, so no offline run either.
      const stranger = licensing('pc-never-activated', { direct: true });
      await expect(stranger.verifyLicenseFile(file, license.key)).rejects.toMatchObject({
        code: 'LICENSE_FILE_MISMATCH',
      });
      expect(await stranger.activation()).toBeNull();
      // On its own machine the same file is good.
      const owner = licensing('pc-owner', { direct: true });
      expect((await owner.verifyLicenseFile(file, license.key)).machine?.fingerprint).toBe('pc-owner');

      // A license without a machine limit may get a file naming no machine, but the app asked for one
      // naming itself: a file that answers another request is refused.
      const open = await newLicense(unlimitedPolicyId);
      const app = licensing('pc-open');
      proxy.mode = { kind: 'pass' };
      await app.activate(open.key);
      proxy.mode = {
        kind: 'rewrite-request',
        path: '/check-out',
        rewrite: ({ fingerprint: _, encrypt: __, ...body }: Json) => body,
      };
      await expect(app.checkOutLicenseFile()).rejects.toMatchObject({ code: 'LICENSE_FILE_MISMATCH' });
      proxy.mode = { kind: 'pass' };
    });
  });
});
