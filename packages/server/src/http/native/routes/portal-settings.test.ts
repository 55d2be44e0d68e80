import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectStatus } from '../../../test-support/native-calls.js';
import { TEST_PUBLIC_URL } from '../../../test-support/portal.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('portal settings routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { publicUrl: TEST_PUBLIC_URL });
  });
  afterAll(() => t.dispose());

  const put = (payload: object) => t.call({ method: 'PUT', url: '/v1/portal/settings', payload });

  it('answers the defaults, then keeps what is changed and leaves the rest', async () => {
    const defaults = await expectStatus(t.call({ method: 'GET', url: '/v1/portal/settings' }), 200);
    expect(defaults).toMatchObject({ isEnabled: false, updatedAt: null, publicUrl: TEST_PUBLIC_URL });
    const saved = await expectStatus(
      put({
        isEnabled: true,
        displayName: ' Acme ',
        primaryColor: '#AABBCC',
        logoDataUrl: PIXEL,
        allowedActions: { licenseFile: false },
      }),
      200,
    );
    expect(saved).toMatchObject({
      isEnabled: true,
      displayName: 'Acme',
      primaryColor: '#aabbcc',
      accentColor: defaults.accentColor,
      logoDataUrl: PIXEL,
      allowedActions: { deactivation: true, licenseFile: false, offlineActivation: true },
    });
    expect(await expectStatus(t.call({ method: 'GET', url: '/v1/portal/settings' }), 200)).toEqual(saved);
    // The public branding the portal page reads shows the same, without the operator's fields.
    const branding = await expectStatus(t.app.inject({ method: 'GET', url: '/portal/api/branding' }), 200);
    expect(branding).toEqual({
      isEnabled: true,
      displayName: 'Acme',
      primaryColor: '#aabbcc',
      accentColor: defaults.accentColor,
      logoDataUrl: PIXEL,
      allowedActions: saved.allowedActions,
    });
  });

  it("documents the settings in the API reference, and keeps the portal's own API out of it", async () => {
    const document = await expectStatus(t.app.inject({ method: 'GET', url: '/openapi.json' }), 200);
    const paths = Object.keys(document.paths);
    expect(paths).toContain('/v1/portal/settings');
    expect(paths.filter((path) => path.startsWith('/portal'))).toEqual([]);
  });

  it('refuses colours, logos and names it cannot show safely', async () => {
    for (const payload of [
      { primaryColor: 'red' },
      { accentColor: '#12345' },
      { logoDataUrl: 'https://tracker.example.com/logo.png' },
      { logoDataUrl: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=' },
      { logoDataUrl: `data:image/png;base64,${'A'.repeat(70_000)}` },
      { displayName: '' },
      { unknown: true },
    ])
      await expectError(put(payload), 400, 'INVALID_INPUT');
  });
});

describeRouteSecurity('portal-settings');
