import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOfflineRequest, openOfflineResponse } from '../../../core/signing/offline-exchange.js';
import { fails, generateKey, ok, productWithVersion } from '../../../test-support/limelm-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

/** pkey.manualActivation, pkey.manualDeactivation, trial.manualVerifiedTrial over Keyward's offline format. */

describe('offline activation', () => {
  let t: TestApp;
  let versionId: string;
  let publicKeyPem: string;
  beforeAll(async () => {
    t = await createTestApp();
    ({ versionId } = await productWithVersion(t, { trial_length: 14 }));
    await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'edition', required: 'false' });
    await ok(t, 'limelm.feature.add', {
      version_id: versionId,
      name: 'internal note',
      required: 'false',
      ta_readable: 'false',
    });
    const keys = (await t.call({ method: 'GET', url: '/v1/signing-keys', token: null })).json();
    publicKeyPem = keys.data.find((k: { algorithm: string }) => k.algorithm === 'ed25519').publicKeyPem;
  });
  afterAll(() => t.dispose());

  const activationRequest = (key: string, fingerprint: string, extra: Record<string, unknown> = {}) =>
    encodeOfflineRequest({
      type: 'activation',
      key,
      fingerprint,
      requestedAt: t.clock.now(),
      nonce: `nonce-for-${fingerprint}`,
      ...extra,
    } as never);

  it('activates from a Keyward request and answers a response signed with the ed25519 key', async () => {
    const { id, key } = await generateKey(t, versionId, {
      feature_name: ['edition', 'internal note'],
      feature_value: ['pro', 'paid by wire'],
    });
    const request = activationRequest(key, 'offline-pc-1', { name: 'Front desk', platform: 'Windows 11' });
    const answer = await ok(t, 'limelm.pkey.manualActivation', { act_req_xml: request });
    const payload = openOfflineResponse(answer.act_resp_xml.data, publicKeyPem);
    expect(payload).toMatchObject({
      type: 'activation',
      nonce: 'nonce-for-offline-pc-1',
      license: { key, policyId: Number(versionId), expiresAt: null, features: { edition: 'pro' } },
      machine: { fingerprint: 'offline-pc-1', expiresAt: null, leaseExpiresAt: null },
    });
    // Fields marked not readable by apps stay on the server.
    expect((payload.license as { features: object }).features).not.toHaveProperty('internal note');
    const details = await ok(t, 'limelm.pkey.getDetails', { pkey_id: id });
    expect(details.pkey.activations.act).toEqual([
      expect.objectContaining({ type: 'windows', extra_data: 'Front desk' }),
    ]);
    // A tampered response does not verify.
    const envelope = JSON.parse(Buffer.from(answer.act_resp_xml.data, 'base64').toString());
    envelope.payload = Buffer.from(JSON.stringify({ ...payload, nonce: 'other' })).toString('base64');
    expect(() =>
      openOfflineResponse(Buffer.from(JSON.stringify(envelope)).toString('base64'), publicKeyPem),
    ).toThrow(/does not verify/);
  });

  it('takes the request with unencoded + signs turned into spaces, and line-wrapped', async () => {
    const { key } = await generateKey(t, versionId);
    const request = activationRequest(key, 'offline-pc-2');
    const mangled = request.replace(/\+/g, ' ').replace(/(.{60})/g, '$1\r\n');
    await ok(t, 'limelm.pkey.manualActivation', { act_req_xml: mangled });
  });

  it('answers 124 to anything that is not a Keyward activation request', async () => {
    const { key } = await generateKey(t, versionId);
    const turboActivate = '<?xml version="1.0"?><ActivationRequest><PKey>X</PKey></ActivationRequest>';
    const stale = encodeOfflineRequest({
      type: 'activation',
      key,
      fingerprint: 'old',
      nonce: 'nonce-old-1',
      requestedAt: new Date(t.clock.now().getTime() - 31 * 86_400_000),
    });
    const wrongType = encodeOfflineRequest({
      type: 'deactivation',
      key,
      fingerprint: 'x',
      machineId: 1,
      nonce: 'nonce-wrong',
      requestedAt: t.clock.now(),
    });
    for (const act_req_xml of [undefined, '', '<hello>\n</hello>', turboActivate, 'e30=', stale, wrongType]) {
      expect(await fails(t, 'limelm.pkey.manualActivation', { act_req_xml }, 124)).toBe(
        'Activation request XML is missing or invalid.',
      );
    }
  });

  it('answers 1 for an unknown key, 105 revoked, 106 no seat left, 193 in a VM, 194 another user', async () => {
    await fails(
      t,
      'limelm.pkey.manualActivation',
      { act_req_xml: activationRequest('NO-SUCH-KEY', 'unknown-pc') },
      1,
    );
    const revoked = await generateKey(t, versionId);
    await ok(t, 'limelm.pkey.revoke', { pkey_id: revoked.id });
    await fails(t, 'limelm.pkey.manualActivation', { act_req_xml: activationRequest(revoked.key, 'a') }, 105);
    const full = await generateKey(t, versionId, { num_acts: 1 });
    await ok(t, 'limelm.pkey.manualActivation', { act_req_xml: activationRequest(full.key, 'b1') });
    await fails(t, 'limelm.pkey.manualActivation', { act_req_xml: activationRequest(full.key, 'b2') }, 106);
    const noVm = await generateKey(t, versionId, { allow_vm: 'no' });
    await fails(
      t,
      'limelm.pkey.manualActivation',
      { act_req_xml: activationRequest(noVm.key, 'vm', { isVm: true }) },
      193,
    );
    const named = await generateKey(t, versionId, { uname_limit_name: ['alice'], uname_limit_platform: [3] });
    await fails(
      t,
      'limelm.pkey.manualActivation',
      { act_req_xml: activationRequest(named.key, 'u1', { username: 'mallory', platform: 'linux' }) },
      194,
    );
    await fails(
      t,
      'limelm.pkey.manualActivation',
      { act_req_xml: activationRequest(named.key, 'u2', { username: 'alice', platform: 'Windows 11' }) },
      194,
    );
    await ok(t, 'limelm.pkey.manualActivation', {
      act_req_xml: activationRequest(named.key, 'u3', { username: 'Alice', platform: 'Debian GNU/Linux' }),
    });
  });

  it('deactivates the activation a request names, counting against the deactivation limit', async () => {
    const { id, key } = await generateKey(t, versionId, { num_acts: 2, deact_limit: 1 });
    const activated = await ok(t, 'limelm.pkey.manualActivation', {
      act_req_xml: activationRequest(key, 'd1'),
    });
    const machineId = (
      openOfflineResponse(activated.act_resp_xml.data, publicKeyPem).machine as { id: number }
    ).id;
    const deactivation = (fingerprint: string, machine = machineId) =>
      encodeOfflineRequest({
        type: 'deactivation',
        key,
        fingerprint,
        machineId: machine,
        nonce: `nonce-d-${fingerprint}`,
        requestedAt: t.clock.now(),
      });
    await fails(t, 'limelm.pkey.manualDeactivation', { deact_req_xml: deactivation('not-d1') }, 128);
    await ok(t, 'limelm.pkey.manualDeactivation', { deact_req_xml: deactivation('d1') });
    expect((await ok(t, 'limelm.pkey.getDetails', { pkey_id: id })).pkey).toMatchObject({
      acts_used: '0',
      total_deacts: '1',
    });
    await fails(t, 'limelm.pkey.manualDeactivation', { deact_req_xml: deactivation('d1') }, 128);
    const again = await ok(t, 'limelm.pkey.manualActivation', { act_req_xml: activationRequest(key, 'd2') });
    const second = (openOfflineResponse(again.act_resp_xml.data, publicKeyPem).machine as { id: number }).id;
    await fails(t, 'limelm.pkey.manualDeactivation', { deact_req_xml: deactivation('d2', second) }, 191);
    await fails(t, 'limelm.pkey.manualDeactivation', { deact_req_xml: 'garbage' }, 124);
  });

  it('starts a verified trial once per machine, signed; 124, 109 and 195 otherwise', async () => {
    const trialRequest = (fingerprint: string, policyId: number, nonce = `nonce-${fingerprint}`) =>
      encodeOfflineRequest({
        type: 'verified-trial',
        policyId,
        fingerprint,
        nonce,
        requestedAt: t.clock.now(),
      });
    const first = await ok(t, 'limelm.trial.manualVerifiedTrial', {
      track_req_xml: trialRequest('trial-pc', Number(versionId)),
    });
    const payload = openOfflineResponse(first.track_resp_xml.data, publicKeyPem);
    const trial = payload.trial as { startedAt: string; expiresAt: string };
    expect(Date.parse(trial.expiresAt) - Date.parse(trial.startedAt)).toBe(14 * 86_400_000);
    t.clock.advance(3600);
    const again = await ok(t, 'limelm.trial.manualVerifiedTrial', {
      track_req_xml: trialRequest('trial-pc', Number(versionId), 'nonce-second'),
    });
    expect(openOfflineResponse(again.track_resp_xml.data, publicKeyPem).trial as object).toEqual(trial);
    expect(await fails(t, 'limelm.trial.manualVerifiedTrial', { track_req_xml: 'nonsense' }, 124)).toBe(
      'Verified trial request XML is missing or invalid.',
    );
    await fails(
      t,
      'limelm.trial.manualVerifiedTrial',
      { track_req_xml: trialRequest('missing-version-pc', 999_999) },
      109,
    );
    const { versionId: noTrial } = await productWithVersion(t);
    await fails(
      t,
      'limelm.trial.manualVerifiedTrial',
      { track_req_xml: trialRequest('no-trial-pc', Number(noTrial)) },
      195,
    );
    const searched = await ok(t, 'limelm.trial.advancedSearch', { version_id: versionId });
    expect(searched.trials).toMatchObject({ pages: 1, total: '1' });
    expect(searched.trials.trial[0]).toMatchObject({ version_id: versionId, extensions: '0' });
  });
});
