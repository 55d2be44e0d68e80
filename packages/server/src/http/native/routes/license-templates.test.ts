import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, get, patch, post, productWithPolicy } from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('license templates routes', () => {
  let t: TestApp;
  let policyId: number;
  beforeAll(async () => {
    t = await createTestApp();
    ({
      policy: { id: policyId },
    } = await productWithPolicy(t, {
      featureFields: [{ name: 'f1', type: 'boolean', defaultValue: false }],
    }));
  });
  afterAll(() => t.dispose());

  it('creates, reads, lists, changes and deletes a template', async () => {
    const created = await post(t, '/v1/license-templates', {
      name: 'Pro',
      policyId,
      durationSeconds: 86_400,
      maxMachines: 3,
      features: { f1: 'true' },
      allowedMachines: [' vip ', 'vip'],
    });
    expect(created).toEqual({
      id: expect.any(Number),
      name: 'Pro',
      policyId,
      durationSeconds: 86_400,
      maxMachines: 3,
      features: { f1: true },
      notes: null,
      allowedMachines: ['vip'],
      hasTrialActivation: false,
      createdAt: expect.any(String),
    });
    expect(await get(t, `/v1/license-templates/${created.id}`)).toEqual(created);
    expect((await get(t, `/v1/license-templates?policyId=${policyId}`)).data).toEqual([created]);
    const changed = await patch(t, `/v1/license-templates/${created.id}`, { maxMachines: null, notes: 'n' });
    expect(changed).toMatchObject({ maxMachines: null, notes: 'n', features: { f1: true } });
    await t.call({ method: 'DELETE', url: `/v1/license-templates/${created.id}` });
    await expectError(
      t.call({ method: 'GET', url: `/v1/license-templates/${created.id}` }),
      404,
      'NOT_FOUND',
    );
  });

  it('refuses features the policy does not define and unknown policies', async () => {
    await expectError(
      t.call({
        method: 'POST',
        url: '/v1/license-templates',
        payload: { name: 'x', policyId, features: { f9: true } },
      }),
      422,
      'FEATURE_INVALID',
    );
    await expectError(
      t.call({ method: 'POST', url: '/v1/license-templates', payload: { name: 'x', policyId: 987_654 } }),
      404,
      'NOT_FOUND',
    );
  });

  it('goes when its policy is deleted', async () => {
    const { policy } = await productWithPolicy(t);
    const template = await post(t, '/v1/license-templates', { name: 'short-lived', policyId: policy.id });
    await t.call({ method: 'DELETE', url: `/v1/policies/${policy.id}` });
    await expectError(
      t.call({ method: 'GET', url: `/v1/license-templates/${template.id}` }),
      404,
      'NOT_FOUND',
    );
  });
});

describeRouteSecurity('license-templates');
