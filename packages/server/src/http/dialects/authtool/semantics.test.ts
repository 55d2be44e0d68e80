import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  activateDevice,
  activationOutcome,
  authtool,
  createKeys,
  createPackage,
  DAY,
  detail,
  expectAnswer,
  multiBody,
  singleBody,
  validateNatively,
} from '../../../test-support/authtool-calls.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

/** What AuthTool's documentation says keys do, through this dialect, with devices activating natively. */

describe.each(await testDialects())('AuthTool key semantics on %s', (dialect) => {
  let t: TestApp;
  let packageId: number;

  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    t.clock.set(new Date('2030-01-31T12:00:00Z'));
    packageId = await createPackage(t);
  });

  it('creates `quantity` distinct keys in the shape XXXX-XXXX-XXXX-XXXX', async () => {
    const keys = await createKeys(t, 'multiple', multiBody(t, [packageId], { quantity: 25 }));
    expect(keys).toHaveLength(25);
    expect(new Set(keys).size).toBe(25);
    for (const key of keys) expect(key).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  });

  it('single-activate: one device, valid from creation for duration and unit', async () => {
    const [key] = (await createKeys(t, 'single', singleBody([packageId], { duration: 30, unit: 'day' }))) as [
      string,
    ];
    t.clock.advance(10 * DAY);
    expect(await activationOutcome(t, key, 'phone-a')).toBe('ACTIVATED');
    expect(await activationOutcome(t, key, 'phone-b')).toBe('MACHINE_LIMIT_REACHED');
    const before = await detail(t, key);
    expect(before.key).toMatchObject({
      activateCount: 1,
      activateLimit: 1,
      unit: 'day',
      duration: 30,
      expiredAt: '2030-03-02T12:00:00.000Z',
      isExpired: false,
    });
    // The device's validity is the key's: it ran from creation, not from this activation ten days later.
    expect(before.devices).toEqual([
      {
        uid: 'phone-a',
        activeAt: '2030-02-10T12:00:00.000Z',
        expireAt: '2030-03-02T12:00:00.000Z',
        isExpired: false,
        status: 1,
      },
    ]);
    t.clock.advance(20 * DAY);
    expect(await validateNatively(t, key, { fingerprint: 'phone-a' })).toEqual({
      valid: false,
      code: 'EXPIRED',
    });
    const after = await detail(t, key);
    expect(after.key.isExpired).toBe(true);
    expect(after.devices[0]).toMatchObject({ isExpired: true, status: 0 });
  });

  it('multiple-activate: each device valid from its own first activation, up to activateCount devices', async () => {
    const body = multiBody(t, [packageId], {
      duration: 7,
      unit: 'day',
      activateCount: 3,
      endDate: '2030-06-01T00:00:00Z',
    });
    const [key] = (await createKeys(t, 'multiple', body)) as [string];
    expect(await activationOutcome(t, key, 'device-a')).toBe('ACTIVATED');
    t.clock.advance(5 * DAY);
    expect(await activationOutcome(t, key, 'device-b')).toBe('ACTIVATED');
    t.clock.advance(3 * DAY);
    // device-a's week is over; device-b has four days left; the key itself is valid.
    expect(await validateNatively(t, key, { fingerprint: 'device-a' })).toEqual({
      valid: false,
      code: 'ACTIVATION_EXPIRED',
    });
    expect(await validateNatively(t, key, { fingerprint: 'device-b' })).toEqual({
      valid: true,
      code: 'VALID',
    });
    expect(await activationOutcome(t, key, 'device-a')).toBe('LICENSE_EXPIRED');
    const view = await detail(t, key);
    expect(view.key).toMatchObject({
      activateCount: 2,
      activateLimit: 3,
      unit: 'day',
      duration: 7,
      isExpired: false,
    });
    expect(view.devices).toEqual([
      {
        uid: 'device-a',
        activeAt: '2030-01-31T12:00:00.000Z',
        expireAt: '2030-02-07T12:00:00.000Z',
        isExpired: true,
        status: 0,
      },
      {
        uid: 'device-b',
        activeAt: '2030-02-05T12:00:00.000Z',
        expireAt: '2030-02-12T12:00:00.000Z',
        isExpired: false,
        status: 1,
      },
    ]);
    // activateCount counts activations, not live devices: an expired device keeps its place.
    expect(await activationOutcome(t, key, 'device-c')).toBe('ACTIVATED');
    expect(await activationOutcome(t, key, 'device-d')).toBe('MACHINE_LIMIT_REACHED');
    expect((await detail(t, key)).key.activateCount).toBe(3);
  });

  it('multiple-activate: no device outlives endDate', async () => {
    const body = multiBody(t, [packageId], { duration: 1, unit: 'year', endDate: '2030-02-10T00:00:00Z' });
    const [key] = (await createKeys(t, 'multiple', body)) as [string];
    await activateDevice(t, key, 'device-a');
    expect((await detail(t, key)).devices[0].expireAt).toBe('2030-02-10T00:00:00.000Z');
    t.clock.set(new Date('2030-02-10T00:00:00Z'));
    expect(await validateNatively(t, key)).toEqual({ valid: false, code: 'EXPIRED' });
    expect(await activationOutcome(t, key, 'device-b')).toBe('LICENSE_EXPIRED');
    const view = await detail(t, key);
    expect(view.key).toMatchObject({ isExpired: true, expiredAt: '2030-02-10T00:00:00.000Z' });
    expect(view.devices[0]).toMatchObject({ isExpired: true, status: 0 });
  });

  it('counts months and years on the calendar: a month after January 31 ends on the last day of February', async () => {
    const [monthly] = (await createKeys(
      t,
      'multiple',
      multiBody(t, [packageId], { duration: 1, unit: 'month', endDate: '2031-01-01T00:00:00Z' }),
    )) as [string];
    await activateDevice(t, monthly, 'device-a');
    expect((await detail(t, monthly)).devices[0].expireAt).toBe('2030-02-28T12:00:00.000Z');
    const [hourly] = (await createKeys(
      t,
      'single',
      singleBody([packageId], { duration: 36, unit: 'hour' }),
    )) as [string];
    expect((await detail(t, hourly)).key.expiredAt).toBe('2030-02-02T00:00:00.000Z');
    const [weekly] = (await createKeys(
      t,
      'single',
      singleBody([packageId], { duration: 2, unit: 'week' }),
    )) as [string];
    expect((await detail(t, weekly)).key.expiredAt).toBe('2030-02-14T12:00:00.000Z');
    const [yearly] = (await createKeys(
      t,
      'single',
      singleBody([packageId], { duration: 1, unit: 'year' }),
    )) as [string];
    expect((await detail(t, yearly)).key.expiredAt).toBe('2031-01-31T12:00:00.000Z');
  });

  it('disabled keys refuse use until enabled again', async () => {
    const [key] = (await createKeys(t, 'multiple', multiBody(t, [packageId]))) as [string];
    await activateDevice(t, key, 'device-a');
    const change = (status: number) =>
      expectAnswer(
        authtool(t, { method: 'PATCH', path: `/key/${key}/change-status`, payload: { status } }),
        200,
      );
    expect(await change(0)).toEqual({ message: 'Key status changed successfully' });
    expect(await validateNatively(t, key, { fingerprint: 'device-a' })).toEqual({
      valid: false,
      code: 'SUSPENDED',
    });
    expect(await activationOutcome(t, key, 'device-b')).toBe('LICENSE_SUSPENDED');
    expect((await detail(t, key)).key.status).toBe(0);
    await change(1);
    expect(await validateNatively(t, key, { fingerprint: 'device-a' })).toEqual({
      valid: true,
      code: 'VALID',
    });
    expect(await activationOutcome(t, key, 'device-b')).toBe('ACTIVATED');
    expect((await detail(t, key)).key.status).toBe(1);
  });

  it('cannot enable a key revoked for good: a revocation is final on every surface', async () => {
    const [key] = (await createKeys(t, 'multiple', multiBody(t, [packageId]))) as [string];
    const native = (method: string, url: string) =>
      t.app.inject({
        method: method as 'POST',
        url,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
    const { id } = (await native('GET', `/v1/licenses/${key}`)).json();
    expect((await native('POST', `/v1/licenses/${id}/actions/revoke`)).statusCode).toBe(200);
    const enable = await authtool(t, {
      method: 'PATCH',
      path: `/key/${key}/change-status`,
      payload: { status: 1 },
    });
    expect(enable.statusCode).toBe(422);
    const reinstate = await native('POST', `/v1/licenses/${id}/actions/reinstate`);
    expect([reinstate.statusCode, reinstate.json().error.code]).toEqual([422, 'LICENSE_REVOKED']);
    expect(await validateNatively(t, key, {})).toEqual({ valid: false, code: 'REVOKED' });
    expect((await detail(t, key)).key.status).toBe(0);
  });

  it('reset removes the devices, zeroes the count, frees the places and counts resets', async () => {
    const [key] = (await createKeys(t, 'multiple', multiBody(t, [packageId], { activateCount: 2 }))) as [
      string,
    ];
    await activateDevice(t, key, 'device-a');
    await activateDevice(t, key, 'device-b');
    expect(await activationOutcome(t, key, 'device-c')).toBe('MACHINE_LIMIT_REACHED');
    const reset = () => expectAnswer(authtool(t, { method: 'PATCH', path: `/key/${key}/reset` }), 200);
    expect(await reset()).toEqual({ message: 'Reset successfully', resetCount: 1 });
    expect(await validateNatively(t, key, { fingerprint: 'device-a' })).toEqual({
      valid: false,
      code: 'NO_MACHINE',
    });
    t.clock.advance(DAY);
    expect(await activationOutcome(t, key, 'device-c')).toBe('ACTIVATED');
    // A device that comes back after a reset starts a fresh validity.
    expect(await activationOutcome(t, key, 'device-a')).toBe('ACTIVATED');
    const view = await detail(t, key);
    expect(view.key.activateCount).toBe(2);
    // Every device ever activated is listed; the ones removed by the reset are inactive.
    expect(view.devices.map((d: { uid: string; status: number }) => [d.uid, d.status])).toEqual([
      ['device-a', 0],
      ['device-b', 0],
      ['device-c', 1],
      ['device-a', 1],
    ]);
    expect(view.devices[3].activeAt).toBe('2030-02-01T12:00:00.000Z');
    expect(await reset()).toEqual({ message: 'Reset successfully', resetCount: 2 });
  });

  it('devices cannot free their own place: only a reset gives places back', async () => {
    const [key] = (await createKeys(t, 'multiple', multiBody(t, [packageId]))) as [string];
    const machine = (await activateDevice(t, key, 'device-a')).json();
    const answer = await t.app.inject({
      method: 'DELETE',
      url: `/v1/machines/${machine.id}`,
      headers: { authorization: `License ${key}` },
    });
    expect(answer.statusCode, answer.body).toBe(422);
    expect(answer.json().error.code).toBe('DEACTIVATION_LIMIT_REACHED');
  });

  it('one key unlocks every package it was created for, and no other', async () => {
    const second = await createPackage(t);
    const third = await createPackage(t);
    const [key] = (await createKeys(t, 'single', singleBody([packageId, second]))) as [string];
    expect(await validateNatively(t, key, { productId: packageId })).toMatchObject({ valid: true });
    expect(await validateNatively(t, key, { productId: second })).toMatchObject({ valid: true });
    expect(await validateNatively(t, key, { productId: third })).toEqual({
      valid: false,
      code: 'PRODUCT_MISMATCH',
    });
  });

  it('keys of a kind share one policy per first package, made on first use', async () => {
    const [a] = (await createKeys(t, 'single', singleBody([packageId]))) as [string];
    const [b] = (await createKeys(t, 'single', singleBody([packageId]))) as [string];
    const [c] = (await createKeys(t, 'multiple', multiBody(t, [packageId]))) as [string];
    const [la, lb, lc] = await Promise.all([a, b, c].map((k) => t.keyward.licenses.getByKey(k)));
    expect(la?.policyId).toBe(lb?.policyId);
    expect(lc?.policyId).not.toBe(la?.policyId);
    const policy = await t.keyward.catalog.getPolicy(la?.policyId as number);
    expect(policy).toMatchObject({
      productId: packageId,
      name: 'Single-activation keys',
      maxDeactivations: 0,
    });
  });

  it('keeps the alias on the key: in detail and in the native license', async () => {
    const [key] = (await createKeys(
      t,
      'multiple',
      multiBody(t, [packageId], { alias: '  my-multi-key ' }),
    )) as [string];
    expect((await detail(t, key)).key.alias).toBe('my-multi-key');
    const native = await t.app.inject({
      method: 'GET',
      url: `/v1/licenses/${key}`,
      headers: { authorization: 'Bearer kw_test_admin_token_0123456789abcdef' },
    });
    expect(native.json().alias).toBe('my-multi-key');
  });

  it('delete removes the key everywhere', async () => {
    const [key] = (await createKeys(t, 'single', singleBody([packageId]))) as [string];
    await activateDevice(t, key, 'device-a');
    expect(await expectAnswer(authtool(t, { method: 'DELETE', path: `/key/${key}` }), 200)).toEqual({
      message: 'Key deleted successfully',
    });
    await expectAnswer(authtool(t, { method: 'GET', path: `/key/${key}/detail` }), 404, /^Key not found$/);
    expect(await validateNatively(t, key)).toEqual({ valid: false, code: 'NOT_FOUND' });
    await expectAnswer(authtool(t, { method: 'DELETE', path: `/key/${key}` }), 404);
  });

  it('deletes cleanable keys once expired, and leaves the others', async () => {
    const [cleanable] = (await createKeys(
      t,
      'single',
      singleBody([packageId], { duration: 2, unit: 'hour', isCleanable: true }),
    )) as [string];
    const [kept] = (await createKeys(
      t,
      'single',
      singleBody([packageId], { duration: 2, unit: 'hour' }),
    )) as [string];
    const [later] = (await createKeys(
      t,
      'multiple',
      multiBody(t, [packageId], { isCleanable: true, endDate: '2030-02-02T00:00:00Z' }),
    )) as [string];
    await activateDevice(t, cleanable, 'device-a');
    t.clock.advance(2 * 3600 - 1);
    await t.keyward.licenseCleanup.sweep();
    await detail(t, cleanable);
    t.clock.advance(1);
    await t.keyward.licenseCleanup.sweep();
    await expectAnswer(authtool(t, { method: 'GET', path: `/key/${cleanable}/detail` }), 404);
    expect((await detail(t, kept)).key.isExpired).toBe(true);
    expect((await detail(t, later)).key.isExpired).toBe(false);
    t.clock.set(new Date('2030-02-02T00:00:00Z'));
    await t.keyward.licenseCleanup.sweep();
    await expectAnswer(authtool(t, { method: 'GET', path: `/key/${later}/detail` }), 404);
    await detail(t, kept);
  });

  it('accepts the body as an HTML form and as JSON sent without its content type', async () => {
    const form = `quantity=2&packageIds[]=${packageId}&duration=3&unit=day&isCleanable=1&alias=from-form`;
    const fromForm = await expectAnswer(
      authtool(t, {
        method: 'POST',
        path: '/key/single-activate',
        payload: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      201,
    );
    expect(fromForm.data).toHaveLength(2);
    const license = await t.keyward.licenses.getByKey(fromForm.data[0]);
    expect(license).toMatchObject({
      isCleanable: true,
      alias: 'from-form',
      termPeriod: { count: 3, unit: 'day' },
    });
    // `curl -d '{…}'` labels JSON as a form.
    const curlStyle = await expectAnswer(
      authtool(t, {
        method: 'POST',
        path: '/key/single-activate',
        payload: JSON.stringify(singleBody([packageId])),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      201,
    );
    expect(curlStyle.data).toHaveLength(1);
  });
});
