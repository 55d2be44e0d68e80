import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activateDevice,
  activationOutcome,
  authtool,
  createKeys,
  createPackage,
  DAY,
  detail,
  expectAnswer,
  type Json,
  multiBody,
  singleBody,
  validateNatively,
} from '../../../test-support/authtool-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

/**
 * The same key states seen through the native API and through AuthTool's detail view must agree: a reseller
 * reading `detail` learns exactly what the device is told when it validates or activates natively.
 */

type Verdict = 'VALID' | 'DISABLED' | 'EXPIRED' | 'ACTIVATION_EXPIRED' | 'NOT_ACTIVATED';

/** What AuthTool's detail says about a device, in the order core checks: disabled, key expiry, the device. */
function authToolVerdict(view: Json, uid: string): Verdict {
  if (view.key.status === 0) return 'DISABLED';
  if (view.key.isExpired) return 'EXPIRED';
  const device = view.devices.findLast((d: Json) => d.uid === uid);
  if (!device) return 'NOT_ACTIVATED';
  return device.isExpired ? 'ACTIVATION_EXPIRED' : device.status === 1 ? 'VALID' : 'NOT_ACTIVATED';
}

const NATIVE_VERDICTS: Record<string, Verdict> = {
  VALID: 'VALID',
  SUSPENDED: 'DISABLED',
  EXPIRED: 'EXPIRED',
  ACTIVATION_EXPIRED: 'ACTIVATION_EXPIRED',
  NO_MACHINE: 'NOT_ACTIVATED',
  FINGERPRINT_MISMATCH: 'NOT_ACTIVATED',
};

/** Whether AuthTool's view says one more device may activate. */
const authToolAdmitsNewDevice = (view: Json) =>
  view.key.status === 1 && !view.key.isExpired && view.key.activateCount < view.key.activateLimit;

interface State {
  name: string;
  /** Creates a key, brings it into the state, and returns it. */
  arrange: (t: TestApp, packageId: number) => Promise<string>;
  verdict: Verdict;
  /** The native refusal of a new device, or ACTIVATED. */
  newDevice: string;
}

const setStatus = (t: TestApp, key: string, status: number) =>
  expectAnswer(authtool(t, { method: 'PATCH', path: `/key/${key}/change-status`, payload: { status } }), 200);

const STATES: State[] = [
  {
    name: 'valid',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'multiple', multiBody(t, [p], { activateCount: 3 }))) as [string];
      await activateDevice(t, key, 'device-a');
      return key;
    },
    verdict: 'VALID',
    newDevice: 'ACTIVATED',
  },
  {
    name: 'expired (endDate passed)',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'multiple', multiBody(t, [p], { duration: 1, unit: 'year' }))) as [
        string,
      ];
      await activateDevice(t, key, 'device-a');
      t.clock.advance(31 * DAY);
      return key;
    },
    verdict: 'EXPIRED',
    newDevice: 'LICENSE_EXPIRED',
  },
  {
    name: 'expired (single-activate, from creation)',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'single', singleBody([p], { duration: 2, unit: 'day' }))) as [
        string,
      ];
      await activateDevice(t, key, 'device-a');
      t.clock.advance(2 * DAY);
      return key;
    },
    verdict: 'EXPIRED',
    newDevice: 'LICENSE_EXPIRED',
  },
  {
    name: 'disabled',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'multiple', multiBody(t, [p]))) as [string];
      await activateDevice(t, key, 'device-a');
      await setStatus(t, key, 0);
      return key;
    },
    verdict: 'DISABLED',
    newDevice: 'LICENSE_SUSPENDED',
  },
  {
    name: 'disabled and expired',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'single', singleBody([p], { duration: 1, unit: 'hour' }))) as [
        string,
      ];
      await activateDevice(t, key, 'device-a');
      await setStatus(t, key, 0);
      t.clock.advance(3600);
      return key;
    },
    verdict: 'DISABLED',
    newDevice: 'LICENSE_SUSPENDED',
  },
  {
    name: 'limit reached (multiple-activate)',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'multiple', multiBody(t, [p], { activateCount: 2 }))) as [string];
      await activateDevice(t, key, 'device-a');
      await activateDevice(t, key, 'device-b');
      return key;
    },
    verdict: 'VALID',
    newDevice: 'MACHINE_LIMIT_REACHED',
  },
  {
    name: 'limit reached (single-activate)',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'single', singleBody([p]))) as [string];
      await activateDevice(t, key, 'device-a');
      return key;
    },
    verdict: 'VALID',
    newDevice: 'MACHINE_LIMIT_REACHED',
  },
  {
    name: "the device's own validity is over",
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'multiple', multiBody(t, [p], { duration: 2, unit: 'hour' }))) as [
        string,
      ];
      await activateDevice(t, key, 'device-a');
      t.clock.advance(2 * 3600);
      return key;
    },
    verdict: 'ACTIVATION_EXPIRED',
    newDevice: 'ACTIVATED',
  },
  {
    name: 'reset',
    arrange: async (t, p) => {
      const [key] = (await createKeys(t, 'multiple', multiBody(t, [p], { activateCount: 2 }))) as [string];
      await activateDevice(t, key, 'device-a');
      await activateDevice(t, key, 'device-b');
      await expectAnswer(authtool(t, { method: 'PATCH', path: `/key/${key}/reset` }), 200);
      return key;
    },
    verdict: 'NOT_ACTIVATED',
    newDevice: 'ACTIVATED',
  },
];

describe.each(await testDialects())('native and AuthTool views agree on %s', (dialect) => {
  let t: TestApp;
  let packageId: number;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    packageId = await createPackage(t);
  });
  afterAll(() => t.dispose());

  it.each(STATES)('$name', async (state) => {
    const key = await state.arrange(t, packageId);
    const view = await detail(t, key);
    const native = await validateNatively(t, key, { fingerprint: 'device-a' });
    expect(authToolVerdict(view, 'device-a')).toBe(state.verdict);
    expect(NATIVE_VERDICTS[native.code]).toBe(state.verdict);
    expect(native.valid).toBe(state.verdict === 'VALID');
    expect(authToolAdmitsNewDevice(view)).toBe(state.newDevice === 'ACTIVATED');
    expect(await activationOutcome(t, key, 'device-new')).toBe(state.newDevice);
  });
});
