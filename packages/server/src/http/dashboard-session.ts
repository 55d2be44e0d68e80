import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AuthenticatedSession,
  csrfTokenMatches,
  SESSION_SECONDS,
} from '../core/access/dashboard-auth-service.js';
import type { DashboardUser } from '../core/access/dashboard-ports.js';
import type { Principal } from '../core/access/principal.js';
import { deviceNameOf, TRUSTED_FOR_MS } from '../core/access/sign-in-throttle.js';
import { DomainError } from '../core/domain-error.js';
import type { Keyward } from '../core/keyward.js';

/** The HttpOnly cookie holding a dashboard session's secret. */
export const SESSION_COOKIE = 'keyward_session';
/** Every request authenticated by the cookie carries the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard user whose session cookie authenticated the request, if any. */
    dashboardUser?: DashboardUser | null;
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Secure unless the dashboard is reached over plain HTTP on a non-loopback address: a browser would then drop a
 * Secure cookie and nobody could sign in. Browsers accept Secure cookies from http://localhost.
 */
export function cookieIsSecure(request: FastifyRequest): boolean {
  return request.protocol === 'https' || LOOPBACK.test(request.hostname);
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, secret: string): void {
  reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(request),
    path: '/',
    maxAge: SESSION_SECONDS,
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(request),
    path: '/',
  });
}

/**
 * A browser that signed in to an account keeps that account's device cookie (core/access/sign-in-throttle.ts): it
 * signs in on its own budget while strangers guessing the password are slowed down. Sent only to sign-in.
 */
const DEVICE_COOKIE_PREFIX = 'keyward_device_';
const DEVICE_COOKIE_PATH = '/v1/session';

export function deviceSecretOf(request: FastifyRequest, email: string): string | null {
  const value = request.cookies?.[`${DEVICE_COOKIE_PREFIX}${deviceNameOf(email)}`];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function setDeviceCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  device: { name: string; secret: string },
): void {
  reply.setCookie(`${DEVICE_COOKIE_PREFIX}${device.name}`, device.secret, {
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(request),
    path: DEVICE_COOKIE_PATH,
    maxAge: Math.floor(TRUSTED_FOR_MS / 1000),
  });
}

export function sessionSecretOf(request: FastifyRequest): string | null {
  const value = request.cookies?.[SESSION_COOKIE];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function assertCsrf(request: FastifyRequest, secret: string): void {
  const presented = request.headers[CSRF_HEADER];
  if (typeof presented !== 'string' || !csrfTokenMatches(secret, presented)) {
    throw new DomainError(
      'FORBIDDEN',
      'a request authenticated by the session cookie must send its CSRF token in X-CSRF-Token',
    );
  }
}

/** A session acts like an API token holding its user's role scopes, with no product or license lock. */
export function sessionPrincipal(found: AuthenticatedSession): Principal {
  return {
    kind: 'token',
    token: {
      id: 0,
      name: `dashboard session of ${found.user.email}`,
      prefix: '',
      scopes: found.scopes,
      productIds: [],
      licenseId: null,
      ipAllowlist: [],
      bindToFirstIp: false,
      boundIp: null,
      source: 'api',
      expiresAt: found.session.expiresAt,
      revokedAt: null,
      createdAt: found.session.createdAt,
      lastUsedAt: null,
    },
  };
}

/**
 * The principal of a request carrying a session cookie (and no Authorization header), or null without one.
 * A cookie naming no live session is refused rather than ignored, so the dashboard learns to sign in again.
 */
export async function resolveSessionPrincipal(
  keyward: Keyward,
  request: FastifyRequest,
): Promise<Principal | null> {
  const secret = sessionSecretOf(request);
  if (secret === null) return null;
  const found = await keyward.dashboardAuth.authenticate(secret);
  if (!found) throw new DomainError('UNAUTHENTICATED', 'the dashboard session has ended; sign in again');
  assertCsrf(request, secret);
  request.dashboardUser = found.user;
  return sessionPrincipal(found);
}
