import { DomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { principalOf } from '../../plugins/authenticate.js';
import { page, presentEvent } from '../present.js';
import { parseCursor } from '../request-values.js';
import { Event, EventListQuery, listOf } from '../schemas.js';

export function eventRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/events',
    {
      config: { auth: { scope: 'events:read' } },
      schema: {
        tags: ['events'],
        description:
          'The audit log, newest first. Locked tokens must filter by a license or product they reach.',
        querystring: EventListQuery,
        response: { 200: listOf(Event) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { limit = 100, after, since, until, key, ...filter } = request.query;
      if (key !== undefined) {
        if (filter.licenseId !== undefined)
          throw new DomainError('INVALID_INPUT', 'give licenseId or key, not both', { field: 'key' });
        // Core resolves the key as this caller may see it: a hidden license answers as an unknown key.
        filter.licenseId = (await keyward.licenses.findByKeyFor(principal, key)).id;
      }
      // Core decides what this caller may read of the log (the license or product filtered by, or all of it).
      const events = await keyward.events.list(
        principal,
        {
          ...filter,
          since: since === undefined ? undefined : new Date(since),
          until: until === undefined ? undefined : new Date(until),
        },
        { before: parseCursor(after, Number.MAX_SAFE_INTEGER), limit },
      );
      return page(events, limit, presentEvent);
    },
  );
}
