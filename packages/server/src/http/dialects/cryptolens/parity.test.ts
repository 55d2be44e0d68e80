import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  callCryptolens,
  cryptolensLicense,
  cryptolensProduct,
  cryptolensToken,
  decodeLicense,
  type Json,
  testActor,
} from '../../../test-support/cryptolens-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

type Outcome = 'valid' | 'expired' | 'blocked' | 'over-limit' | 'wrong-machine';

/** The native verdict, in the words the two surfaces share. */
function nativeOutcome(code: string): Outcome | string {
  const outcomes: Record<string, Outcome> = {
    VALID: 'valid',
    EXPIRED: 'expired',
    SUSPENDED: 'blocked',
    REVOKED: 'blocked',
    TOO_MANY_MACHINES: 'over-limit',
    FINGERPRINT_MISMATCH: 'wrong-machine',
    NO_MACHINE: 'wrong-machine',
  };
  return outcomes[code] ?? code;
}

/**
 * What a Cryptolens app concludes from GetKey: LicenseStatus says blocked (2), expired (1) or otherwise
 * invalid; a valid license must list its machine code among the activations (IsOnRightMachine).
 */
function cryptolensOutcome(answer: Json, machineCode: string): Outcome | string {
  const status = answer.metadata.licenseStatus;
  if (status.reasonForInvalidity === 2) return 'blocked';
  if (status.reasonForInvalidity === 1) return 'expired';
  if (!status.isValid) return 'over-limit';
  const license = decodeLicense(answer);
  return license.ActivatedMachines.some((m: Json) => m.Mid === machineCode) ? 'valid' : 'wrong-machine';
}

const dialects = await testDialects();

describe.each(dialects)('native and Cryptolens give the same outcome (%s)', (dialect) => {
  let t: TestApp;
  let token: string;
  let productId: number;
  let policyId: number;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    token = await cryptolensToken(t);
    ({ productId, policyId } = await cryptolensProduct(t, { maxMachines: 2 }));
  });
  afterAll(() => t.dispose());

  const DAY_MS = 86_400_000;

  /** Each state built through the domain; the app of each case runs on the machine "pc". */
  const states: Record<Outcome, () => Promise<string>> = {
    valid: async () => {
      const license = await cryptolensLicense(t, policyId, {
        expiresAt: new Date(t.clock.now().getTime() + DAY_MS),
      });
      await t.keyward.machines.activate(testActor, license.id, { fingerprint: 'pc' });
      return license.key;
    },
    expired: async () => {
      const license = await cryptolensLicense(t, policyId, {
        expiresAt: new Date(t.clock.now().getTime() + 1000),
      });
      await t.keyward.machines.activate(testActor, license.id, { fingerprint: 'pc' });
      await t.keyward.licenses.update(testActor, license.id, {
        expiresAt: new Date(t.clock.now().getTime() - 1000),
      });
      return license.key;
    },
    blocked: async () => {
      const license = await cryptolensLicense(t, policyId);
      await t.keyward.machines.activate(testActor, license.id, { fingerprint: 'pc' });
      await t.keyward.licenses.suspend(testActor, license.id);
      return license.key;
    },
    'over-limit': async () => {
      const license = await cryptolensLicense(t, policyId);
      await t.keyward.machines.activate(testActor, license.id, { fingerprint: 'pc' });
      await t.keyward.machines.activate(testActor, license.id, { fingerprint: 'pc-2' });
      await t.keyward.licenses.update(testActor, license.id, { overrides: { maxMachines: 1 } });
      return license.key;
    },
    'wrong-machine': async () => {
      const license = await cryptolensLicense(t, policyId);
      await t.keyward.machines.activate(testActor, license.id, { fingerprint: 'someone-else' });
      return license.key;
    },
  };

  for (const [expected, build] of Object.entries(states)) {
    it(`agrees on a license that is ${expected}`, async () => {
      const key = await build();
      const native = await t.call({
        method: 'POST',
        url: '/v1/licenses/actions/validate-key',
        payload: { key, fingerprint: 'pc', productId },
      });
      expect(native.statusCode, native.body).toBe(200);
      const cryptolens = await answerOf(
        callCryptolens(t, 'key/GetKey', {
          token,
          ProductId: productId,
          Key: key,
          Metadata: true,
          SignMethod: 1,
          ModelVersion: 3,
        }),
      );
      expect(nativeOutcome(native.json().code)).toBe(expected);
      expect(cryptolensOutcome(cryptolens, 'pc')).toBe(expected);
    });
  }

  it('agrees on activating one more machine: only blocked and over-limit licenses refuse', async () => {
    const refusals: Record<string, string | null> = {};
    for (const [state, build] of Object.entries(states)) {
      // One license per surface, so the first activation does not take the seat the second would get.
      const license = await t.keyward.licenses.getByKey(await build());
      const key = await build();
      const native = await t.call({
        method: 'POST',
        url: '/v1/machines',
        payload: { licenseId: license.id, fingerprint: `new-${state}` },
      });
      const cryptolens = await answerOf(
        callCryptolens(t, 'key/Activate', {
          token,
          ProductId: productId,
          Key: key,
          MachineCode: `other-${state}`,
          SignMethod: 1,
        }),
      );
      refusals[state] = cryptolens.result === 0 ? null : cryptolens.message;
      // Expiry is enforced by Cryptolens apps themselves, so only there an expired license activates.
      if (state === 'expired') expect(native.json().error.code).toBe('LICENSE_EXPIRED');
      else expect(native.statusCode < 400, `${state}: ${native.body}`).toBe(refusals[state] === null);
    }
    expect(refusals).toEqual({
      valid: null,
      expired: null,
      blocked: 'The key is blocked and cannot be accessed.',
      'over-limit': 'Cannot activate the new device as the limit has been reached.',
      'wrong-machine': null,
    });
  });

  it('keeps a floating seat limit exact under parallel Cryptolens activations', async () => {
    const license = await cryptolensLicense(t, policyId);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        answerOf(
          callCryptolens(t, 'key/Activate', {
            token,
            ProductId: productId,
            Key: license.key,
            MachineCode: `parallel-${i}`,
            FloatingTimeInterval: 300,
            MaxOverdraft: 1,
          }),
        ),
      ),
    );
    expect(answers.filter((a) => a.result === 0)).toHaveLength(3);
    expect((await t.store.machines.listActive(license.id)).length).toBe(3);
  });
});
