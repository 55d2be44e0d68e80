import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_SECONDS } from '../../core/portal/portal-service.js';
import { cookieIsSecure } from '../dashboard-session.js';

/** The HttpOnly cookie holding a portal session's secret; sent to the portal's API only. */
export const PORTAL_COOKIE = 'keyward_portal';
export const PORTAL_API_PREFIX = '/portal/api';

/**
 * SameSite=Lax: a customer arrives from a link in an email, a navigation from another site, and the portal's
 * page must see it signed in. Every change also needs the CSRF header, which another site cannot send. Secure
 * as the dashboard's cookie is (dashboard-session.ts): always but over plain HTTP on a non-loopback host.
 */
function options(request: FastifyRequest) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: cookieIsSecure(request),
    path: PORTAL_API_PREFIX,
  };
}

export function setPortalCookie(request: FastifyRequest, reply: FastifyReply, secret: string): void {
  reply.setCookie(PORTAL_COOKIE, secret, { ...options(request), maxAge: SESSION_SECONDS });
}

export function clearPortalCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(PORTAL_COOKIE, options(request));
}

export function portalSecretOf(request: FastifyRequest): string | null {
  const value = request.cookies?.[PORTAL_COOKIE];
  return typeof value === 'string' && value !== '' ? value : null;
}
