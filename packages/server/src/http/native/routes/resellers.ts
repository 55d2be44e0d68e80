import { Type } from 'typebox';
import { assertUnrestricted } from '../../../core/access/principal.js';
import type { Keyward } from '../../../core/keyward.js';
import type { Reseller as ResellerModel } from '../../../core/model.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { page } from '../present.js';
import { parseCursor } from '../request-values.js';
import { IdParams, listOf, PageQuery, Timestamp } from '../schemas.js';

const tags = ['resellers'];
const OptionalText = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()]);

const resellerFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  url: OptionalText(2000),
  email: OptionalText(320),
  phone: OptionalText(100),
  description: OptionalText(10_000),
};
export const Reseller = Type.Object(
  { id: Type.Integer({ examples: [3] }), ...resellerFields, createdAt: Timestamp },
  { title: 'Reseller', description: 'A reseller licenses can name.' },
);
const ResellerCreate = Type.Object(
  {
    name: resellerFields.name,
    url: Type.Optional(resellerFields.url),
    email: Type.Optional(resellerFields.email),
    phone: Type.Optional(resellerFields.phone),
    description: Type.Optional(resellerFields.description),
  },
  { additionalProperties: false },
);
const ResellerUpdate = Type.Partial(ResellerCreate, { additionalProperties: false });

const present = (r: ResellerModel) => ({ ...r, createdAt: r.createdAt.toISOString() });

/** Resellers span products, like customers, so every lock is refused. */
export function resellerRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/resellers',
    {
      config: { auth: { scope: 'customers:write' }, idempotent: true },
      schema: {
        tags,
        summary: 'Create a reseller',
        description:
          'Records a reseller (Cryptolens’ resellers) that licenses can name. Resellers span products: only ' +
          'a token without product or license lock reaches them.',
        body: ResellerCreate,
        response: { 201: Reseller },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      const reseller = await keyward.resellers.create(actorOf(request, 'native'), request.body);
      return reply.status(201).send(present(reseller));
    },
  );

  app.get(
    '/resellers',
    {
      config: { auth: { scope: 'customers:read' } },
      schema: {
        tags,
        summary: 'List resellers',
        description: 'Resellers, oldest first. Needs an unlocked token.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: listOf(Reseller) },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      const limit = request.query.limit ?? 100;
      const resellers = await keyward.resellers.list({ after: parseCursor(request.query.after), limit });
      return page(resellers, limit, present);
    },
  );

  app.get(
    '/resellers/:id',
    {
      config: { auth: { scope: 'customers:read' } },
      schema: {
        tags,
        summary: 'Get a reseller',
        description: 'One reseller. Needs an unlocked token.',
        params: IdParams,
        response: { 200: Reseller, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return present(await keyward.resellers.get(request.params.id));
    },
  );

  app.patch(
    '/resellers/:id',
    {
      config: { auth: { scope: 'customers:write' } },
      schema: {
        tags,
        summary: 'Update a reseller',
        description: 'Changes the fields given. Needs an unlocked token.',
        params: IdParams,
        body: ResellerUpdate,
        response: { 200: Reseller, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return present(
        await keyward.resellers.update(actorOf(request, 'native'), request.params.id, request.body),
      );
    },
  );

  app.delete(
    '/resellers/:id',
    {
      config: { auth: { scope: 'customers:write' } },
      schema: {
        tags,
        summary: 'Delete a reseller',
        description: 'Deletes a reseller. Needs an unlocked token.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      await keyward.resellers.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
