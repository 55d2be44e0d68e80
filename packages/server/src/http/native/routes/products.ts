import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import {
  assertNotLicenseLocked,
  assertProductAccess,
  assertUnrestricted,
  canAccessProduct,
} from '../../../core/principal.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { page, presentProduct } from '../present.js';
import { parseCursor } from '../request-values.js';
import { IdParams, listOf, PageQuery, Product, ProductCreate, ProductUpdate } from '../schemas.js';

const tags = ['products'];

export function productRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/products',
    {
      config: { auth: { scope: 'products:write' }, idempotent: true },
      schema: { tags, body: ProductCreate, response: { 201: Product } },
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
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: listOf(Product) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const limit = request.query.limit ?? 100;
      const products = await keyward.catalog.listProducts({ after: parseCursor(request.query.after), limit });
      const visible = products.filter((p) => canAccessProduct(principal, p.id));
      return { ...page(products, limit, presentProduct), data: visible.map(presentProduct) };
    },
  );

  app.get(
    '/products/:id',
    {
      config: { auth: { scope: 'products:read' } },
      schema: { tags, params: IdParams, response: { 200: Product } },
    },
    async (request) => {
      assertProductAccess(principalOf(request), request.params.id);
      return presentProduct(await keyward.catalog.getProduct(request.params.id));
    },
  );

  app.patch(
    '/products/:id',
    {
      config: { auth: { scope: 'products:write' } },
      schema: { tags, params: IdParams, body: ProductUpdate, response: { 200: Product } },
    },
    async (request) => {
      assertNotLicenseLocked(principalOf(request));
      assertProductAccess(principalOf(request), request.params.id);
      return presentProduct(
        await keyward.catalog.updateProduct(actorOf(request, 'native'), request.params.id, request.body),
      );
    },
  );

  app.delete(
    '/products/:id',
    { config: { auth: { scope: 'products:write' } }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      assertNotLicenseLocked(principalOf(request));
      assertProductAccess(principalOf(request), request.params.id);
      await keyward.catalog.deleteProduct(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
