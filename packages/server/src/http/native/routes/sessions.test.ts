import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../../core/access/actor.js';
import { SESSION_SECONDS } from '../../../core/access/dashboard-auth-service.js';
import { operatorPrincipal } from '../../../core/access/principal.js';
import {
  activate,
  createLicense,
  expectError,
  expectStatus,
  type Json,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const PASSWORD = 'a long enough password';

interface Session {
  cookie: string;
  csrf: string;
}

function sessionCookieOf(response: LightMyRequestResponse): string {
  const header = [response.headers['set-cookie']].flat().find((c) => c?.startsWith('keyward_session='));
  if (!header) throw new Error(`no session cookie in ${JSON.stringify(response.headers)}`);
  return header;
}

for (const dialect of await testDialects()) {
  describe(`dashboard sessions (${dialect})`, () => {
    let t: TestApp;
    let seq = 0;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t.dispose());

    const user = async (role: string) => {
      const email = `${role}-${seq++}@example.com`;
      await t.keyward.dashboardAuth.createUser(actor, { email, password: PASSWORD, role });
      return email;
    };
    const signIn = (email: string, password = PASSWORD, ip = '203.0.113.9') =>
      t.app.inject({ method: 'POST', url: '/v1/session', payload: { email, password }, remoteAddress: ip });
    const session = async (role: string): Promise<Session> => {
      const response = await signIn(await user(role));
      const body = await expectStatus(response, 200);
      const cookie = sessionCookieOf(response).split(';')[0] as string;
      return { cookie, csrf: body.csrfToken };
    };
    const as = (
      s: Session,
      method: 'GET' | 'POST' | 'DELETE',
      url: string,
      payload?: object,
      csrf = s.csrf,
    ) =>
      t.app.inject({
        method,
        url,
        headers: { cookie: s.cookie, ...(csrf === '' ? {} : { 'x-csrf-token': csrf }) },
        ...(payload ? { payload } : {}),
      });

    it('signs in with a secure, HttpOnly, SameSite=Strict cookie and answers the CSRF token', async () => {
      const email = await user('admin');
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/session',
        payload: { email: email.toUpperCase(), password: PASSWORD },
        headers: { host: 'localhost:8080' },
      });
      const body = await expectStatus(response, 200);
      expect(body).toMatchObject({ signedIn: true, user: { email, role: 'admin' }, scopes: ['*'] });
      expect(body.csrfToken).toMatch(/^[\w-]{43}$/);
      const cookie = sessionCookieOf(response);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Secure/);
      expect(cookie).toMatch(/Path=\//);
      expect(cookie).toMatch(new RegExp(`Max-Age=${SESSION_SECONDS}`));
      // The secret is not the CSRF token and is stored only hashed.
      const secret = cookie.split(';')[0]?.split('=')[1] as string;
      expect(secret).not.toContain(body.csrfToken);
      const me = await expectStatus(
        t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: `keyward_session=${secret}` } }),
        200,
      );
      expect(me).toMatchObject({ signedIn: true, user: { email }, csrfToken: body.csrfToken });
    });

    it('leaves the cookie without Secure over plain HTTP to a non-loopback host, where it could not work', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/session',
        payload: { email: await user('admin'), password: PASSWORD },
        headers: { host: 'keyward.lan:8080' },
      });
      expect(sessionCookieOf(response)).not.toMatch(/Secure/);
    });

    it('refuses a wrong password or an unknown email alike', async () => {
      const email = await user('admin');
      const wrong = await expectError(signIn(email, 'not the password'), 401, 'UNAUTHENTICATED');
      const unknown = await expectError(signIn('nobody@example.com', PASSWORD), 401, 'UNAUTHENTICATED');
      expect(wrong.message).toBe(unknown.message);
    });

    it('acts on the native API with the cookie and the CSRF header, recording the user on events', async () => {
      const admin = await session('admin');
      const product = await expectStatus(
        as(admin, 'POST', '/v1/products', { name: 'From the dashboard' }),
        201,
      );
      const events = await expectStatus(as(admin, 'GET', `/v1/events?productId=${product.id}`), 200);
      expect(events.data[0]).toMatchObject({ type: 'product.created', tokenId: null });
      expect(events.data[0].data.via).toMatch(/^dashboard:admin-\d+@example\.com$/);
    });

    it('refuses a cookie without its CSRF token, or with another session’s', async () => {
      const one = await session('admin');
      const two = await session('admin');
      const before = await expectStatus(t.call({ method: 'GET', url: '/v1/products?limit=1000' }), 200);
      await expectError(as(one, 'POST', '/v1/products', { name: 'csrf' }, ''), 403, 'FORBIDDEN');
      await expectError(as(one, 'POST', '/v1/products', { name: 'csrf' }, two.csrf), 403, 'FORBIDDEN');
      await expectError(as(one, 'GET', '/v1/products', undefined, 'x'.repeat(43)), 403, 'FORBIDDEN');
      const after = await expectStatus(t.call({ method: 'GET', url: '/v1/products?limit=1000' }), 200);
      expect(after.data.length).toBe(before.data.length);
    });

    it('gives each role its scopes: read-only reads, support also manages machines, only admins change', async () => {
      const { policy } = await productWithPolicy(t, { maxMachines: 5 });
      const license = await createLicense(t, policy.id);
      const readOnly = await session('read-only');
      const support = await session('support');
      await expectStatus(as(readOnly, 'GET', `/v1/licenses/${license.id}`), 200);
      await expectError(as(readOnly, 'POST', `/v1/licenses/${license.id}/actions/suspend`), 403, 'FORBIDDEN');
      const first = await activate(t, license.id, 'ro-machine');
      await expectError(as(readOnly, 'DELETE', `/v1/machines/${first.id}`), 403, 'FORBIDDEN');
      await expectStatus(as(support, 'DELETE', `/v1/machines/${first.id}`), 204);
      await expectError(as(support, 'POST', '/v1/licenses', { policyId: policy.id }), 403, 'FORBIDDEN');
      await expectError(
        as(support, 'POST', '/v1/tokens', { name: 'x', scopes: ['licenses:read'] }),
        403,
        'FORBIDDEN',
      );
    });

    it('lets an admin create an API token whose secret then works as before', async () => {
      const admin = await session('admin');
      const created = await expectStatus(
        as(admin, 'POST', '/v1/tokens', { name: 'from the dashboard', scopes: ['licenses:read'] }),
        201,
      );
      await expectStatus(t.call({ method: 'GET', url: '/v1/licenses', token: created.secret }), 200);
      await expectError(
        t.call({ method: 'GET', url: '/v1/products', token: created.secret }),
        403,
        'FORBIDDEN',
      );
    });

    it('ends the session on sign-out and after its lifetime', async () => {
      const one = await session('admin');
      await expectError(as(one, 'DELETE', '/v1/session', undefined, ''), 403, 'FORBIDDEN');
      const out = await as(one, 'DELETE', '/v1/session');
      expect(await expectStatus(out, 200)).toEqual({ signedIn: false });
      expect(String(out.headers['set-cookie'])).toMatch(/keyward_session=;/);
      await expectError(as(one, 'GET', '/v1/licenses'), 401, 'UNAUTHENTICATED');
      expect(await expectStatus(as(one, 'GET', '/v1/session'), 200)).toEqual({ signedIn: false });

      const two = await session('admin');
      t.clock.advance(SESSION_SECONDS - 1);
      await expectStatus(as(two, 'GET', '/v1/licenses'), 200);
      t.clock.advance(2);
      await expectError(as(two, 'GET', '/v1/licenses'), 401, 'UNAUTHENTICATED');
    });

    it('ends every session of a user whose password is reset', async () => {
      const email = await user('admin');
      const response = await signIn(email);
      const s: Session = {
        cookie: sessionCookieOf(response).split(';')[0] as string,
        csrf: (response.json() as Json).csrfToken,
      };
      await t.keyward.dashboardAuth.setPassword(actor, { email }, 'another long password');
      await expectError(as(s, 'GET', '/v1/licenses'), 401, 'UNAUTHENTICATED');
      await expectError(signIn(email), 401, 'UNAUTHENTICATED');
      await expectStatus(signIn(email, 'another long password'), 200);
    });

    it('prefers an Authorization header over the cookie, so API clients are unaffected', async () => {
      const readOnly = await session('read-only');
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/products',
        payload: { name: 'bearer wins' },
        headers: { cookie: readOnly.cookie, authorization: 'Bearer kw_test_admin_token_0123456789abcdef' },
      });
      await expectStatus(response, 201);
    });

    it('refuses invalid users: bad email, short password, unknown role, duplicate', async () => {
      const create = (email: string, password: string, role: string) =>
        t.keyward.dashboardAuth.createUser(actor, { email, password, role });
      await expect(create('not-an-email', PASSWORD, 'admin')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      await expect(create('a@example.com', 'short', 'admin')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      await expect(create('a@example.com', PASSWORD, 'owner')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      await create('dup@example.com', PASSWORD, 'admin');
      await expect(create('DUP@example.com', PASSWORD, 'support')).rejects.toMatchObject({
        code: 'CONFLICT',
      });
    });

    it('creates the first admin once, with a generated password', async () => {
      const fresh = await createTestApp(dialect);
      try {
        const first = await fresh.keyward.dashboardAuth.ensureFirstAdmin(actor);
        expect(first?.password).toMatch(/^[A-Za-z0-9]{20}$/);
        expect(await fresh.keyward.dashboardAuth.ensureFirstAdmin(actor)).toBeNull();
        const response = await fresh.app.inject({
          method: 'POST',
          url: '/v1/session',
          payload: { email: first?.email, password: first?.password },
        });
        expect((await expectStatus(response, 200)).user.role).toBe('admin');
        const stored = await fresh.store.dashboardUsers.findByEmail(first?.email ?? '');
        expect(stored?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
        expect(stored?.passwordHash).not.toContain(first?.password);
      } finally {
        await fresh.dispose();
      }
    });
  });
}

describeRouteSecurity('sessions');
