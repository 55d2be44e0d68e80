import { encodeOfflineRequest } from '../core/signing/offline-exchange.js';
import { generateKey, ok, productWithVersion } from './limelm-calls.js';
import type { TestApp } from './test-app.js';

export type CallParams = Record<string, string | string[]>;

/**
 * A valid call of each of the 32 methods against targets made for it (test-only): the starting point of the
 * bad-input and security tables, which break one thing at a time.
 */
export async function validCalls(t: TestApp): Promise<Record<string, CallParams>> {
  const { productId, versionId } = await productWithVersion(t, { trial_length: 5 });
  const feature = (await ok(t, 'limelm.feature.add', { version_id: versionId, name: 'f', required: 'false' }))
    .feature.id;
  const key = await generateKey(t, versionId, { num_acts: 50 });
  const machine = (
    await t.call({
      method: 'POST',
      url: '/v1/machines',
      payload: { licenseId: Number(key.id), fingerprint: 'fixed' },
    })
  ).json();
  const extension = (
    await ok(t, 'limelm.trialExtension.generate', { version_id: versionId, length: 3, expires: '2999-01-01' })
  ).trialext;
  const requestedAt = t.clock.now();
  const nonce = 'nonce-of-the-fixture';
  const fingerprint = 'fp-fixture';
  return {
    'limelm.feature.add': { version_id: versionId, name: 'new field' },
    'limelm.feature.delete': { feature_id: feature },
    'limelm.feature.edit': { feature_id: feature, required: 'false' },
    'limelm.feature.getAll': { version_id: versionId },
    'limelm.pkey.activity': { version_id: versionId, start: '2000-01-01', created: 'true' },
    'limelm.pkey.advancedSearch': { version_id: versionId },
    'limelm.pkey.deactivate': { act_id: String(machine.id) },
    'limelm.pkey.delete': { pkey_id: key.id },
    'limelm.pkey.find': { version_id: versionId, email: key.key },
    'limelm.pkey.generate': { version_id: versionId },
    'limelm.pkey.getDetails': { pkey_id: key.id },
    'limelm.pkey.getID': { pkey: key.key },
    'limelm.pkey.manualActivation': {
      act_req_xml: encodeOfflineRequest({
        type: 'activation',
        key: key.key,
        fingerprint,
        nonce,
        requestedAt,
      }),
    },
    'limelm.pkey.manualDeactivation': {
      deact_req_xml: encodeOfflineRequest({
        type: 'deactivation',
        key: key.key,
        machineId: machine.id,
        fingerprint: 'fixed',
        nonce,
        requestedAt,
      }),
    },
    'limelm.pkey.removeTag': { pkey_id: key.id, tag: 'x' },
    'limelm.pkey.revoke': { pkey_id: key.id, revoke: 'false' },
    'limelm.pkey.setDetails': { pkey_id: key.id },
    'limelm.pkey.setTags': { pkey_id: key.id, tag: ['x'] },
    'limelm.prod.getAll': {},
    'limelm.prod.create': { prod_name: 'Fixture app', vers_name: '1' },
    'limelm.prod.createVers': { prod_id: productId, name: '2' },
    'limelm.prod.changeName': { prod_id: productId, name: 'Renamed fixture app' },
    'limelm.prod.editVers': { version_id: versionId },
    'limelm.tag.delete': { tag: 'x' },
    'limelm.test.echo': {},
    'limelm.trial.advancedSearch': {},
    'limelm.trial.manualVerifiedTrial': {
      track_req_xml: encodeOfflineRequest({
        type: 'verified-trial',
        policyId: Number(versionId),
        fingerprint,
        nonce,
        requestedAt,
      }),
    },
    'limelm.trialExtension.delete': { ext_id: extension.id },
    'limelm.trialExtension.generate': { version_id: versionId, length: '3', expires: '2999-01-01' },
    'limelm.trialExtension.getDetails': { ext_id: extension.id },
    'limelm.trialExtension.getID': { version_id: versionId, ext: extension.extension },
    'limelm.trialExtension.search': { version_id: versionId },
  };
}
