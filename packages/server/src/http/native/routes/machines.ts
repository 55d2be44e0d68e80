import type { Keyward } from '../../../core/keyward.js';
import { assertLicenseAccess, hideRefusal, type Principal } from '../../../core/principal.js';
import { machineNotFound } from '../../../core/services/machine-service.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { licenseNamedBy } from '../license-named-by.js';
import { page, presentMachine } from '../present.js';
import { parseCursor } from '../request-values.js';
import { ActivateBody, HeartbeatBody, IdParams, listOf, Machine, MachineListQuery } from '../schemas.js';

const tags = ['machines'];

export function machineRoutes(app: App, keyward: Keyward): void {
  /** Loads a machine whose license the caller may reach. */
  const reachable = async (principal: Principal, id: number) => {
    const machine = await keyward.machines.get(id);
    await hideRefusal(
      async () => assertLicenseAccess(principal, await keyward.licenses.get(machine.licenseId)),
      () => machineNotFound(id),
    );
    return machine;
  };

  app.post(
    '/machines',
    {
      config: { auth: { scope: 'machines:write', license: true, method: 'key/activate' }, idempotent: true },
      schema: {
        tags,
        description:
          'Activates a machine: 201 when it takes a seat, 200 when the fingerprint already holds one (no seat is used).',
        body: ActivateBody,
        response: { 200: Machine, 201: Machine },
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
      schema: { tags, querystring: MachineListQuery, response: { 200: listOf(Machine) } },
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
      schema: { tags, params: IdParams, response: { 200: Machine } },
    },
    async (request) => presentMachine(await reachable(principalOf(request), request.params.id)),
  );

  app.post(
    '/machines/:id/actions/heartbeat',
    {
      config: { auth: { scope: 'machines:write', license: true, method: 'key/activate' } },
      schema: {
        tags,
        description: 'Keeps the machine alive and renews its floating lease.',
        params: IdParams,
        body: HeartbeatBody,
        response: { 200: Machine },
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
      schema: { tags, description: 'Deactivates the machine and frees its seat.', params: IdParams },
    },
    async (request, reply) => {
      await reachable(principalOf(request), request.params.id);
      await keyward.machines.deactivate(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
