import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import { assertUnrestricted } from '../../../core/principal.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { page, presentCustomer } from '../present.js';
import { parseCursor } from '../request-values.js';
import { Customer, CustomerCreate, CustomerUpdate, IdParams, listOf, PageQuery } from '../schemas.js';

const tags = ['customers'];

/** Customers span products, so tokens locked to products or to one license do not reach them. */

export function customerRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/customers',
    {
      config: { auth: { scope: 'customers:write' }, idempotent: true },
      schema: { tags, body: CustomerCreate, response: { 201: Customer } },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      const customer = await keyward.customers.create(actorOf(request, 'native'), request.body);
      return reply.status(201).send(presentCustomer(customer));
    },
  );

  app.get(
    '/customers',
    {
      config: { auth: { scope: 'customers:read' } },
      schema: {
        tags,
        querystring: Type.Object(
          { ...PageQuery, email: Type.Optional(Type.String({ maxLength: 320 })) },
          { additionalProperties: false },
        ),
        response: { 200: listOf(Customer) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const customers = await keyward.customers.list(principalOf(request), {
        email: request.query.email ?? null,
        after: parseCursor(request.query.after),
        limit,
      });
      return page(customers, limit, presentCustomer);
    },
  );

  app.get(
    '/customers/:id',
    {
      config: { auth: { scope: 'customers:read' } },
      schema: { tags, params: IdParams, response: { 200: Customer } },
    },
    async (request) => {
      return presentCustomer(await keyward.customers.get(principalOf(request), request.params.id));
    },
  );

  app.patch(
    '/customers/:id',
    {
      config: { auth: { scope: 'customers:write' } },
      schema: { tags, params: IdParams, body: CustomerUpdate, response: { 200: Customer } },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return presentCustomer(
        await keyward.customers.update(actorOf(request, 'native'), request.params.id, request.body),
      );
    },
  );

  app.delete(
    '/customers/:id',
    { config: { auth: { scope: 'customers:write' } }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      await keyward.customers.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
