import type { Static } from 'typebox';
import { Type } from 'typebox';
import { assertNotLicenseLocked } from '../../../core/access/principal.js';
import { DomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import type { LicenseInput } from '../../../core/licenses/license-service.js';
import type { License as LicenseModel, NamedUser } from '../../../core/model.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { EXAMPLE } from '../openapi/examples.js';
import { cursorOf, presentLicense } from '../present.js';
import { parseCursor, toDate } from '../request-values.js';
import {
  ExtendBody,
  IdParams,
  License,
  LicenseBatchCreate,
  LicenseCreate,
  LicenseList,
  LicenseListQuery,
  LicenseUpdate,
} from '../schemas.js';

const tags = ['licenses'];

const ACTION_DOCS: Record<
  'suspend' | 'reinstate' | 'revoke' | 'reset',
  { summary: string; description: string }
> = {
  suspend: {
    summary: 'Suspend a license',
    description:
      'Suspends the license until reinstated: validations answer SUSPENDED, activations are refused.',
  },
  reinstate: { summary: 'Reinstate a license', description: 'Lifts a suspension.' },
  revoke: {
    summary: 'Revoke a license',
    description: 'Revokes the license for good: it never validates again (409 if it already is revoked).',
  },
  reset: {
    summary: 'Reset a license’s machines',
    description:
      'Releases every machine of the license at once (counted in resetCount, not in deactivationCount), so ' +
      'the licensee can activate anew.',
  },
};

/** Counting stops here, so a total costs at most this many index entries however many licenses match. */
export const LICENSE_TOTAL_MAX = 10_000;

type CreateBody = Omit<Static<typeof LicenseCreate>, 'policyId'>;

type NamedUserBody = { username: string; platform?: NamedUser['platform'] };
const namedUsers = (users: NamedUserBody[] | undefined): NamedUser[] | undefined =>
  users?.map((u) => ({ username: u.username, platform: u.platform ?? 'any' }));

function licenseInput(body: CreateBody): LicenseInput {
  const { productIds, expiresAt, ...rest } = body;
  return {
    ...rest,
    extraProductIds: productIds,
    expiresAt: toDate(expiresAt),
    namedUsers: namedUsers(body.namedUsers),
  };
}

export function licenseRoutes(app: App, keyward: Keyward): void {
  // Core states each license it answers with (its status now); core also decides which license a caller
  // may reach, for reads and for every change below.
  const present = (license: LicenseModel) => presentLicense(keyward.licenses.stateOf(license));

  app.post(
    '/licenses',
    {
      config: { auth: { scope: 'licenses:write', method: 'key/createkey' }, idempotent: true },
      schema: {
        tags,
        summary: 'Create a license',
        description:
          "Creates a license under a policy, with a key generated from the policy's keyFormat unless `key` is " +
          "given (keys are unique). Its expiry follows the policy's duration unless `expiresAt` is given; " +
          "`features` must fit the policy's feature fields. The credential must reach the policy's product and " +
          'every product in `productIds`; a customer needs an unlocked token; a license-locked token creates none.',
        body: LicenseCreate,
        response: { 201: License, ...errorResponses('NOT_FOUND', 'CONFLICT', 'FEATURE_INVALID') },
      },
    },
    async (request, reply) => {
      const { policyId, ...body } = request.body;
      const license = await keyward.licenses.create(actorOf(request, 'native'), policyId, licenseInput(body));
      return reply.status(201).send(present(license));
    },
  );

  app.post(
    '/licenses/batch',
    {
      config: { auth: { scope: 'licenses:write', method: 'key/createkey' }, idempotent: true },
      schema: {
        tags,
        summary: 'Create licenses in a batch',
        description:
          'Creates up to 1000 licenses of one policy in one transaction: all of them or none. Give `count` ' +
          'for licenses with generated keys and default settings, or `licenses` with the settings of each (as ' +
          'POST /v1/licenses takes them), not both. The rules of POST /v1/licenses apply to each.',
        body: LicenseBatchCreate,
        response: {
          201: Type.Object(
            { data: Type.Array(License, { description: 'The licenses created, in the order given' }) },
            { description: 'The licenses created.' },
          ),
          ...errorResponses('NOT_FOUND', 'CONFLICT', 'FEATURE_INVALID'),
        },
      },
    },
    async (request, reply) => {
      const { policyId, count, licenses } = request.body;
      if ((count === undefined) === (licenses === undefined)) {
        throw new DomainError('INVALID_INPUT', 'give either count or licenses', { field: 'count' });
      }
      const bodies: CreateBody[] = licenses ?? Array.from({ length: count ?? 0 }, () => ({}));
      const created = await keyward.licenses.createMany(
        actorOf(request, 'native'),
        policyId,
        bodies.map(licenseInput),
      );
      return reply.status(201).send({ data: created.map(present) });
    },
  );

  app.get(
    '/licenses',
    {
      config: { auth: { scope: 'licenses:read' } },
      schema: {
        tags,
        summary: 'List licenses',
        description:
          'Licenses, newest first unless `order=asc`, filtered by product, policy, customer, email, tag, state ' +
          'or a fragment of the key; with `withTotal`, also how many match. A locked token sees only the ' +
          'licenses it reaches; the cursor still moves past the others.',
        querystring: LicenseListQuery,
        response: { 200: LicenseList },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { limit = 100, after, order, withTotal, ...filter } = request.query;
      // Core decides which licenses the caller reaches, and whether a total would tell it of others.
      const listed = await keyward.licenses.listReachable(principal, filter, {
        after: parseCursor(after),
        limit,
        order,
      });
      const counted = withTotal ? await keyward.licenses.count(principal, filter, LICENSE_TOTAL_MAX) : null;
      return {
        data: listed.items.map(presentLicense),
        nextCursor: cursorOf(listed),
        ...(counted ? { total: counted.count, isTotalExact: counted.isExact } : {}),
      };
    },
  );

  app.get(
    '/licenses/:idOrKey',
    {
      config: { auth: { scope: 'licenses:read', method: 'key/getkey' } },
      schema: {
        tags,
        summary: 'Get a license by id or key',
        description:
          'One license, by numeric id or by key (URL-encoded); an all-digit text is tried as an id first, then ' +
          'as a key. A license the credential does not reach answers as a missing one.',
        params: Type.Object({
          idOrKey: Type.String({
            minLength: 1,
            maxLength: 200,
            description: 'The id, or the key',
            examples: [EXAMPLE.licenseKey],
          }),
        }),
        response: { 200: License, ...errorResponses('LICENSE_NOT_FOUND') },
      },
    },
    async (request) =>
      presentLicense(await keyward.licenses.read(principalOf(request), request.params.idOrKey)),
  );

  app.patch(
    '/licenses/:id',
    {
      config: { auth: { scope: 'licenses:write' } },
      schema: {
        tags,
        summary: 'Update a license',
        description:
          'Changes the fields given; a new policy, products or customer must be ones the credential reaches ' +
          "(a customer needs an unlocked token), and `features` must fit the policy's feature fields. " +
          '`overrides` replace single rules of the policy for this license (null inherits).',
        params: IdParams,
        body: LicenseUpdate,
        response: {
          200: License,
          ...errorResponses('LICENSE_NOT_FOUND', 'NOT_FOUND', 'CONFLICT', 'FEATURE_INVALID'),
        },
      },
    },
    async (request) => {
      // Core checks that the caller reaches the license, the new policy, products and customer.
      const { productIds, expiresAt, policyId, ...rest } = request.body;
      const license = await keyward.licenses.update(actorOf(request, 'native'), request.params.id, {
        ...rest,
        policyId,
        extraProductIds: productIds,
        expiresAt: toDate(expiresAt),
        namedUsers: namedUsers(rest.namedUsers),
      });
      return present(license);
    },
  );

  const actions = {
    suspend: (actor, id) => keyward.licenses.suspend(actor, id),
    reinstate: (actor, id) => keyward.licenses.reinstate(actor, id),
    revoke: (actor, id) => keyward.licenses.revoke(actor, id),
    reset: (actor, id) => keyward.licenses.reset(actor, id),
  } satisfies Record<string, (actor: ReturnType<typeof actorOf>, id: number) => Promise<LicenseModel>>;
  for (const [name, run] of Object.entries(actions)) {
    app.post(
      `/licenses/:id/actions/${name}`,
      {
        config: { auth: { scope: 'licenses:write' } },
        schema: {
          tags,
          ...ACTION_DOCS[name as keyof typeof ACTION_DOCS],
          params: IdParams,
          response: {
            200: License,
            ...errorResponses('LICENSE_NOT_FOUND', ...(name === 'revoke' ? (['CONFLICT'] as const) : [])),
          },
        },
      },
      async (request) => present(await run(actorOf(request, 'native'), request.params.id)),
    );
  }

  app.post(
    '/licenses/:id/actions/extend',
    {
      config: { auth: { scope: 'licenses:write' } },
      schema: {
        tags,
        summary: 'Extend a license',
        description:
          'Moves the expiry `seconds` later (from now if it has passed), or sets `expiresAt`: one of the two.',
        params: IdParams,
        body: ExtendBody,
        response: { 200: License, ...errorResponses('LICENSE_NOT_FOUND') },
      },
    },
    async (request) => {
      const { seconds, expiresAt } = request.body;
      const license = await keyward.licenses.extend(actorOf(request, 'native'), request.params.id, {
        ...(seconds !== undefined ? { seconds } : {}),
        ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt) } : {}),
      });
      return present(license);
    },
  );

  app.delete(
    '/licenses/:id',
    {
      config: { auth: { scope: 'licenses:write' } },
      schema: {
        tags,
        summary: 'Delete a license',
        description: 'Deletes a license and its machines. License-locked credentials may not.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('LICENSE_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      assertNotLicenseLocked(principalOf(request));
      await keyward.licenses.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
