import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { LicenseTemplate as LicenseTemplateModel } from '../../../core/model.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { parseCursor } from '../request-values.js';
import { Id, IdParams, listOf, PageQuery, Timestamp } from '../schemas.js';

const tags = ['license-templates'];
const Nullable = <T extends ReturnType<typeof Type.Integer> | ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const FeatureValue = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()]);

const templateFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  policyId: Id,
  durationSeconds: Nullable(Type.Integer({ minimum: 1, maximum: 100 * 365 * 86_400 })),
  maxMachines: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  features: Type.Record(Type.String({ maxLength: 100 }), FeatureValue, { maxProperties: 100 }),
  notes: Nullable(Type.String({ maxLength: 10_000 })),
  allowedMachines: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 1000 }),
  hasTrialActivation: Type.Boolean(),
};

export const LicenseTemplate = Type.Object(
  { id: Type.Integer({ examples: [2] }), ...templateFields, createdAt: Timestamp },
  { title: 'LicenseTemplate', description: 'A policy plus license settings that licenses are minted from.' },
);
const LicenseTemplateCreate = Type.Object(
  {
    name: templateFields.name,
    policyId: templateFields.policyId,
    durationSeconds: Type.Optional(templateFields.durationSeconds),
    maxMachines: Type.Optional(templateFields.maxMachines),
    features: Type.Optional(templateFields.features),
    notes: Type.Optional(templateFields.notes),
    allowedMachines: Type.Optional(templateFields.allowedMachines),
    hasTrialActivation: Type.Optional(templateFields.hasTrialActivation),
  },
  { additionalProperties: false },
);
const LicenseTemplateUpdate = Type.Partial(LicenseTemplateCreate, { additionalProperties: false });

const present = (t: LicenseTemplateModel) => ({ ...t, createdAt: t.createdAt.toISOString() });

/**
 * License templates: a policy plus license settings, minted by Cryptolens' CreateKeyFromTemplate. Like policies
 * they belong to a product, so product locks apply and license-locked tokens do not reach them.
 */
export function licenseTemplateRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/license-templates',
    {
      config: { auth: { scope: 'policies:write' }, idempotent: true },
      schema: {
        tags,
        summary: 'Create a license template',
        description:
          'Creates a template: a policy plus license settings, from which Cryptolens’ CreateKeyFromTemplate ' +
          'mints licenses. The policy must be of a product the credential reaches; license-locked credentials ' +
          'may not.',
        body: LicenseTemplateCreate,
        response: { 201: LicenseTemplate, ...errorResponses('NOT_FOUND', 'FEATURE_INVALID') },
      },
    },
    async (request, reply) => {
      const template = await keyward.licenseTemplates.create(actorOf(request, 'native'), request.body);
      return reply.status(201).send(present(template));
    },
  );

  app.get(
    '/license-templates',
    {
      config: { auth: { scope: 'policies:read' } },
      schema: {
        tags,
        summary: 'List license templates',
        description:
          'Templates, oldest first, of one policy or all. A product-locked token sees only those of its ' +
          'products; the cursor still moves past the others. License-locked credentials may not list them.',
        querystring: Type.Object(
          {
            ...PageQuery,
            policyId: Type.Optional(Type.Integer({ ...Id, description: "The policy's templates" })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(LicenseTemplate) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const { items, nextAfter } = await keyward.licenseTemplates.listReachable(principalOf(request), {
        policyId: request.query.policyId ?? null,
        after: parseCursor(request.query.after),
        limit,
      });
      return { data: items.map(present), nextCursor: nextAfter === null ? null : String(nextAfter) };
    },
  );

  app.get(
    '/license-templates/:id',
    {
      config: { auth: { scope: 'policies:read' } },
      schema: {
        tags,
        summary: 'Get a license template',
        description:
          'One template. A template of a product the credential does not reach answers as a missing one.',
        params: IdParams,
        response: { 200: LicenseTemplate, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => present(await keyward.licenseTemplates.view(principalOf(request), request.params.id)),
  );

  app.patch(
    '/license-templates/:id',
    {
      config: { auth: { scope: 'policies:write' } },
      schema: {
        tags,
        summary: 'Update a license template',
        description: 'Changes the fields given; a new policy must be of a product the credential reaches.',
        params: IdParams,
        body: LicenseTemplateUpdate,
        response: { 200: LicenseTemplate, ...errorResponses('NOT_FOUND', 'FEATURE_INVALID') },
      },
    },
    async (request) =>
      present(
        await keyward.licenseTemplates.update(actorOf(request, 'native'), request.params.id, request.body),
      ),
  );

  app.delete(
    '/license-templates/:id',
    {
      config: { auth: { scope: 'policies:write' } },
      schema: {
        tags,
        summary: 'Delete a license template',
        description: 'Deletes a template; licenses minted from it stay.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await keyward.licenseTemplates.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
