import { Type } from 'typebox';
import { assertUnrestricted } from '../../../core/access/principal.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { cursorOf, presentProduct } from '../present.js';
import { parseCursor } from '../request-values.js';
import { IdParams, listOf, PageQuery, Product, ProductCreate, ProductUpdate } from '../schemas.js';

const tags = ['products'];

export function productRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/products',
    {
      config: { auth: { scope: 'products:write' }, idempotent: true },
      schema: {
        tags,
        summary: 'Create a product',
        description:
          'Creates a product, what licenses unlock; its policies follow. `code` must be unique. A token locked ' +
          'to products or to a license may not create one.',
        body: ProductCreate,
        response: { 201: Product, ...errorResponses('CONFLICT') },
      },
    },
    async (request, reply) => {
      // A token locked to products would create one outside its own lock.
      assertUnrestricted(principalOf(request));
      const product = await keyward.catalog.createProduct(actorOf(request, 'native'), request.body);
      return reply.status(201).send(presentProduct(product));
    },
  );

  app.get(
    '/products',
    {
      config: { auth: { scope: 'products:read' } },
      schema: {
        tags,
        summary: 'List products',
        description:
          'Products, oldest first, a page at a time. A token locked to products sees only those; the cursor ' +
          'still moves past the others.',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: listOf(Product) },
      },
    },
    async (request) => {
      const listed = await keyward.catalog.productPage(principalOf(request), {
        after: parseCursor(request.query.after),
        limit: request.query.limit ?? 100,
      });
      return { data: listed.items.map(presentProduct), nextCursor: cursorOf(listed) };
    },
  );

  app.get(
    '/products/:id',
    {
      config: { auth: { scope: 'products:read' } },
      schema: {
        tags,
        summary: 'Get a product',
        description:
          'One product. A product outside the token’s product lock answers as a missing one (404).',
        params: IdParams,
        response: { 200: Product, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      return presentProduct(await keyward.catalog.readProduct(principalOf(request), request.params.id));
    },
  );

  app.patch(
    '/products/:id',
    {
      config: { auth: { scope: 'products:write' } },
      schema: {
        tags,
        summary: 'Update a product',
        description: 'Changes the fields given. `code` must stay unique. License-locked credentials may not.',
        params: IdParams,
        body: ProductUpdate,
        response: { 200: Product, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => {
      // Core refuses a license-locked credential, and a product out of reach as a missing one.
      return presentProduct(
        await keyward.catalog.updateProduct(actorOf(request, 'native'), request.params.id, request.body),
      );
    },
  );

  app.delete(
    '/products/:id',
    {
      config: { auth: { scope: 'products:write' } },
      schema: {
        tags,
        summary: 'Delete a product',
        description:
          'Deletes a product that no policy belongs to and no license unlocks (409 otherwise: delete or move ' +
          'them first). License-locked credentials may not.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      // Core refuses a license-locked credential, and a product out of reach as a missing one.
      await keyward.catalog.deleteProduct(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
