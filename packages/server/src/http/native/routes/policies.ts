import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { FeatureField } from '../../../core/model.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { cursorOf, presentPolicy } from '../present.js';
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
      schema: {
        tags,
        summary: 'Create a policy',
        description:
          'Creates a policy of a product: the rules its licenses follow (seats, floating leases, expiry, ' +
          'trials, key format, typed feature fields). Settings left out take their defaults. The product must ' +
          'be one the credential reaches; license-locked credentials may not.',
        body: PolicyCreate,
        response: { 201: Policy, ...errorResponses('NOT_FOUND', 'FEATURE_INVALID') },
      },
    },
    async (request, reply) => {
      // Core refuses a license-locked credential, and a product out of reach as a missing one.
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
        summary: 'List policies',
        description:
          'Policies, oldest first, of one product or all. A token locked to products sees only theirs; the ' +
          'cursor still moves past the others.',
        querystring: Type.Object(
          {
            ...PageQuery,
            productId: Type.Optional(Type.Integer({ ...Id, description: "The product's policies" })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(Policy) },
      },
    },
    async (request) => {
      const listed = await keyward.catalog.policyPage(principalOf(request), {
        productId: request.query.productId ?? null,
        after: parseCursor(request.query.after),
        limit: request.query.limit ?? 100,
      });
      return { data: listed.items.map(presentPolicy), nextCursor: cursorOf(listed) };
    },
  );

  app.get(
    '/policies/:id',
    {
      config: { auth: { scope: 'policies:read' } },
      schema: {
        tags,
        summary: 'Get a policy',
        description:
          'One policy. A policy of a product the credential does not reach answers as a missing one.',
        params: IdParams,
        response: { 200: Policy, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      return presentPolicy(await keyward.catalog.readPolicy(principalOf(request), request.params.id));
    },
  );

  app.patch(
    '/policies/:id',
    {
      config: { auth: { scope: 'policies:write' } },
      schema: {
        tags,
        summary: 'Update a policy',
        description:
          'Changes the settings given; its licenses follow the new rules at once (a license’s own overrides ' +
          'still win). `featureFields`, when given, replaces the whole list.',
        params: IdParams,
        body: PolicyUpdate,
        response: { 200: Policy, ...errorResponses('NOT_FOUND', 'FEATURE_INVALID') },
      },
    },
    async (request) => {
      // Core refuses a license-locked credential, and a policy out of reach as a missing one.
      const policy = await keyward.catalog.updatePolicy(actorOf(request, 'native'), request.params.id, {
        ...request.body,
        featureFields: featureFields(request.body.featureFields),
      });
      return presentPolicy(policy);
    },
  );

  app.delete(
    '/policies/:id',
    {
      config: { auth: { scope: 'policies:write' } },
      schema: {
        tags,
        summary: 'Delete a policy',
        description: 'Deletes a policy without licenses (409 otherwise: delete them or move them first).',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      // Core refuses a license-locked credential, and a policy out of reach as a missing one.
      await keyward.catalog.deletePolicy(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
