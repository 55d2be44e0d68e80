import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { csrfTokenOf } from '../../core/access/dashboard-auth-service.js';
import { DomainError, isDomainError } from '../../core/domain-error.js';
import type { Keyward } from '../../core/keyward.js';
import { isFloatingMachine } from '../../core/model.js';
import type { PortalSession, PortalSettings } from '../../core/portal/portal-ports.js';
import type { PortalLicense } from '../../core/portal/portal-service.js';
import { OFFLINE_REQUEST_MAX_LENGTH } from '../../core/signing/offline-exchange.js';
import { assertCsrf } from '../dashboard-session.js';
import type { App } from '../fastify-context.js';
import { checkJsonShape, MAX_DIALECT_JSON_VALUES } from '../plugins/request-limits.js';
import { clearPortalCookie, portalSecretOf, setPortalCookie } from './portal-cookie.js';

/** Who may call a portal route: anyone (`public`), or a signed-in customer (`session`). Every route says. */
export type PortalAccess = 'public' | 'session';

declare module 'fastify' {
  interface FastifyContextConfig {
    portal?: PortalAccess;
  }
  interface FastifyRequest {
    portalSession?: PortalSession | null;
    portalSecret?: string | null;
  }
}

/** Portal bodies are small: an offline request (the largest) fits with room to spare. */
const BODY_LIMIT_BYTES = 4 * OFFLINE_REQUEST_MAX_LENGTH;

/** The answer to every sign-in request, whether or not a link was sent. */
export const SIGN_IN_REQUESTED =
  'If a license is registered to this address, a sign-in link is on its way. It works once, for 15 minutes.';

const iso = (date: Date | null) => date?.toISOString() ?? null;

const presentBranding = (s: PortalSettings) => ({
  isEnabled: s.isEnabled,
  displayName: s.displayName,
  primaryColor: s.primaryColor,
  accentColor: s.accentColor,
  logoDataUrl: s.logoDataUrl,
  allowedActions: s.allowedActions,
});

/** What the owner sees of a license: state from the view, never derived here. */
const presentLicense = ({ view, productNames, purchases }: PortalLicense) => ({
  id: view.license.id,
  key: view.license.key,
  status: view.status,
  expiresAt: iso(view.license.expiresAt),
  daysLeft: view.daysLeft,
  productNames,
  purchases: purchases.map((p) => ({
    provider: p.provider,
    orderId: p.orderId,
    subscriptionId: p.subscriptionId,
    status: p.status,
    periodEndsAt: iso(p.periodEndsAt),
    purchasedAt: p.purchasedAt.toISOString(),
  })),
  policyName: view.policy.name,
  maxMachines: view.rules.maxMachines,
  maxDeactivations: view.rules.maxDeactivations,
  deactivationCount: view.license.deactivationCount,
  machines: view.seatHolders.map((m) => ({
    id: m.id,
    fingerprint: m.fingerprint,
    name: m.name,
    platform: m.platform,
    isFloating: isFloatingMachine(m),
    activatedAt: m.createdAt.toISOString(),
    lastSeenAt: m.lastSeenAt.toISOString(),
    expiresAt: iso(view.activationOf(m).expiresAt),
  })),
});

const presentSession = (session: PortalSession, secret: string) => ({
  email: session.email,
  csrfToken: csrfTokenOf(secret),
  expiresAt: session.expiresAt.toISOString(),
});

function sessionOf(request: FastifyRequest): { session: PortalSession; secret: string } {
  if (!request.portalSession || !request.portalSecret)
    throw new DomainError('UNAUTHENTICATED', 'sign in first');
  return { session: request.portalSession, secret: request.portalSecret };
}

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
const strict = { additionalProperties: false } as const;

/**
 * The customer portal's API, under /portal/api: its own JSON parser and limits, its own cookie session with a
 * CSRF token, and the native error envelope. Core decides everything a customer may reach
 * (core/portal/portal-service.ts); these routes translate.
 */
