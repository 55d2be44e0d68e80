import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { SecretBox } from '../core/signing/secrets.js';
import { expectStatus, type Json } from './native-calls.js';
import type { TestApp } from './test-app.js';

/** The secret test-app.ts seals with: the outbox's sealed secrets open with it. */
export const TEST_SECRET_BOX = new SecretBox('test-secret-that-is-long-enough-0123456789');
export const TEST_PUBLIC_URL = 'https://licensing.example.com';

/** Switches the portal on (and changes any other setting given) through the native API. */
export const setUpPortal = (t: TestApp, settings: object = {}) =>
  expectStatus(
    t.call({ method: 'PUT', url: '/v1/portal/settings', payload: { isEnabled: true, ...settings } }),
    200,
  );

/** The portal sign-in messages in the outbox, newest first, with their links opened. */
export async function signInMessages(t: TestApp): Promise<Array<{ to: string; url: string; token: string }>> {
  const rows = await t.store.database.db
    .selectFrom('email_messages')
    .selectAll()
    .where('kind', '=', 'portal_sign_in')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => {
    const { signInUrl } = JSON.parse(TEST_SECRET_BOX.open(row.sealed_secrets as string)) as {
      signInUrl: string;
    };
    return { to: row.to_address, url: signInUrl, token: signInUrl.split('#')[1] as string };
  });
}

export const requestLink = (t: TestApp, email: string, ip = '203.0.113.7') =>
  t.app.inject({ method: 'POST', url: '/portal/api/sign-in-links', payload: { email }, remoteAddress: ip });

export interface PortalClient {
  email: string;
  cookie: string;
  csrfToken: string;
  /** A request as this signed-in customer (cookie and CSRF header). */
  call(options: InjectOptions): Promise<LightMyRequestResponse>;
}

/** Asks for a link for `email`, opens it from the outbox and returns the signed-in customer. */
export async function signInToPortal(t: TestApp, email: string): Promise<PortalClient> {
  expect((await requestLink(t, email)).statusCode).toBe(202);
  const [message] = await signInMessages(t);
  expect(message?.to).toBe(email.toLowerCase());
  const redeemed = await t.app.inject({
    method: 'POST',
    url: '/portal/api/sessions',
    payload: { token: message?.token },
  });
  const body: Json = await expectStatus(redeemed, 200);
  const setCookie = [redeemed.headers['set-cookie']].flat().find((c) => c?.startsWith('keyward_portal='));
  const cookie = (setCookie as string).split(';')[0] as string;
  return {
    email: body.email,
    cookie,
    csrfToken: body.csrfToken,
    call: ({ headers, ...rest }) =>
      t.app.inject({ ...rest, headers: { cookie, 'x-csrf-token': body.csrfToken, ...headers } }),
  };
}
