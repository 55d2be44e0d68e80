import type { Static } from 'typebox';
import { Type } from 'typebox';
import { DomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import type { License as LicenseModel, NamedUser } from '../../../core/model.js';
import {
  assertNotLicenseLocked,
  canAccessLicense,
  licenseNotFound,
  type Principal,
} from '../../../core/principal.js';
import type { LicenseInput } from '../../../core/services/license-service.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { page, presentLicense } from '../present.js';
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

/** The license an id or a key names, if the caller may reach it. */
async function findByIdOrKey(keyward: Keyward, principal: Principal, idOrKey: string): Promise<LicenseModel> {
  // An all-digit text is an id first; imported keys may be all digits too, so fall back to the key.
  if (/^\d{1,10}$/.test(idOrKey)) {
    const byId = await keyward.licenses.find(principal, Number(idOrKey));
    if (byId) return byId;
  }
  const byKey = await keyward.licenses.findByKey(principal, idOrKey);
  if (!byKey) throw licenseNotFound();
  return byKey;
}

export function licenseRoutes(app: App, keyward: Keyward): void {
  // Core states each license it answers with (its status now); core also decides which license a caller
  // may reach, for reads and for every change below.
  const present = (license: LicenseModel) => presentLicense(keyward.licenses.stateOf(license));

  app.post(
    '/licenses',
    {
      config: { auth: { scope: 'licenses:write', method: 'key/createkey' }, idempotent: true },
      schema: { tags, body: LicenseCreate, response: { 201: License } },
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
        description: 'Creates up to 1000 licenses in one transaction: all of them or none.',
        body: LicenseBatchCreate,
        response: { 201: Type.Object({ data: Type.Array(License) }) },
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
      schema: { tags, querystring: LicenseListQuery, response: { 200: LicenseList } },
    },
    async (request) => {
      const principal = principalOf(request);
      const { limit = 100, after, order, withTotal, ...filter } = request.query;
      const licenses = await keyward.licenses.list(filter, { after: parseCursor(after), limit, order });
      const listed = page(licenses, limit, (l) => l);
      const counted = withTotal ? await keyward.licenses.count(principal, filter, LICENSE_TOTAL_MAX) : null;
      return {
        ...listed,
        data: licenses.filter((l) => canAccessLicense(principal, l)).map(present),
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
        description: 'By numeric id, or by key (URL-encoded).',
        params: Type.Object({ idOrKey: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: License },
      },
    },
    async (request) => present(await findByIdOrKey(keyward, principalOf(request), request.params.idOrKey)),
  );

  app.patch(
    '/licenses/:id',
    {
      config: { auth: { scope: 'licenses:write' } },
      schema: { tags, params: IdParams, body: LicenseUpdate, response: { 200: License } },
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
        schema: { tags, params: IdParams, response: { 200: License } },
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
        description: 'Moves the expiry `seconds` later (from now if it has passed), or sets `expiresAt`.',
        params: IdParams,
        body: ExtendBody,
        response: { 200: License },
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
    { config: { auth: { scope: 'licenses:write' } }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      assertNotLicenseLocked(principalOf(request));
      await keyward.licenses.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