export async function portalApi(app: App, keyward: Keyward): Promise<void> {
  // JSON only, with a dialect's small limits.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (request, body, done) => {
      try {
        checkJsonShape(body as string, MAX_DIALECT_JSON_VALUES);
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
      parseJson(request, body as string, done);
    },
  );

  // A route that forgets to say who may call it fails at start-up; a session route checks the session (and, for a
  // change, its CSRF token) before its body is even validated.
  app.addHook('onRoute', (route) => {
    const access = route.config?.portal;
    if (access !== 'public' && access !== 'session')
      throw new Error(`portal route ${route.method} ${route.url} declares no access`);
    route.bodyLimit = BODY_LIMIT_BYTES;
    route.schema = { ...route.schema, hide: true };
    if (access === 'public') return;
    const hook = async (request: FastifyRequest) => {
      const secret = portalSecretOf(request);
      if (secret === null) throw new DomainError('UNAUTHENTICATED', 'sign in first');
      const session = await keyward.portal.session(secret);
      if (request.method !== 'GET') assertCsrf(request, secret);
      request.portalSession = session;
      request.portalSecret = secret;
    };
    const existing = route.preValidation;
    route.preValidation = existing ? [hook, ...(Array.isArray(existing) ? existing : [existing])] : hook;
  });

  app.get('/branding', { config: { portal: 'public' } }, async () =>
    presentBranding(await keyward.portalSettings.current()),
  );

  app.post(
    '/sign-in-links',
    {
      config: { portal: 'public' },
      schema: { body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }) }, strict) },
    },
    async (request, reply) => {
      try {
        const outcome = await keyward.portal.requestSignIn({ email: request.body.email, ip: request.ip });
        if (outcome === 'no_public_url')
          request.log.error(
            'a customer asked for a portal sign-in link, but KEYWARD_PUBLIC_URL is not set: no link can be mailed; set it to the address customers reach this server at',
          );
      } catch (error) {
        if (isDomainError(error) && error.code === 'RATE_LIMITED')
          reply.header('retry-after', String(error.details.retryAfterSeconds ?? 60));
        throw error;
      }
      return reply.status(202).send({ message: SIGN_IN_REQUESTED });
    },
  );

  app.post(
    '/sessions',
    {
      config: { portal: 'public' },
      schema: { body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, strict) },
    },
    async (request, reply) => {
      const { secret, session } = await keyward.portal.redeem({ token: request.body.token, ip: request.ip });
      setPortalCookie(request, reply, secret);
      return presentSession(session, secret);
    },
  );

  app.get('/session', { config: { portal: 'session' } }, async (request) => {
    const { session, secret } = sessionOf(request);
    return presentSession(session, secret);
  });

  app.delete('/session', { config: { portal: 'session' } }, async (request, reply) => {
    await keyward.portal.signOut(sessionOf(request).secret);
    clearPortalCookie(request, reply);
    return { signedIn: false };
  });

  app.get('/licenses', { config: { portal: 'session' } }, async (request) => ({
    items: (await keyward.portal.licenses(sessionOf(request).session)).map(presentLicense),
  }));

  app.post(
    '/machines/:id/deactivate',
    { config: { portal: 'session' }, schema: { params: IdParams } },
    async (request) => {
      await keyward.portal.deactivate(sessionOf(request).session, request.params.id, request.ip);
      return { deactivated: true };
    },
  );

  app.post(
    '/licenses/:id/license-file',
    {
      config: { portal: 'session' },
      schema: {
        params: IdParams,
        body: Type.Object(
          { fingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })) },
          strict,
        ),
      },
    },
    async (request) => {
      const issued = await keyward.portal.licenseFile(
        sessionOf(request).session,
        request.params.id,
        { fingerprint: request.body.fingerprint },
        request.ip,
      );
      return { file: issued.file, issuedAt: iso(issued.issuedAt), expiresAt: iso(issued.expiresAt) };
    },
  );

  app.post(
    '/offline-responses',
    {
      config: { portal: 'session' },
      schema: {
        body: Type.Object(
          { request: Type.String({ minLength: 1, maxLength: OFFLINE_REQUEST_MAX_LENGTH * 2 }) },
          strict,
        ),
      },
    },
    async (request) => {
      const answer = await keyward.portal.answerOfflineRequest(
        sessionOf(request).session,
        request.body.request,
        request.ip,
      );
      return answer.type === 'activation'
        ? { type: answer.type, nonce: answer.nonce, response: answer.response, machineId: answer.machine.id }
        : { type: answer.type, nonce: answer.nonce, response: null, machineId: answer.machineId };
    },
  );
}
