import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { FeatureField } from '../../../core/model.js';
import {
  assertNotLicenseLocked,
  assertProductAccess,
  canAccessProduct,
  hideRefusal,
  policyNotFound,
} from '../../../core/principal.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { page, presentPolicy } from '../present.js';
import { parseCursor } from '../request-values.js';
import { Id, IdParams, listOf, PageQuery, Policy, PolicyCreate, PolicyUpdate } from '../schemas.js';

const tags = ['policies'];

type FeatureFieldBody = Omit<FeatureField, 'isRequired' | 'defaultValue'> & {
  isRequired?: boolean;
  defaultValue?: FeatureField['defaultValue'];
};
const featureFields = (fields: FeatureFieldBody[] | undefined): FeatureField[] | undefined =>
  fields?.map((f) => ({ ...f, isRequired: f.isRequired ?? false, defaultValue: f.defaultValue ?? null }));

export function policyRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/policies',
    {
      config: { auth: { scope: 'policies:write' }, idempotent: true },
      schema: { tags, body: PolicyCreate, response: { 201: Policy } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      assertNotLicenseLocked(principal);
      assertProductAccess(principal, request.body.productId);
      const policy = await keyward.catalog.createPolicy(actorOf(request, 'native'), {
        ...request.body,
        featureFields: featureFields(request.body.featureFields),
      });
      return reply.status(201).send(presentPolicy(policy));
    },
  );

  app.get(
    '/policies',
    {
      config: { auth: { scope: 'policies:read' } },
      schema: {
        tags,
        querystring: Type.Object(
          { ...PageQuery, productId: Type.Optional(Id) },
          { additionalProperties: false },
        ),
        response: { 200: listOf(Policy) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const limit = request.query.limit ?? 100;
      const policies = await keyward.catalog.listPolicies({
        productId: request.query.productId ?? null,
        after: parseCursor(request.query.after),
        limit,
      });
      const listed = page(policies, limit, presentPolicy);
      return { ...listed, data: listed.data.filter((p) => canAccessProduct(principal, p.productId)) };
    },
  );

  app.get(
    '/policies/:id',
    {
      config: { auth: { scope: 'policies:read' } },
      schema: { tags, params: IdParams, response: { 200: Policy } },
    },
    async (request) => {
      const policy = await keyward.catalog.getPolicy(request.params.id);
      await hideRefusal(
        () => assertProductAccess(principalOf(request), policy.productId),
        () => policyNotFound(policy.id),
      );
      return presentPolicy(policy);
    },
  );

  app.patch(
    '/policies/:id',
    {
      config: { auth: { scope: 'policies:write' } },
      schema: { tags, params: IdParams, body: PolicyUpdate, response: { 200: Policy } },
    },
    async (request) => {
      const principal = principalOf(request);
      assertNotLicenseLocked(principal);
      const { productId } = await keyward.catalog.getPolicy(request.params.id);
      await hideRefusal(
        () => assertProductAccess(principal, productId),
        () => policyNotFound(request.params.id),
      );
      const policy = await keyward.catalog.updatePolicy(actorOf(request, 'native'), request.params.id, {
        ...request.body,
        featureFields: featureFields(request.body.featureFields),
      });
      return presentPolicy(policy);
    },
  );

  app.delete(
    '/policies/:id',
    { config: { auth: { scope: 'policies:write' } }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertNotLicenseLocked(principal);
      const { productId } = await keyward.catalog.getPolicy(request.params.id);
      await hideRefusal(
        () => assertProductAccess(principal, productId),
        () => policyNotFound(request.params.id),
      );
      await keyward.catalog.deletePolicy(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
