import { Type } from 'typebox';
import type { Keyward } from '../core/keyward.js';
import type { App } from './fastify-context.js';

const Health = Type.Object({ status: Type.String() });

/** Liveness says the process serves requests; readiness says it can reach its database. */
export async function opsRoutes(app: App, keyward: Keyward): Promise<void> {
  app.get(
    '/healthz',
    { config: { auth: 'public' }, schema: { tags: ['operations'], response: { 200: Health } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    { config: { auth: 'public' }, schema: { tags: ['operations'], response: { 200: Health, 503: Health } } },
    async (_request, reply) =>
      (await keyward.health.isDatabaseReachable())
        ? { status: 'ready' }
        : reply.status(503).send({ status: 'database unavailable' }),
  );
}
