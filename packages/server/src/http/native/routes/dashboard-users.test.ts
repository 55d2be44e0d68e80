import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../../core/access/principal.js';
import { manualClock } from '../../../core/clock.js';
import { createKeyward } from '../../../core/keyward.js';
import { SecretBox } from '../../../core/signing/secrets.js';
import { expectError, expectStatus, get, type Json, post } from '../../../test-support/native-calls.js';
import { describeRouteSecurity, issueToken } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { createTestStore, testDialects } from '../../../test-support/test-store.js';
import { buildApp } from '../../build-app.js';
import { loggerOptions } from '../../plugins/request-logging.js';

const operator = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const PASSWORD = 'a long enough password';

interface Session {
  cookie: string;
  csrf: string;
}

for (const dialect of await testDialects()) {
  describe(`dashboard users routes (${dialect})`, () => {
    let t: TestApp;
    let seq = 0;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t.dispose());

    const email = (role: string) => `${role}-${seq++}@example.com`;
    const signIn = (address: string, password = PASSWORD) =>
      t.app.inject({ method: 'POST', url: '/v1/session', payload: { email: address, password } });
    const sessionOf = async (address: string, password = PASSWORD): Promise<Session> => {
      const response = await signIn(address, password);
      const body = await expectStatus(response, 200);
      const cookie = [response.headers['set-cookie']].flat().find((c) => c?.startsWith('keyward_session='));
      return { cookie: (cookie as string).split(';')[0] as string, csrf: body.csrfToken };
    };
    const as = (s: Session, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({
        method,
        url,
        headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
        ...(payload ? { payload } : {}),
      });
    const adminCount = async () =>
      (await get(t, '/v1/dashboard-users')).data.filter((u: Json) => u.role === 'admin').length;

    it('creates a user with the password the admin chose, and never answers it', async () => {
      const address = email('support');
      const response = await t.call({
        method: 'POST',
        url: '/v1/dashboard-users',
        payload: { email: address.toUpperCase(), role: 'support', password: PASSWORD },
      });
      const created = await expectStatus(response, 201);
      expect(created).toEqual({
        id: expect.any(Number),
        email: address,
        role: 'support',
        createdAt: expect.any(String),
        lastSignInAt: null,
      });
      expect(response.body).not.toContain(PASSWORD);
      const listed = await t.call({ method: 'GET', url: '/v1/dashboard-users' });
      expect(listed.body).not.toMatch(/password|scrypt|argon/i);
      expect(listed.json().data).toContainEqual(created);
      const session = await sessionOf(address);
      expect((await expectStatus(as(session, 'GET', '/v1/session'), 200)).scopes).not.toContain('*');
      await expectError(
        t.call({
          method: 'POST',
          url: '/v1/dashboard-users',
          payload: { email: address, role: 'admin', password: PASSWORD },
        }),
        409,
        'CONFLICT',
      );
    });

    it('refuses bad input with a 400 naming the field', async () => {
      const short = await expectError(
        t.call({
          method: 'POST',
          url: '/v1/dashboard-users',
          payload: { email: email('x'), role: 'admin', password: 'short' },
        }),
        400,
        'INVALID_INPUT',
      );
      expect(JSON.stringify(short)).toMatch(/password/);
      await expectError(
        t.call({
          method: 'POST',
          url: '/v1/dashboard-users',
          payload: { email: 'not an email', role: 'admin', password: PASSWORD },
        }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({
          method: 'POST',
          url: '/v1/dashboard-users',
          payload: { email: email('x'), role: 'owner', password: PASSWORD },
        }),
        400,
        'INVALID_INPUT',
      );
      const user = await post(t, '/v1/dashboard-users', {
        email: email('ro'),
        role: 'read-only',
        password: PASSWORD,
      });
      await expectError(
        t.call({ method: 'PATCH', url: `/v1/dashboard-users/${user.id}`, payload: {} }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({ method: 'PATCH', url: '/v1/dashboard-users/987654321', payload: { role: 'admin' } }),
        404,
        'NOT_FOUND',
      );
    });

    it('changes a role at once and a password by ending the sessions', async () => {
      const address = email('ro');
      const user = await post(t, '/v1/dashboard-users', {
        email: address,
        role: 'read-only',
        password: PASSWORD,
      });
      const session = await sessionOf(address);
      await expectError(as(session, 'POST', '/v1/products', { name: 'Not yet' }), 403, 'FORBIDDEN');
      const promoted = await expectStatus(
        t.call({ method: 'PATCH', url: `/v1/dashboard-users/${user.id}`, payload: { role: 'admin' } }),
        200,
      );
      expect(promoted.role).toBe('admin');
      await expectStatus(as(session, 'POST', '/v1/products', { name: 'Now allowed' }), 201);

      const changed = await t.call({
        method: 'PATCH',
        url: `/v1/dashboard-users/${user.id}`,
        payload: { password: 'the new password of the user' },
      });
      expect(changed.body).not.toContain('the new password');
      await expectStatus(changed, 200);
      await expectError(as(session, 'GET', '/v1/licenses'), 401, 'UNAUTHENTICATED');
      await expectError(signIn(address), 401, 'UNAUTHENTICATED');
      await sessionOf(address, 'the new password of the user');
    });

    it('lets a dashboard admin manage users and refuses support and read-only users', async () => {
      const adminAddress = email('admin');
      await t.keyward.dashboardAuth.createUser(operator, {
        email: adminAddress,
        role: 'admin',
        password: PASSWORD,
      });
      const admin = await sessionOf(adminAddress);
      const created = await expectStatus(
        as(admin, 'POST', '/v1/dashboard-users', { email: email('s'), role: 'support', password: PASSWORD }),
        201,
      );
      for (const role of ['support', 'read-only']) {
        const address = email(role);
        await t.keyward.dashboardAuth.createUser(operator, { email: address, role, password: PASSWORD });
        const session = await sessionOf(address);
        await expectError(as(session, 'GET', '/v1/dashboard-users'), 403, 'FORBIDDEN');
        await expectError(
          as(session, 'PATCH', `/v1/dashboard-users/${created.id}`, { role: 'admin' }),
          403,
          'FORBIDDEN',
        );
        await expectError(as(session, 'DELETE', `/v1/dashboard-users/${created.id}`), 403, 'FORBIDDEN');
      }
      await expectStatus(as(admin, 'DELETE', `/v1/dashboard-users/${created.id}`), 204);
      await expectError(signIn(created.email), 401, 'UNAUTHENTICATED');
    });

    it('keeps the last admin: neither deleted nor demoted', async () => {
      await post(t, '/v1/dashboard-users', { email: email('admin'), role: 'admin', password: PASSWORD });
      // Leave one admin.
      for (const user of (await get(t, '/v1/dashboard-users')).data as Json[]) {
        if (user.role === 'admin')
          await t.keyward.dashboardAuth.deleteUser(operator, { id: user.id }).catch(() => {});
      }
      expect(await adminCount()).toBe(1);
      const last = (await get(t, '/v1/dashboard-users')).data.find((u: Json) => u.role === 'admin');
      const deleted = await expectError(
        t.call({ method: 'DELETE', url: `/v1/dashboard-users/${last.id}` }),
        409,
        'CONFLICT',
      );
      expect(deleted.message).toMatch(/last admin/);
      // The command line goes through the same rule.
      await expect(t.keyward.dashboardAuth.deleteUser(operator, { email: last.email })).rejects.toMatchObject(
        {
          code: 'CONFLICT',
        },
      );
      await expectError(
        t.call({ method: 'PATCH', url: `/v1/dashboard-users/${last.id}`, payload: { role: 'support' } }),
        409,
        'CONFLICT',
      );
      // The last admin may still change their own password.
      await expectStatus(
        t.call({ method: 'PATCH', url: `/v1/dashboard-users/${last.id}`, payload: { password: PASSWORD } }),
        200,
      );
      const second = await post(t, '/v1/dashboard-users', {
        email: email('admin'),
        role: 'admin',
        password: PASSWORD,
      });
      await expectStatus(
        t.call({ method: 'PATCH', url: `/v1/dashboard-users/${last.id}`, payload: { role: 'support' } }),
        200,
      );
      await expectError(
        t.call({ method: 'DELETE', url: `/v1/dashboard-users/${second.id}` }),
        409,
        'CONFLICT',
      );
      expect(await adminCount()).toBe(1);
    });

    it('keeps an admin when admins are deleted and demoted at the same moment', async () => {
      for (let round = 0; round < 5; round++) {
        const ids: number[] = [];
        for (let i = 0; i < 3; i++) {
          ids.push(
            (
              await post(t, '/v1/dashboard-users', {
                email: email('race'),
                role: 'admin',
                password: PASSWORD,
              })
            ).id,
          );
        }
        const admins = (await get(t, '/v1/dashboard-users')).data.filter((u: Json) => u.role === 'admin');
        const answers = await Promise.all(
          admins.map((u: Json) =>
            u.id % 2 === 0
              ? t.call({ method: 'DELETE', url: `/v1/dashboard-users/${u.id}` })
              : t.call({
                  method: 'PATCH',
                  url: `/v1/dashboard-users/${u.id}`,
                  payload: { role: 'read-only' },
                }),
          ),
        );
        expect(
          answers.map((a: LightMyRequestResponse) => a.statusCode).filter((s) => s === 409),
        ).toHaveLength(1);
        expect(await adminCount()).toBe(1);
      }
    });

    it('refuses a token with * but a product lock', async () => {
      const product = await post(t, '/v1/products', { name: 'Locked' });
      const { secret } = await issueToken(t, { scopes: ['*'], productIds: [product.id] });
      await expectError(
        t.call({ method: 'GET', url: '/v1/dashboard-users', token: secret }),
        403,
        'FORBIDDEN',
      );
    });
  });
}

describe('dashboard user passwords stay out of the log and the event log', () => {
  it('writes no password anywhere', async () => {
    const lines: string[] = [];
    const store = await createTestStore('sqlite');
    const keyward = createKeyward({
      store,
      clock: manualClock(new Date()),
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: () => {},
    });
    await keyward.signingKeys.load();
    const admin = 'kw_users_log_admin_token_0123456789abcdef';
    await keyward.adminToken.ensure(admin);
    const app = await buildApp({
      keyward,
      logger: {
        ...(loggerOptions('debug') as object),
        stream: new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      },
      rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null },
      trustProxy: false,
    });
    try {
      const headers = { authorization: `Bearer ${admin}` };
      const passwords = ['first secret password', 'second secret password', 'x'];
      const created = await app.inject({
        method: 'POST',
        url: '/v1/dashboard-users',
        headers,
        payload: { email: 'logged@example.com', role: 'support', password: passwords[0] },
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().id;
      await app.inject({
        method: 'PATCH',
        url: `/v1/dashboard-users/${id}`,
        headers,
        payload: { password: passwords[1] },
      });
      // A refused one too.
      await app.inject({
        method: 'PATCH',
        url: `/v1/dashboard-users/${id}`,
        headers,
        payload: { password: 'xx' },
      });
      const events = await app.inject({ method: 'GET', url: '/v1/events?limit=1000', headers });
      expect(events.json().data.map((e: Json) => e.type)).toEqual(
        expect.arrayContaining(['user.created', 'user.password_changed']),
      );
      const everything = lines.join('') + events.body;
      expect(lines.length).toBeGreaterThan(0);
      for (const password of passwords.slice(0, 2)) expect(everything).not.toContain(password);
      expect(everything).not.toMatch(/"password"\s*:\s*"xx"/);
    } finally {
      await app.close();
      await keyward.bookkeeping.flush();
      await store.dispose();
    }
  });
});

describeRouteSecurity('dashboard-users');
