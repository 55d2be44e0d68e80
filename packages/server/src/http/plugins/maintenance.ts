import type { FastifyInstance } from 'fastify';
import type { Keyward } from '../../core/keyward.js';

/** Health checks and documentation keep answering during maintenance; orchestrators must not restart us. */
const ALWAYS_OPEN = /^\/(healthz|readyz|docs|openapi\.json)(\/|\?|$)/;

/**
 * While the server is in maintenance mode every API request is refused as UNAVAILABLE before any work,
 * rendered by the error handler of the surface the route belongs to (native 503, LimeLM 142, …). It runs
 * once the body is parsed (surfaces that read their answer format from the body need it) but before any
 * route's own hooks, authentication included, so nothing touches the database.
 */
export function registerMaintenanceMode(app: FastifyInstance, keyward: Keyward): void {
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      if (keyward.maintenance.isOn() && !ALWAYS_OPEN.test(request.url)) keyward.maintenance.assertOff();
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}
