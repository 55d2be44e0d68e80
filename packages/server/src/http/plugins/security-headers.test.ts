import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../test-support/test-app.js';
import { securityHeaders } from './security-headers.js';

describe('security headers', () => {
  it('are helmet’s defaults', () => {
    const headers = securityHeaders();
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('come with every answer: success, refusal and unknown route alike', async () => {
    const t = await createTestApp();
    try {
      const expected = securityHeaders();
      for (const url of ['/healthz', '/v1/products', '/no-such-route']) {
        const response = await t.app.inject({ method: 'GET', url });
        for (const [name, value] of Object.entries(expected)) expect(response.headers[name]).toBe(value);
      }
    } finally {
      await t.dispose();
    }
  });
});
