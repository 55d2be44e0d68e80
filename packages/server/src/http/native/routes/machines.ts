import type { Principal } from '../../../core/access/principal.js';
import type { Keyward } from '../../../core/keyward.js';
import { machineNotFound } from '../../../core/machines/machine-service.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { licenseNamedBy } from '../license-named-by.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { page, presentMachine } from '../present.js';
import { parseCursor } from '../request-values.js';
import { ActivateBody, HeartbeatBody, IdParams, listOf, Machine, MachineListQuery } from '../schemas.js';

const tags = ['machines'];

export function machineRoutes(app: App, keyward: Keyward): void {
  /** A machine whose license the caller may reach (core decides), before a change of it. */
  const reachable = async (principal: Principal, id: number) => {
    const machine = await keyward.machines.find(principal, id);
    if (!machine) throw machineNotFound(id);
    return machine;
  };

  app.post(
    '/machines',
    {
      config: { auth: { scope: 'machines:write', license: true, method: 'key/activate' }, idempotent: true },
      schema: {
        tags,
        summary: 'Activate a machine',
        description:
          'Activates a machine on a license (by `licenseId` or `key`; a license key credential names its own): ' +
          '201 when it takes a seat, 200 when the fingerprint already holds one (no seat is used). Refused when ' +
          'the license is revoked, suspended or expired, does not unlock `productId`, has every seat taken ' +
          '(floating licenses: past maxOverdraft), forbids virtual machines, or names other users.',
        body: ActivateBody,
        response: {
          200: Machine,
          201: Machine,
          ...errorResponses(
            'LICENSE_NOT_FOUND',
            'LICENSE_REVOKED',
            'LICENSE_SUSPENDED',
            'LICENSE_EXPIRED',
            'PRODUCT_MISMATCH',
            'MACHINE_LIMIT_REACHED',
            'VM_NOT_ALLOWED',
            'USERNAME_NOT_ALLOWED',
          ),
        },
      },
    },
    async (request, reply) => {
      const license = await licenseNamedBy(keyward, principalOf(request), request.body, 'activate');
      const { licenseId: _id, key: _key, ...machine } = request.body;
      const result = await keyward.machines.activate(actorOf(request, 'native'), license.id, {
        ...machine,
        ip: request.ip,
      });
      return reply.status(result.isNew ? 201 : 200).send(presentMachine(result.machine));
    },
  );

  app.get(
    '/machines',
    {
      config: { auth: { scope: 'machines:read', license: true, method: 'key/getkey' } },
      schema: {
        tags,
        summary: 'List machines',
        description:
          'Active machines (with `includeDeactivated`, also those that gave their seat back), oldest first, of ' +
          'one license or all. A locked credential must give a `licenseId` it reaches.',
        querystring: MachineListQuery,
        response: { 200: listOf(Machine), ...errorResponses('LICENSE_NOT_FOUND') },
      },
    },
    async (request) => {
      const { limit = 100, after, licenseId, includeDeactivated = false } = request.query;
      // Core decides what the caller may list: a license it reaches, or everything if it is locked to nothing.
      const machines = await keyward.machines.list(principalOf(request), {
        licenseId: licenseId ?? null,
        includeDeactivated,
        after: parseCursor(after),
        limit,
      });
      return page(machines, limit, presentMachine);
    },
  );

  app.get(
    '/machines/:id',
    {
      config: { auth: { scope: 'machines:read', license: true, method: 'key/getkey' } },
      schema: {
        tags,
        summary: 'Get a machine',
        description:
          'One machine. A machine of a license the credential does not reach answers as a missing one.',
        params: IdParams,
        response: { 200: Machine, ...errorResponses('MACHINE_NOT_FOUND') },
      },
    },
    async (request) => presentMachine(await keyward.machines.read(principalOf(request), request.params.id)),
  );

  app.post(
    '/machines/:id/actions/heartbeat',
    {
      config: { auth: { scope: 'machines:write', license: true, method: 'key/activate' } },
      schema: {
        tags,
        summary: 'Send a heartbeat',
        description:
          "Keeps the machine alive and renews its floating lease. A lease that lapsed takes a seat again if the license's rules still allow it, " +
          'refused as an activation would be.',
        params: IdParams,
        body: HeartbeatBody,
        response: {
          200: Machine,
          ...errorResponses(
            'MACHINE_NOT_FOUND',
            'LICENSE_REVOKED',
            'LICENSE_SUSPENDED',
            'LICENSE_EXPIRED',
            'MACHINE_LIMIT_REACHED',
            'VM_NOT_ALLOWED',
            'USERNAME_NOT_ALLOWED',
          ),
        },
      },
    },
    async (request) => {
      await reachable(principalOf(request), request.params.id);
      const machine = await keyward.machines.heartbeat(
        actorOf(request, 'native'),
        request.params.id,
        request.body,
      );
      return presentMachine(machine);
    },
  );

  app.delete(
    '/machines/:id',
    {
      config: { auth: { scope: 'machines:write', license: true, method: 'key/deactivate' } },
      schema: {
        tags,
        summary: 'Deactivate a machine',
        description:
          "Deactivates the machine and frees its seat. A node-locked machine's deactivation counts against the " +
          "license's maxDeactivations; releasing a floating lease is free.",
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('MACHINE_NOT_FOUND', 'DEACTIVATION_LIMIT_REACHED') },
      },
    },
    async (request, reply) => {
      await reachable(principalOf(request), request.params.id);
      await keyward.machines.deactivate(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
