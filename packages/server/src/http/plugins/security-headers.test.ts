import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../test-support/test-app.js';
import { registerSecurityHeaders, securityHeaders } from './security-headers.js';

describe('security headers', () => {
  it('are helmet’s defaults over HTTPS', () => {
    const headers = securityHeaders('https');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('over plain HTTP neither upgrade the page’s requests to https nor announce HSTS or an opener policy', () => {
    const http = securityHeaders('http');
    const https = securityHeaders('https');
    expect(http['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(http['strict-transport-security']).toBeUndefined();
    // Browsers ignore it from an origin that is not potentially trustworthy, and say so in the console.
    expect(http['cross-origin-opener-policy']).toBeUndefined();
    expect(https['cross-origin-opener-policy']).toBe('same-origin');
    // Everything else is the same policy.
    expect(http['content-security-policy']).toBe(
      https['content-security-policy']?.replace(/;?upgrade-insecure-requests/, ''),
    );
    const {
      'content-security-policy': _a,
      'strict-transport-security': _b,
      'cross-origin-opener-policy': _d,
      ...restHttps
    } = https;
    const { 'content-security-policy': _c, ...restHttp } = http;
    expect(restHttp).toEqual(restHttps);
  });

  it('come with every answer: success, refusal and unknown route alike', async () => {
    const t = await createTestApp();
    try {
      const expected = securityHeaders('http');
      for (const url of ['/healthz', '/v1/products', '/no-such-route']) {
        const response = await t.app.inject({ method: 'GET', url });
        for (const [name, value] of Object.entries(expected)) expect(response.headers[name]).toBe(value);
        expect(response.headers['strict-transport-security']).toBeUndefined();
      }
    } finally {
      await t.dispose();
    }
  });

  it('leave no page upgrading its requests over plain HTTP: the API reference’s own policy neither', async () => {
    const t = await createTestApp();
    try {
      for (const url of ['/docs', '/docs/static/index.html', '/healthz']) {
        const response = await t.app.inject({ method: 'GET', url, headers: { host: 'keyward.lan:8080' } });
        expect(response.statusCode, url).toBeLessThan(400);
        expect(response.headers['content-security-policy'], url).toBeTruthy();
        expect(response.headers['content-security-policy'], url).not.toContain('upgrade-insecure-requests');
      }
    } finally {
      await t.dispose();
    }
  });

  const appBehind = async (trustProxy: boolean) => {
    const app = Fastify({ trustProxy });
    registerSecurityHeaders(app);
    app.get('/', async () => 'ok');
    await app.ready();
    return app;
  };

  it('follow the trusted proxy’s X-Forwarded-Proto', async () => {
    const app = await appBehind(true);
    const viaHttps = await app.inject({ url: '/', headers: { 'x-forwarded-proto': 'https' } });
    expect(viaHttps.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(viaHttps.headers['strict-transport-security']).toMatch(/^max-age=/);
    const viaHttp = await app.inject({ url: '/', headers: { 'x-forwarded-proto': 'http' } });
    expect(viaHttp.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(viaHttp.headers['strict-transport-security']).toBeUndefined();
    await app.close();
  });

  it('ignore X-Forwarded-Proto when no proxy is trusted', async () => {
    const app = await appBehind(false);
    const answer = await app.inject({ url: '/', headers: { 'x-forwarded-proto': 'https' } });
    expect(answer.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(answer.headers['strict-transport-security']).toBeUndefined();
    await app.close();
  });
});
