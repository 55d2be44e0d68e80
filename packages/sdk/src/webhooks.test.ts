import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isValidWebhook, signWebhookPayload, verifyWebhook, WebhookSignatureError } from './webhooks.js';

const SECRET = 'whsec_test_secret_0123456789abcdefghijklmnopqrstuv';
const BODY = JSON.stringify({ id: 7, type: 'license.created', license: { key: 'ABCD-EFGH' } });
const NOW = new Date('2030-01-01T00:00:00Z');
const T = Math.floor(NOW.getTime() / 1000);

/** The server's own signing, restated with node:crypto: the helper must agree with it byte for byte. */
const serverSignature = (secret: string, t: number, body: string) =>
  `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

describe('verifyWebhook', () => {
  it('accepts what the server signs and returns the event', async () => {
    const event = await verifyWebhook({
      payload: BODY,
      signature: serverSignature(SECRET, T, BODY),
      secret: SECRET,
      now: NOW,
    });
    expect(event).toMatchObject({ id: 7, type: 'license.created' });
    const bytes = new TextEncoder().encode(BODY);
    expect(
      await isValidWebhook({
        payload: bytes,
        signature: serverSignature(SECRET, T, BODY),
        secret: SECRET,
        now: NOW,
      }),
    ).toBe(true);
    expect(await signWebhookPayload(SECRET, BODY, T)).toBe(serverSignature(SECRET, T, BODY));
  });

  it.each([
    [
      'a changed body',
      BODY.replace('ABCD', 'ABCE'),
      serverSignature(SECRET, T, BODY),
      SECRET,
      'does not match',
    ],
    ['another secret', BODY, serverSignature('whsec_other', T, BODY), SECRET, 'does not match'],
    [
      'a changed timestamp',
      BODY,
      serverSignature(SECRET, T, BODY).replace(`t=${T}`, `t=${T - 1}`),
      SECRET,
      'does not match',
    ],
    ['a stale delivery', BODY, serverSignature(SECRET, T - 301, BODY), SECRET, 'too old'],
    ['a delivery from the future', BODY, serverSignature(SECRET, T + 301, BODY), SECRET, 'too old'],
    ['no header', BODY, undefined, SECRET, 'missing'],
    ['a header without v1', BODY, `t=${T}`, SECRET, 'malformed'],
    ['a header without t', BODY, `v1=${'0'.repeat(64)}`, SECRET, 'malformed'],
    ['an empty secret', BODY, serverSignature(SECRET, T, BODY), '', 'no webhook secret'],
  ])('refuses %s', async (_name, payload, signature, secret, message) => {
    const attempt = verifyWebhook({ payload, signature, secret, now: NOW });
    await expect(attempt).rejects.toBeInstanceOf(WebhookSignatureError);
    await expect(attempt).rejects.toThrow(message);
    expect(await isValidWebhook({ payload, signature, secret, now: NOW })).toBe(false);
  });

  it('accepts either secret while a rotation rolls out, and ignores unknown schemes', async () => {
    const header = `${serverSignature(SECRET, T, BODY)},v2=abc`;
    expect(
      await isValidWebhook({ payload: BODY, signature: header, secret: ['whsec_new', SECRET], now: NOW }),
    ).toBe(true);
  });

  it('honours a wider tolerance', async () => {
    const old = serverSignature(SECRET, T - 3600, BODY);
    expect(await isValidWebhook({ payload: BODY, signature: old, secret: SECRET, now: NOW })).toBe(false);
    expect(
      await isValidWebhook({
        payload: BODY,
        signature: old,
        secret: SECRET,
        now: NOW,
        toleranceSeconds: 7200,
      }),
    ).toBe(true);
  });
});
