import { Type } from 'typebox';
import { MIN_PASSWORD_LENGTH } from '../../../core/access/dashboard-auth-service.js';
import type { DashboardUser as DashboardUserModel } from '../../../core/access/dashboard-ports.js';
import { DASHBOARD_ROLES } from '../../../core/access/dashboard-roles.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { EXAMPLE } from '../openapi/examples.js';
import { IdParams, listOf, Timestamp } from '../schemas.js';

const tags = ['dashboard users'];

const Role = Type.Enum([...DASHBOARD_ROLES], {
  description: 'admin: everything; support: reads everything and manages machines; read-only: reads.',
});
const Password = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: 1024,
  description: 'Set by the admin and passed on to the user; stored hashed, never answered or logged.',
});

export const DashboardUser = Type.Object(
  {
    id: Type.Integer({ examples: [2] }),
    email: Type.String({ examples: [EXAMPLE.email] }),
    role: Role,
    createdAt: Timestamp,
    lastSignInAt: Type.Union([Timestamp, Type.Null()], { description: 'null: never signed in' }),
  },
  { title: 'DashboardUser', description: 'A user of the web dashboard (never their password).' },
);
const UserCreate = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 320 }), role: Role, password: Password },
  { additionalProperties: false },
);
const UserUpdate = Type.Object(
  { role: Type.Optional(Role), password: Type.Optional(Password) },
  { additionalProperties: false, minProperties: 1 },
);

const present = (user: DashboardUserModel) => ({
  id: user.id,
  email: user.email,
  role: user.role,
  createdAt: user.createdAt.toISOString(),
  lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
});

/**
 * The web dashboard's users. They hold the whole account, so only an administrator manages them (core decides:
 * a dashboard admin, or a token with `*` and no lock). Passwords go in, never out; the last admin stays.
 * Not idempotent on purpose: a stored request fingerprint would be a fast hash of the password.
 */
export function dashboardUserRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/dashboard-users',
    {
      config: { auth: { scope: '*' } },
      schema: {
        tags,
        summary: 'List dashboard users',
        description: 'Every dashboard user, oldest first (never their passwords), in one page.',
        response: { 200: listOf(DashboardUser) },
      },
    },
    async (request) => ({
      data: (await keyward.dashboardAuth.listUsers(actorOf(request, 'native'))).map(present),
      nextCursor: null,
    }),
  );

  app.post(
    '/dashboard-users',
    {
      config: { auth: { scope: '*' } },
      schema: {
        tags,
        summary: 'Create a dashboard user',
        description: 'Creates a dashboard user with the password the admin chose; 409 if the email is taken.',
        body: UserCreate,
        response: { 201: DashboardUser, ...errorResponses('CONFLICT') },
      },
    },
    async (request, reply) => {
      const user = await keyward.dashboardAuth.createUser(actorOf(request, 'native'), request.body);
      return reply.status(201).send(present(user));
    },
  );

  app.patch(
    '/dashboard-users/:id',
    {
      config: { auth: { scope: '*' } },
      schema: {
        tags,
        summary: 'Update a dashboard user',
        description:
          "Changes a user's role and/or sets a new password, which ends the user's sessions. The last admin " +
          'cannot be given another role (409).',
        params: IdParams,
        body: UserUpdate,
        response: { 200: DashboardUser, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) =>
      present(
        await keyward.dashboardAuth.updateUser(
          actorOf(request, 'native'),
          { id: request.params.id },
          request.body,
        ),
      ),
  );

  app.delete(
    '/dashboard-users/:id',
    {
      config: { auth: { scope: '*' } },
      schema: {
        tags,
        summary: 'Delete a dashboard user',
        description: 'Deletes a user and ends their sessions. The last admin cannot be deleted (409).',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      await keyward.dashboardAuth.deleteUser(actorOf(request, 'native'), { id: request.params.id });
      return reply.status(204).send();
    },
  );
}
