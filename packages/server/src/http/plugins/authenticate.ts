import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/access/actor.js';
import { assertMethodAllowed } from '../../core/access/method-lock.js';
import { assertScope, type Principal, principalTokenId } from '../../core/access/principal.js';
import { DomainError } from '../../core/domain-error.js';
import type { Keyward } from '../../core/keyward.js';
import { resolveSessionPrincipal } from '../dashboard-session.js';
import type { AuthRequirement } from '../fastify-context.js';
import { ADDRESS, authenticateToken, countRequest } from './rate-limits.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const LICENSE = /^License\s+(\S+)\s*$/i;

async function resolvePrincipal(
  keyward: Keyward,
  request: FastifyRequest,
  auth: Exclude<AuthRequirement, 'public'>,
  acceptsSession: boolean,
): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    // The dashboard's session cookie (with its CSRF header) stands in for a token on the native API.
    const session = acceptsSession ? await resolveSessionPrincipal(keyward, request) : null;
    if (session) {
      if (request.dashboardUser)
        await countRequest(request, { kind: 'user', userId: request.dashboardUser.id });
      assertScope(session, auth.scope);
      return session;
    }
    if (auth.optional) return null;
    throw new DomainError('UNAUTHENTICATED', 'send Authorization: Bearer <token>');
  }
  const bearer = BEARER.exec(header);
  if (bearer?.[1]) {
    const token = await authenticateToken(keyward, request, bearer[1]);
    const principal: Principal = { kind: 'token', token };
    assertScope(principal, auth.scope);
    assertMethodAllowed(principal, auth.method ?? null);
    return principal;
  }
  const license = LICENSE.exec(header);
  if (license?.[1]) {
    if (!auth.license)
      throw new DomainError('FORBIDDEN', 'this route does not accept a license key credential');
    // Core decides whether the key may serve as a credential (its policy allows it).
    const principal = await keyward.licenses.credentialOf(license[1]);
    if (principal.kind === 'license')
      await countRequest(request, { kind: 'license', licenseId: principal.license.id });
    return principal;
  }
  throw new DomainError(
    'UNAUTHENTICATED',
    'the Authorization header must be "Bearer <token>" or "License <key>"',
  );
}

/**
 * Authentication runs before body validation, so an unauthenticated caller learns nothing about a route's
 * schema. Every route under /v1 must declare what it demands: a route that forgets fails at start-up.
 */
export function registerAuthentication(app: FastifyInstance, keyward: Keyward, guardedPrefix: string): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('dashboardUser', null);
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    if (auth === undefined) {
      if (route.url.startsWith(guardedPrefix)) {
        throw new Error(`route ${route.method} ${route.url} declares no auth requirement`);
      }
      return;
    }
    if (auth === 'public') return;
    const acceptsSession = route.url.startsWith(guardedPrefix);
    const hook = async (request: FastifyRequest) => {
      try {
        request.principal = await resolvePrincipal(keyward, request, auth, acceptsSession);
      } finally {
        // Whatever was not verified above (no credential, a wrong one) spends the address's budget.
        await countRequest(request, ADDRESS);
      }
    };
    const existing = route.preValidation;
    route.preValidation = existing ? [hook, ...(Array.isArray(existing) ? existing : [existing])] : hook;
  });
}

/** The principal of a route that demanded one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('UNAUTHENTICATED', 'send Authorization: Bearer <token>');
  return request.principal;
}

export function actorOf(request: FastifyRequest, via: string): Actor {
  // A dashboard user's change is recorded with who made it; a session is no API token.
  if (request.dashboardUser)
    return {
      tokenId: null,
      ip: request.ip,
      via: `dashboard:${request.dashboardUser.email}`,
      principal: request.principal,
    };
  return { tokenId: principalTokenId(request.principal), ip: request.ip, via, principal: request.principal };
}
