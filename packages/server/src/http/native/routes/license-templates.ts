import { Type } from 'typebox';
import type { Keyward } from '../../../core/keyward.js';
import type { LicenseTemplate as LicenseTemplateModel } from '../../../core/model.js';
import {
  assertNotLicenseLocked,
  assertProductAccess,
  hideRefusal,
  type Principal,
} from '../../../core/principal.js';
import { templateNotFound } from '../../../core/services/license-template-service.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
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

export const LicenseTemplate = Type.Object({
  id: Type.Integer(),
  ...templateFields,
  createdAt: Timestamp,
});
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
  const assertPolicyReach = async (principal: Principal, policyId: number) => {
    assertNotLicenseLocked(principal);
    assertProductAccess(principal, (await keyward.catalog.getPolicy(policyId)).productId);
  };
  const reachable = async (principal: Principal, id: number) => {
    const template = await keyward.licenseTemplates.get(id);
    await hideRefusal(
      () => assertPolicyReach(principal, template.policyId),
      () => templateNotFound(id),
    );
    return template;
  };

  app.post(
    '/license-templates',
    {
      config: { auth: { scope: 'policies:write' }, idempotent: true },
      schema: { tags, body: LicenseTemplateCreate, response: { 201: LicenseTemplate } },
    },
    async (request, reply) => {
      await assertPolicyReach(principalOf(request), request.body.policyId);
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
        querystring: Type.Object(
          { ...PageQuery, policyId: Type.Optional(Id) },
          { additionalProperties: false },
        ),
        response: { 200: listOf(LicenseTemplate) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      assertNotLicenseLocked(principal);
      const limit = request.query.limit ?? 100;
      const { items, nextAfter } = await keyward.licenseTemplates.listReachable(principal, {
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
      schema: { tags, params: IdParams, response: { 200: LicenseTemplate } },
    },
    async (request) => present(await reachable(principalOf(request), request.params.id)),
  );

  app.patch(
    '/license-templates/:id',
    {
      config: { auth: { scope: 'policies:write' } },
      schema: { tags, params: IdParams, body: LicenseTemplateUpdate, response: { 200: LicenseTemplate } },
    },
    async (request) => {
      const principal = principalOf(request);
      await reachable(principal, request.params.id);
      if (request.body.policyId !== undefined) await assertPolicyReach(principal, request.body.policyId);
      return present(
        await keyward.licenseTemplates.update(actorOf(request, 'native'), request.params.id, request.body),
      );
    },
  );

  app.delete(
    '/license-templates/:id',
    { config: { auth: { scope: 'policies:write' } }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      await reachable(principalOf(request), request.params.id);
      await keyward.licenseTemplates.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
