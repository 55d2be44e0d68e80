import { Type } from 'typebox';
import { csrfTokenOf } from '../../../core/access/dashboard-auth-service.js';
import type { DashboardUser } from '../../../core/access/dashboard-ports.js';
import { DASHBOARD_ROLES } from '../../../core/access/dashboard-roles.js';
import { isDomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import {
  assertCsrf,
  clearSessionCookie,
  deviceSecretOf,
  sessionSecretOf,
  setDeviceCookie,
  setSessionCookie,
} from '../../dashboard-session.js';
import type { App } from '../../fastify-context.js';
import { errorResponses } from '../openapi/error-responses.js';
import { EXAMPLE } from '../openapi/examples.js';
import { Timestamp } from '../schemas.js';

const tags = ['dashboard session'];

const SignIn = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const SessionState = Type.Object(
  {
    signedIn: Type.Boolean({ description: 'Whether the cookie names a live session' }),
    user: Type.Optional(
      Type.Object(
        {
          id: Type.Integer({ examples: [1] }),
          email: Type.String({ examples: [EXAMPLE.email] }),
          role: Type.Enum([...DASHBOARD_ROLES], { title: 'Role' }),
          lastSignInAt: Type.Union([Timestamp, Type.Null()]),
        },
        { description: 'The signed-in user' },
      ),
    ),
    scopes: Type.Optional(
      Type.Array(Type.String(), {
        description: "What the user's role allows, as API scopes",
        examples: [['*']],
      }),
    ),
    csrfToken: Type.Optional(Type.String({ description: 'Send as X-CSRF-Token with every request' })),
    expiresAt: Type.Optional(Timestamp),
  },
  { title: 'SessionState', description: 'The dashboard session: whether one is live, and whose.' },
);

const signedIn = (user: DashboardUser, scopes: string[], secret: string, expiresAt: Date) => ({
  signedIn: true,
  user: {
    id: user.id,
    email: user.email,
    role: user.role,
    lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
  },
  scopes,
  csrfToken: csrfTokenOf(secret),
  expiresAt: expiresAt.toISOString(),
});

/**
 * Sign-in for the web dashboard. The session lives in an HttpOnly, SameSite=Strict cookie; with it and the
 * CSRF token these routes hand out, the browser calls the rest of the native API.
 */
export function sessionRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/session',
    {
      // Not idempotent: its answer is a cookie of its own, and a replay must never hand out a session.
      config: { auth: 'public', idempotent: false },
      schema: {
        tags,
        description:
          'Signs a dashboard user in: sets the session cookie and answers the CSRF token. Failed attempts ' +
          'slow further ones down (429 with Retry-After) per account and address, per address and per ' +
          'account, never for a browser that signed in to the account before (its device cookie) or an ' +
          'address it signed in from.',
        summary: 'Sign in to the dashboard',
        body: SignIn,
        response: { 200: SessionState, ...errorResponses('UNAUTHENTICATED') },
        security: [],
      },
    },
    async (request, reply) => {
      try {
        const { secret, session, device } = await keyward.dashboardAuth.signIn({
          ...request.body,
          ip: request.ip,
          deviceSecret: deviceSecretOf(request, request.body.email),
        });
        setSessionCookie(request, reply, secret);
        setDeviceCookie(request, reply, device);
        return signedIn(session.user, session.scopes, secret, session.session.expiresAt);
      } catch (error) {
        if (isDomainError(error) && error.code === 'RATE_LIMITED') {
          reply.header('retry-after', String(error.details.retryAfterSeconds ?? 60));
        }
        throw error;
      }
    },
  );

  app.get(
    '/session',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Read the dashboard session',
        description:
          'Whether the session cookie names a live session; if so its user, scopes and CSRF token.',
        response: { 200: SessionState },
        security: [],
      },
    },
    async (request) => {
      const secret = sessionSecretOf(request);
      const found = secret === null ? null : await keyward.dashboardAuth.authenticate(secret);
      if (secret === null || !found) return { signedIn: false };
      return signedIn(found.user, found.scopes, secret, found.session.expiresAt);
    },
  );

  app.delete(
    '/session',
    {
      // Not idempotent: signing out again is harmless, and its answer clears a cookie.
      config: { auth: 'public', idempotent: false },
      schema: {
        tags,
        summary: 'Sign out of the dashboard',
        description: 'Signs out: ends the session (send its X-CSRF-Token) and clears the cookie.',
        response: { 200: SessionState, ...errorResponses('FORBIDDEN') },
        security: [],
      },
    },
    async (request, reply) => {
      const secret = sessionSecretOf(request);
      if (secret !== null && (await keyward.dashboardAuth.authenticate(secret))) {
        assertCsrf(request, secret);
        await keyward.dashboardAuth.signOut(secret);
      }
      clearSessionCookie(request, reply);
      return { signedIn: false };
    },
  );
}
