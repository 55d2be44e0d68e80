import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOfflineRequest } from '../../../core/signing/offline-exchange.js';
import { call, generateKey, ok, type Param, productWithVersion } from '../../../test-support/limelm-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

/**
 * Parity: the same license state gives the same outcome through the native API and through LimeLM, because
 * core decides both. Each case sets up two identical keys, activates one natively and one through
 * pkey.manualActivation, and compares the outcomes through one table of equivalents.
 */

const EQUIVALENT: Record<string, number | 'ok'> = {
  OK: 'ok',
  MACHINE_LIMIT_REACHED: 106,
  LICENSE_SUSPENDED: 105,
  LICENSE_REVOKED: 105,
  LICENSE_EXPIRED: 192,
  VM_NOT_ALLOWED: 193,
  USERNAME_NOT_ALLOWED: 194,
  DEACTIVATION_LIMIT_REACHED: 191,
};

interface Machine {
  fingerprint: string;
  isVm?: boolean;
  username?: string;
  platform?: string;
}

interface Case {
  name: string;
  key: Record<string, Param>;
  /** Activations both keys get first (all must succeed). */
  before?: Machine[];
  /** After generate: what is done to each key through LimeLM. */
  prepare?: (t: TestApp, id: string) => Promise<void>;
  attempt: Machine;
  expected: keyof typeof EQUIVALENT;
}

const CASES: Case[] = [
  { name: 'a free seat', key: { num_acts: 1 }, attempt: { fingerprint: 'pc-1' }, expected: 'OK' },
  {
    name: 'every seat taken',
    key: { num_acts: 1 },
    before: [{ fingerprint: 'pc-1' }],
    attempt: { fingerprint: 'pc-2' },
    expected: 'MACHINE_LIMIT_REACHED',
  },
  {
    name: 'the same machine again takes no seat',
    key: { num_acts: 1 },
    before: [{ fingerprint: 'pc-1' }],
    attempt: { fingerprint: 'pc-1' },
    expected: 'OK',
  },
  {
    name: 'a revoked key',
    key: {},
    prepare: async (t, id) => void (await ok(t, 'limelm.pkey.revoke', { pkey_id: id })),
    attempt: { fingerprint: 'pc-1' },
    expected: 'LICENSE_SUSPENDED',
  },
  {
    name: 'a virtual machine with allow_vm=no',
    key: { allow_vm: 'no' },
    attempt: { fingerprint: 'vm-1', isVm: true },
    expected: 'VM_NOT_ALLOWED',
  },
  {
    name: 'a virtual machine with allow_vm=yes',
    key: { allow_vm: 'yes' },
    attempt: { fingerprint: 'vm-1', isVm: true },
    expected: 'OK',
  },
  {
    name: 'a TurboFloat key: a listed user on the listed platform',
    key: { for_tfs: 'true', num_acts: 2, uname_limit_name: ['alice'], uname_limit_platform: [1] },
    attempt: { fingerprint: 'lease-1', username: 'alice', platform: 'Windows 11 Pro' },
    expected: 'OK',
  },
  {
    name: 'a TurboFloat key: a user not on the list',
    key: { for_tfs: 'true', num_acts: 2, uname_limit_name: ['alice'], uname_limit_platform: [0] },
    attempt: { fingerprint: 'lease-2', username: 'bob', platform: 'Windows 11 Pro' },
    expected: 'USERNAME_NOT_ALLOWED',
  },
  {
    name: 'a TurboFloat key: a listed user on another platform',
    key: { for_tfs: 'true', num_acts: 2, uname_limit_name: ['alice'], uname_limit_platform: [3] },
    attempt: { fingerprint: 'lease-3', username: 'alice', platform: 'macOS 14' },
    expected: 'USERNAME_NOT_ALLOWED',
  },
  {
    name: 'a TurboFloat key: every lease taken',
    key: { for_tfs: 'true', num_acts: 1 },
    before: [{ fingerprint: 'lease-a' }],
    attempt: { fingerprint: 'lease-b' },
    expected: 'MACHINE_LIMIT_REACHED',
  },
];

