import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isMethodAllowed } from '../../../core/access/method-lock.js';
import { assertScope } from '../../../core/access/principal.js';
import { isDomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import { isStoreUnavailable } from '../../../core/store-unavailable.js';
import type { App } from '../../fastify-context.js';
import { ADDRESS, authenticateToken, countRequest } from '../../plugins/rate-limits.js';
import { MethodContext } from './context.js';
import { type ErrorContext, LIMELM_ERRORS, type LimeLmError, toLimeLmError } from './errors.js';
import { LIMELM_METHODS } from './methods/index.js';
import { formatOf, sendFailure, sendSuccess } from './respond.js';
import { type FormParams, formatParamsOf, mergeParams, parseForm } from './transport/form-params.js';
import { Params } from './transport/params.js';

export interface LimelmOptions {
  /**
   * The vendor's documented rule: POST with a form body only, else 168. Off by default, because real
   * clients send parameters in the query string and use GET (spec §1.1).
   */
  strictTransport?: boolean;
}

/** LimeLM's request bodies are small forms; generate with many features stays far below this. */
const BODY_LIMIT_BYTES = 1024 * 1024;

function queryOf(request: FastifyRequest): string {
  const url = request.raw.url ?? '';
  const mark = url.indexOf('?');
  return mark === -1 ? '' : url.slice(mark + 1);
}

/** Query string first, then the body: a parameter in both takes the body's value (PHP's $_REQUEST order). */
function paramsOf(request: FastifyRequest): FormParams {
  const params = parseForm(queryOf(request));
  const body = request.body as FormParams | undefined;
  return body && typeof body === 'object' && 'scalars' in body ? mergeParams(params, body) : params;
}

/**
 * The parameters that choose the format of an error answer. Never throws, also not for a request refused
 * for its number of parameters: then `refusedBody` is the text the body parser refused.
 */
function formatParamsOfRequest(request: FastifyRequest, refusedBody: string | undefined): FormParams {
  const params = formatParamsOf(queryOf(request));
  const body = request.body as FormParams | undefined;
  if (body && typeof body === 'object' && 'scalars' in body) return mergeParams(params, body);
  return refusedBody === undefined ? params : mergeParams(params, formatParamsOf(refusedBody));
}

/**
 * The LimeLM web API dialect (README.md): one endpoint, `method=limelm.*` dispatch, `api_key` carrying a
 * Keyward token, answers in LimeLM's XML or JSON envelopes with HTTP 200 even for failures.
 */
export async function limelmApi(app: App, keyward: Keyward, options: LimelmOptions = {}): Promise<void> {
  // Bodies refused for their number of parameters, kept for the answer's format until the answer is sent.
  const refusedBodies = new WeakMap<FastifyRequest, string>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    if (/^multipart\//i.test(request.headers['content-type'] ?? '')) {
      done(LIMELM_ERRORS.invalidParameter('send the parameters form-encoded, not as multipart/form-data'));
      return;
    }
    const text = (body as Buffer).toString('utf8');
    try {
      done(null, parseForm(text));
    } catch (error) {
      refusedBodies.set(request, text);
      done(error as Error, undefined);
    }
  });

  const fail = (request: FastifyRequest, reply: FastifyReply, error: LimeLmError, status = 200) => {
    const params = formatParamsOfRequest(request, refusedBodies.get(request));
    return sendFailure(reply, formatOf(params), error, status);
  };

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toLimeLmError(error);
    if (known) return fail(request, reply, known);
    if (isStoreUnavailable(error))
      return fail(request, reply, LIMELM_ERRORS.unavailable('the database is unreachable'));
    const status = error.statusCode ?? 500;
    if (status === 429) return fail(request, reply, LIMELM_ERRORS.unavailable(error.message));
    if (status >= 400 && status < 500)
      return fail(request, reply, LIMELM_ERRORS.invalidParameter(error.message));
    request.log.error({ err: error }, 'unhandled error');
    return fail(
      request,
      reply,
      LIMELM_ERRORS.unavailable(`internal error; quote request id ${request.id} when reporting it`),
      500,
    );
  });
  app.setNotFoundHandler((request, reply) =>
    fail(
      request,
      reply,
      LIMELM_ERRORS.invalidParameter('no LimeLM web API here; use the /api/rest/ endpoint'),
    ),
  );

  // Maintenance mode (142) is refused before this runs, by the app-wide hook (plugins/maintenance.ts).
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const form = paramsOf(request);
    const format = formatOf(form);
    let errors: ErrorContext = {};
    try {
      const isPost = request.method === 'POST';
      if (request.method !== 'GET' && !isPost) throw LIMELM_ERRORS.postOnly();
      if (options.strictTransport && (!isPost || queryOf(request) !== '')) throw LIMELM_ERRORS.postOnly();
      const params = new Params(form);
      const apiKey = params.text('api_key');
      if (apiKey === undefined) {
        await countRequest(request, ADDRESS);
        throw LIMELM_ERRORS.invalidApiKey();
      }
      const token = await authenticateToken(keyward, request, apiKey).catch((error: unknown) => {
        // The native IP allow-list and bind-to-first-IP are address locks too: LimeLM's 164.
        if (isDomainError(error) && error.code === 'FORBIDDEN' && error.details.reason === undefined)
          throw LIMELM_ERRORS.addressRefused(error.message);
        throw error;
      });
      const methodName = params.text('method') ?? '';
      const method = LIMELM_METHODS[methodName];
      if (!method || !Object.hasOwn(LIMELM_METHODS, methodName))
        throw LIMELM_ERRORS.methodNotFound(methodName);
      // A token's method lock (POST /v1/tokens `methodLock`) names methods as `group/method`, lower case.
      const lockName = methodName
        .replace(/^limelm\./, '')
        .replace('.', '/')
        .toLowerCase();
      if (!isMethodAllowed({ kind: 'token', token }, lockName))
        throw LIMELM_ERRORS.invalidApiKey(`this key is locked to other methods than ${lockName}`);
      errors = method.errors ?? {};
      for (const scope of method.scopes) assertScope({ kind: 'token', token }, scope);
      const actor = {
        tokenId: token.id,
        ip: request.ip,
        via: 'limelm',
        principal: { kind: 'token', token },
      } as const;
      const payload = await method.run(new MethodContext(keyward, token, params, actor));
      return sendSuccess(reply, format, payload);
    } catch (error) {
      const known = toLimeLmError(error, errors);
      if (known) return sendFailure(reply, format, known);
      throw error;
    }
  };

  // Under a prefix, '/' answers both /api/rest/ and /api/rest (Fastify's prefixTrailingSlash 'both').
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/',
    config: { auth: 'public', verifiesCredentialInHandler: true },
    schema: { hide: true },
    handler: handle,
  });
}

/** Where LimeLM clients are pointed: the vendor's path, and the same under /limelm for shared hosts. */
export const LIMELM_PREFIXES = ['/api/rest', '/limelm/api/rest'] as const;

/** Mounts the dialect at each of its prefixes, each an encapsulated plugin with its own parsers and errors. */
export async function limelmDialect(app: App, keyward: Keyward, options: LimelmOptions = {}): Promise<void> {
  for (const prefix of LIMELM_PREFIXES) {
    await app.register(async (scope) => limelmApi(scope as App, keyward, options), { prefix });
  }
}
