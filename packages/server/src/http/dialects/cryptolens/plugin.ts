import type { FastifyReply, FastifyRequest } from 'fastify';
import { isMethodAllowed } from '../../../core/access/method-lock.js';
import type { Principal } from '../../../core/access/principal.js';
import { hasScope } from '../../../core/access/scopes.js';
import { isDomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { ADDRESS, authenticateToken, countRequest } from '../../plugins/rate-limits.js';
import {
  checkJsonShape,
  decodeFormComponent,
  formPairs,
  MAX_DIALECT_JSON_VALUES,
} from '../../plugins/request-limits.js';
import type { Answer, CallContext } from './call-context.js';
import { failureOf } from './failures.js';
import { CryptolensFailure, fail, MESSAGES } from './messages.js';
import { METHODS, methodNameOf } from './method-table.js';
import { Params } from './params.js';

export const CRYPTOLENS_PREFIX = '/cryptolens';
export const DIALECT_NAME = 'cryptolens';

/**
 * Form bodies are flat name=value pairs; brackets mean nothing to the vendor, so no nesting (no `qs`). The
 * shared limits apply: at most MAX_PARAMETERS pairs, read in one pass.
 */
function parseForm(text: string): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  for (const [rawName, rawValue] of formPairs(text)) {
    const name = decodeFormComponent(rawName);
    if (!Object.hasOwn(values, name)) values[name] = decodeFormComponent(rawValue);
  }
  return values;
}

/**
 * Bodies: SDKs post application/x-www-form-urlencoded; a JSON object is taken too (unconfirmed for the
 * vendor), and any other media type is read as a form, as lenient as the vendor's own proxy.
 */
function parseBody(contentType: string | undefined, text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  if (contentType?.toLowerCase().includes('json')) {
    checkJsonShape(text, MAX_DIALECT_JSON_VALUES);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CryptolensFailure(MESSAGES.invalidInput);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new CryptolensFailure(MESSAGES.invalidInput);
    }
    return parsed as Record<string, unknown>;
  }
  return parseForm(text);
}

/** The vendor's envelope: a method's fields, then a numeric `result` and `message`. */
function envelope(answer: Answer): Record<string, unknown> {
  const { message = '', ...fields } = answer;
  return { ...fields, result: 0, message };
}

async function authenticate(
  keyward: Keyward,
  params: Params,
  request: FastifyRequest,
): Promise<{ secret: string; principal: Extract<Principal, { kind: 'token' }> }> {
  const header = request.headers.token;
  const secret = params.raw('token') ?? (typeof header === 'string' && header !== '' ? header : undefined);
  if (secret === undefined) {
    await countRequest(request, ADDRESS);
    return fail(MESSAGES.unauthenticated, 401);
  }
  try {
    const token = await authenticateToken(keyward, request, secret);
    return { secret, principal: { kind: 'token', token } };
  } catch (error) {
    if (isDomainError(error) && error.code === 'UNAUTHENTICATED') return fail(MESSAGES.unauthenticated, 401);
    if (isDomainError(error) && error.code === 'FORBIDDEN') return fail(MESSAGES.accessDenied);
    throw error;
  }
}

async function handle(keyward: Keyward, request: FastifyRequest, reply: FastifyReply) {
  const name = methodNameOf((request.params as { '*'?: string })['*'] ?? '');
  if (name === null) return reply.status(404).send({ result: 1, message: MESSAGES.unknownMethod });
  const spec = METHODS[name];
  if (!spec) return reply.status(404).send({ result: 1, message: MESSAGES.unknownMethod });
  const params = Params.from(request.query, request.body);
  const { secret, principal } = await authenticate(keyward, params, request);
  const { token } = principal;
  // The method lock narrows the Cryptolens surface; Keyward's scopes narrow every surface.
  if (!isMethodAllowed(principal, name)) return fail(MESSAGES.accessDenied);
  if (spec.scopes.some((scope) => !hasScope(token.scopes, scope))) return fail(MESSAGES.accessDenied);
  const ctx: CallContext = {
    keyward,
    params,
    token,
    tokenSecret: secret,
    principal,
    actor: { tokenId: token.id, ip: request.ip, via: DIALECT_NAME, principal },
    ip: request.ip,
    method: name,
  };
  return reply.status(200).send(envelope(await spec.run(ctx)));
}

/**
 * Cryptolens Web API 3 under /cryptolens: an app keeps working when its LicenseServerUrl is
 * https://<keyward>/cryptolens. One encapsulated plugin with its own body parsing, error handler and
 * not-found handler, so every answer — malformed requests and rate limits included — is the vendor's
 * `{"result":1,"message":…}` envelope and never a 500 for bad input.
 */
export async function cryptolensDialect(app: App, keyward: Keyward): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, parseBody(request.headers['content-type'], body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const failure = failureOf(error);
    if (failure.isBug) request.log.error({ err: error }, 'cryptolens dialect: unhandled error');
    return reply.status(failure.statusCode).send({ result: 1, message: failure.message });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ result: 1, message: MESSAGES.unknownMethod }),
  );

  app.route({
    method: ['GET', 'POST'],
    url: '/*',
    config: { auth: 'public', verifiesCredentialInHandler: true },
    schema: { hide: true },
    handler: (request, reply) => handle(keyward, request, reply),
  });
}