for (const dialect of await testDialects()) {
  describe(`native and LimeLM agree (${dialect})`, () => {
    let t: TestApp;
    let versionId: string;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ versionId } = await productWithVersion(t));
    });
    afterAll(() => t.dispose());

    const native = async (licenseId: string, machine: Machine): Promise<string> => {
      const response = await t.call({
        method: 'POST',
        url: '/v1/machines',
        payload: { licenseId: Number(licenseId), ...machine },
      });
      return response.statusCode < 300 ? 'OK' : response.json().error.code;
    };
    const limelm = async (key: string, machine: Machine): Promise<number | 'ok'> => {
      const act_req_xml = encodeOfflineRequest({
        type: 'activation',
        key,
        requestedAt: t.clock.now(),
        nonce: `nonce-${machine.fingerprint}-${Math.random()}`,
        ...machine,
      });
      const body = await call(t, 'limelm.pkey.manualActivation', { act_req_xml });
      return body.stat === 'ok' ? 'ok' : body.code;
    };

    for (const c of CASES) {
      it(c.name, async () => {
        const [a, b] = [await generateKey(t, versionId, c.key), await generateKey(t, versionId, c.key)];
        for (const key of [a, b]) {
          await c.prepare?.(t, key.id);
          for (const machine of c.before ?? []) expect(await native(key.id, machine)).toBe('OK');
        }
        const nativeOutcome = await native(a.id, c.attempt);
        const limelmOutcome = await limelm(b.key, c.attempt);
        expect(nativeOutcome).toBe(c.expected);
        expect(limelmOutcome).toBe(EQUIVALENT[c.expected]);
        const [detailsA, detailsB] = [
          (await ok(t, 'limelm.pkey.getDetails', { pkey_id: a.id })).pkey,
          (await ok(t, 'limelm.pkey.getDetails', { pkey_id: b.id })).pkey,
        ];
        expect(detailsA.acts_used).toBe(detailsB.acts_used);
        const machines = (await t.call({ method: 'GET', url: `/v1/machines?licenseId=${a.id}` })).json();
        expect(String(machines.data.length)).toBe(detailsA.acts_used);
      });
    }

    it('an expired key (set natively) refuses both', async () => {
      const [a, b] = [await generateKey(t, versionId), await generateKey(t, versionId)];
      const past = new Date(t.clock.now().getTime() - 1000).toISOString();
      for (const key of [a, b]) {
        await t.call({ method: 'PATCH', url: `/v1/licenses/${key.id}`, payload: { expiresAt: past } });
      }
      expect(await native(a.id, { fingerprint: 'late' })).toBe('LICENSE_EXPIRED');
      expect(await limelm(b.key, { fingerprint: 'late' })).toBe(EQUIVALENT.LICENSE_EXPIRED);
    });

    it('deactivation limits hold alike for DELETE /v1/machines and pkey.deactivate', async () => {
      const [a, b] = [
        await generateKey(t, versionId, { num_acts: 3, deact_limit: 1 }),
        await generateKey(t, versionId, { num_acts: 3, deact_limit: 1 }),
      ];
      const machines = async (id: string) =>
        (await t.call({ method: 'GET', url: `/v1/machines?licenseId=${id}` }))
          .json()
          .data.map((m: { id: number }) => m.id);
      for (const key of [a, b]) for (const fingerprint of ['m1', 'm2']) await native(key.id, { fingerprint });
      const [a1, a2] = await machines(a.id);
      const [b1, b2] = await machines(b.id);
      expect((await t.call({ method: 'DELETE', url: `/v1/machines/${a1}` })).statusCode).toBe(204);
      expect((await ok(t, 'limelm.pkey.deactivate', { act_id: b1 })).stat).toBe('ok');
      const nativeRefusal = (await t.call({ method: 'DELETE', url: `/v1/machines/${a2}` })).json().error.code;
      const limelmRefusal = (await call(t, 'limelm.pkey.deactivate', { act_id: b2 })).code;
      expect(nativeRefusal).toBe('DEACTIVATION_LIMIT_REACHED');
      expect(limelmRefusal).toBe(EQUIVALENT.DEACTIVATION_LIMIT_REACHED);
    });
  });
}
