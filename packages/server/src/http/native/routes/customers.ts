import { Type } from 'typebox';
import { assertUnrestricted } from '../../../core/access/principal.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
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
      schema: {
        tags,
        summary: 'Create a customer',
        description:
          'Creates a customer, whom licenses can be sold to (`customerId`). Customers span products: only a ' +
          'token without product or license lock reaches them.',
        body: CustomerCreate,
        response: { 201: Customer },
      },
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
        summary: 'List customers',
        description:
          'Customers, oldest first, optionally those with one email address. Needs an unlocked token.',
        querystring: Type.Object(
          {
            ...PageQuery,
            email: Type.Optional(
              Type.String({ maxLength: 320, description: 'Customers with exactly this email' }),
            ),
          },
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
      schema: {
        tags,
        summary: 'Get a customer',
        description: 'One customer. Needs an unlocked token.',
        params: IdParams,
        response: { 200: Customer, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      return presentCustomer(await keyward.customers.get(principalOf(request), request.params.id));
    },
  );

  app.patch(
    '/customers/:id',
    {
      config: { auth: { scope: 'customers:write' } },
      schema: {
        tags,
        summary: 'Update a customer',
        description: 'Changes the fields given. Needs an unlocked token.',
        params: IdParams,
        body: CustomerUpdate,
        response: { 200: Customer, ...errorResponses('NOT_FOUND') },
      },
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
    {
      config: { auth: { scope: 'customers:write' } },
      schema: {
        tags,
        summary: 'Delete a customer',
        description: 'Deletes a customer; its licenses stay, without a customer. Needs an unlocked token.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      await keyward.customers.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
