import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { DASHBOARD_ROLES, scopesOfRole } from '../../../core/access/dashboard-roles.js';
import { hasScope } from '../../../core/access/scopes.js';
import type { AuthRequirement } from '../../fastify-context.js';
import { isIdempotentRoute } from '../../plugins/idempotency.js';
import { type WireErrorCode, withErrorResponses } from './error-responses.js';

const wordList = (words: readonly string[], last: string) =>
  words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`;

/**
 * Who may call a route, in words, from what the route demands: the same requirement the authentication
 * plugin enforces (plugins/authenticate.ts), so the document cannot drift from it.
 */
export function accessOf(auth: AuthRequirement): string {
  if (auth === 'public') return '**Access:** public; no credential is needed.';
  const roles = DASHBOARD_ROLES.filter((role) => hasScope(scopesOfRole(role), auth.scope));
  const sentences = [
    `**Access:** scope \`${auth.scope}\`: an API token holding it${auth.scope === '*' ? '' : ' (or `*`)'}, or ` +
      `a dashboard session of role ${wordList(roles, 'or')}.`,
  ];
  if (auth.license) {
    sentences.push(
      "Apps may present the license key instead (`Authorization: License <key>`) when the license's policy " +
        'allows keys as credentials; such a credential reaches its own license only.',
    );
  }
  if (auth.optional) sentences.push('The credential may be left out.');
  sentences.push(
    auth.method
      ? `A token with a method lock must list \`${auth.method}\` in it.`
      : 'A token with a method lock is refused.',
  );
  return sentences.join(' ');
}

/** The refusals every route of the native API may answer, from what it takes and what it demands. */
function sharedErrors(route: RouteOptions, auth: AuthRequirement): WireErrorCode[] {
  // Any URL may be malformed or carry too many parameters, any request may pass the rate limit or meet
  // maintenance mode or a database outage.
  const codes: WireErrorCode[] = ['INVALID_INPUT', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'UNAVAILABLE'];
  if (auth !== 'public') codes.push('UNAUTHENTICATED', 'FORBIDDEN');
  if ([route.method].flat().some((method) => method !== 'GET' && method !== 'HEAD'))
    codes.push('UNSUPPORTED_MEDIA_TYPE');
  if (isIdempotentRoute(route)) codes.push('IDEMPOTENCY_CONFLICT');
  return codes;
}

const documented = new WeakSet<object>();

/**
 * Completes the OpenAPI operation of every route registered after it in this plugin: its description gains
 * who may call it, routes that take license keys name that scheme, and its responses gain the refusals every
 * route shares. What is particular to a route (summary, what it does, its own refusals) stays in its schema.
 */
export function registerOperationDocs(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    const schema = route.schema ?? {};
    // A HEAD route Fastify adds for a GET one arrives with the GET route's finished schema.
    if (auth === undefined || schema.hide || documented.has(schema)) return;
    const security: FastifySchema =
      auth !== 'public' && auth.license && schema.security === undefined
        ? { security: [{ bearer: [] }, { licenseKey: [] }] }
        : {};
    const completed = {
      ...schema,
      description: [schema.description, accessOf(auth)].filter(Boolean).join('\n\n'),
      ...security,
      response: withErrorResponses(
        (schema.response ?? {}) as Record<string, unknown>,
        sharedErrors(route, auth),
      ),
    };
    documented.add(completed);
    route.schema = completed;
  });
}
