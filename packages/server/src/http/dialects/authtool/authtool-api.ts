import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { registerBodyParsers } from './body-parsers.js';
import { authenticateApiKey } from './credentials.js';
import { AuthToolFailure, failureOf } from './failures.js';
import { authToolRoutes } from './routes.js';

/**
 * AuthTool's public API v1, mounted at /public/v1: one encapsulated plugin with its own body parsers,
 * credential (`X-API-Key`), error envelope (`{ message }`) and not-found answer, so even malformed requests
 * are answered the vendor's way. Everything it decides, core decides.
 */
export async function authToolApi(app: App, keyward: Keyward): Promise<void> {
  registerBodyParsers(app);

  // Before body checks: an unauthenticated caller learns nothing about what the body should hold.
  app.addHook('preValidation', async (request) => {
    request.principal = await authenticateApiKey(keyward, request);
  });

  app.setErrorHandler((error, request, reply) => {
    const { failure, isBug } = failureOf(error, null);
    if (isBug) request.log.error({ err: error }, 'AuthTool request failed');
    return reply.status(failure.statusCode).send(failure.body);
  });

  app.setNotFoundHandler((_request, reply) => {
    const failure = new AuthToolFailure(404, 'Not found');
    return reply.status(failure.statusCode).send(failure.body);
  });

  authToolRoutes(app, keyward);
}
