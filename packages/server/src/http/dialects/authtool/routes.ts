import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../../core/access/actor.js';
import {
  assertNotLicenseLocked,
  assertScope,
  licenseNotFound,
  type Principal,
} from '../../../core/access/principal.js';
import type { Keyward } from '../../../core/keyward.js';
import type { KeyKind } from '../../../core/licenses/key-issuing-service.js';
import type { License } from '../../../core/model.js';
import type { App } from '../../fastify-context.js';
import { parseCreateRequest } from './create-request.js';
import { type Action, AuthToolFailure, failureOf } from './failures.js';
import { presentKeyDetail } from './key-detail.js';

export const DIALECT = 'authtool';

function principalOf(request: FastifyRequest): Principal {
  // Set by the dialect's preValidation hook on every route; a route without it is a wiring bug.
  if (!request.principal) throw new Error('AuthTool route reached without a principal');
  return request.principal;
}

const actorOf = (request: FastifyRequest): Actor => ({
  tokenId: request.principal?.kind === 'token' ? request.principal.token.id : null,
  ip: request.ip,
  via: DIALECT,
  principal: request.principal,
});

/** Errors of a route in AuthTool's envelope, with the route's own "no permission" message. */
function errorHandlerFor(action: Action) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { failure, isBug } = failureOf(error, action);
    if (isBug) request.log.error({ err: error }, 'AuthTool request failed');
    return reply.status(failure.statusCode).send(failure.body);
  };
}

/** The key named in the path, if the caller may reach it. */
async function reachableKey(keyward: Keyward, principal: Principal, key: string): Promise<License> {
  const license = await keyward.licenses.findByKey(principal, key);
  if (!license) throw licenseNotFound();
  return license;
}

type KeyParams = { key: string };

/** The six endpoints of AuthTool's public API v1, each a translation onto core use cases. */
export function authToolRoutes(app: App, keyward: Keyward): void {
  const create = (kind: KeyKind) => async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOf(request);
    assertScope(principal, 'licenses:write');
    assertNotLicenseLocked(principal);
    const input = parseCreateRequest(request.body, kind, keyward.clock.now());
    const licenses = await keyward.keyIssuing.issue(actorOf(request), {
      kind,
      productIds: input.packageIds,
      count: input.quantity,
      validity: input.validity,
      ...(input.activateCount !== undefined ? { maxMachines: input.activateCount } : {}),
      ...(input.endDate !== undefined ? { expiresAt: input.endDate } : {}),
      alias: input.alias,
      isCleanable: input.isCleanable,
    });
    return reply.status(201).send({ message: 'Create key successfully', data: licenses.map((l) => l.key) });
  };

  // Public to the app's authentication (it guards /v1 only): the dialect's own hook checks X-API-Key.
  const options = (action: Action) => ({
    config: { auth: 'public' as const },
    schema: { hide: true },
    errorHandler: errorHandlerFor(action),
  });

  app.post('/key/single-activate', options('create'), create('single-activation'));
  app.post('/key/multiple-activate', options('create'), create('multi-activation'));

  app.patch<{ Params: KeyParams }>('/key/:key/reset', options('reset'), async (request) => {
    const principal = principalOf(request);
    assertScope(principal, 'licenses:write');
    const license = await reachableKey(keyward, principal, request.params.key);
    const reset = await keyward.licenses.reset(actorOf(request), license.id);
    return { message: 'Reset successfully', resetCount: reset.resetCount };
  });

  app.get<{ Params: KeyParams }>('/key/:key/detail', options('detail'), async (request) => {
    const principal = principalOf(request);
    assertScope(principal, 'licenses:read');
    assertScope(principal, 'machines:read');
    const view = await keyward.licenses.viewByKey(principal, request.params.key);
    return presentKeyDetail(view, await keyward.machines.history(principal, view.license.id));
  });

  app.patch<{ Params: KeyParams }>('/key/:key/change-status', options('change-status'), async (request) => {
    const principal = principalOf(request);
    assertScope(principal, 'licenses:write');
    const status = parseStatus(request.body);
    const license = await reachableKey(keyward, principal, request.params.key);
    const actor = actorOf(request);
    // Disabled is Keyward's suspension: reversible, and refused by every surface while it lasts.
    if (status === 0) await keyward.licenses.suspend(actor, license.id);
    else await keyward.licenses.reinstate(actor, license.id);
    return { message: 'Key status changed successfully' };
  });

  app.delete<{ Params: KeyParams }>('/key/:key', options('delete'), async (request) => {
    const principal = principalOf(request);
    assertScope(principal, 'licenses:write');
    const license = await reachableKey(keyward, principal, request.params.key);
    await keyward.licenses.delete(actorOf(request), license.id);
    return { message: 'Key deleted successfully' };
  });
}

/** `status`: 0 disabled, 1 enabled; numbers, or their digit strings as forms send them. */
function parseStatus(body: unknown): 0 | 1 {
  const value =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>).status
      : undefined;
  if (value === undefined || value === null || value === '') {
    throw new AuthToolFailure(400, 'Validation error', 'status is required');
  }
  if (value === 0 || value === '0') return 0;
  if (value === 1 || value === '1') return 1;
  throw new AuthToolFailure(400, 'Validation error', 'status must be 0 (disabled) or 1 (enabled)');
}
