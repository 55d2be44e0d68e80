import { Type } from 'typebox';
import { assertReach, hideRefusal, type Principal } from '../../../core/access/principal.js';
import { dataObjectNotFound } from '../../../core/data-objects/data-object-service.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { presentDataObject } from '../present.js';
import {
  DataObject,
  DataObjectAdd,
  DataObjectCreate,
  DataObjectListQuery,
  DataObjectUpdate,
  IdParams,
} from '../schemas.js';

const tags = ['data objects'];

export function dataObjectRoutes(app: App, keyward: Keyward): void {
  const reachable = async (principal: Principal, id: number) => {
    const { object, reach } = await keyward.dataObjects.get(id);
    await hideRefusal(
      () => assertReach(principal, reach),
      () => dataObjectNotFound(id),
    );
    return object;
  };

  app.post(
    '/data-objects',
    {
      config: { auth: { scope: 'data-objects:write' }, idempotent: true },
      schema: {
        tags,
        summary: 'Create a data object',
        description:
          'Creates a named integer and text value on a license, machine or product the credential reaches; ' +
          'names are unique per owner (409), and an owner holds a bounded number of them.',
        body: DataObjectCreate,
        response: { 201: DataObject, ...errorResponses('NOT_FOUND', 'LICENSE_NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      const { ownerType, ownerId, name, intValue = 0, stringValue = '' } = request.body;
      // Core decides whether the caller reaches the owner: one it may not reach answers as a missing one.
      const object = await keyward.dataObjects.create(actorOf(request, 'native'), {
        ownerType,
        ownerId,
        name,
        intValue,
        stringValue,
      });
      return reply.status(201).send(presentDataObject(object));
    },
  );

  app.get(
    '/data-objects',
    {
      config: { auth: { scope: 'data-objects:read' } },
      schema: {
        tags,
        summary: 'List data objects',
        description: 'Every data object of one license, machine or product the credential reaches.',
        querystring: DataObjectListQuery,
        response: {
          200: Type.Object({ data: Type.Array(DataObject) }, { description: 'The owner’s data objects.' }),
          ...errorResponses('NOT_FOUND', 'LICENSE_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      const { ownerType, ownerId } = request.query;
      await keyward.dataObjects.reachFor(principalOf(request), ownerType, ownerId);
      return { data: (await keyward.dataObjects.list(ownerType, ownerId)).map(presentDataObject) };
    },
  );

  app.get(
    '/data-objects/:id',
    {
      config: { auth: { scope: 'data-objects:read' } },
      schema: {
        tags,
        summary: 'Get a data object',
        description:
          'One data object. One whose owner the credential does not reach answers as a missing one.',
        params: IdParams,
        response: { 200: DataObject, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => presentDataObject(await reachable(principalOf(request), request.params.id)),
  );

  app.patch(
    '/data-objects/:id',
    {
      config: { auth: { scope: 'data-objects:write' } },
      schema: {
        tags,
        summary: 'Update a data object',
        description: 'Sets the name or values given; a new name must be unique among its owner’s (409).',
        params: IdParams,
        body: DataObjectUpdate,
        response: { 200: DataObject, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => {
      await reachable(principalOf(request), request.params.id);
      return presentDataObject(
        await keyward.dataObjects.update(actorOf(request, 'native'), request.params.id, request.body),
      );
    },
  );

  for (const direction of ['increment', 'decrement'] as const) {
    app.post(
      `/data-objects/:id/actions/${direction}`,
      {
        config: { auth: { scope: 'data-objects:write' } },
        schema: {
          tags,
          summary: direction === 'increment' ? 'Increment a data object' : 'Decrement a data object',
          description:
            direction === 'increment'
              ? 'Adds `by` (default 1) atomically; refused with 409 when the result would pass `bound`.'
              : 'Subtracts `by` (default 1) atomically; refused with 409 when the result would fall below `bound`.',
          params: IdParams,
          body: DataObjectAdd,
          response: { 200: DataObject, ...errorResponses('NOT_FOUND', 'CONFLICT') },
        },
      },
      async (request) => {
        await reachable(principalOf(request), request.params.id);
        const { by = 1, bound = null } = request.body;
        const object = await keyward.dataObjects.add(
          actorOf(request, 'native'),
          request.params.id,
          direction === 'increment' ? by : -by,
          direction === 'increment' ? { min: null, max: bound } : { min: bound, max: null },
        );
        return presentDataObject(object);
      },
    );
  }

  app.delete(
    '/data-objects/:id',
    {
      config: { auth: { scope: 'data-objects:write' } },
      schema: {
        tags,
        summary: 'Delete a data object',
        description: 'Deletes a data object.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await reachable(principalOf(request), request.params.id);
      await keyward.dataObjects.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
