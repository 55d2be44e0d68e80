import { DomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { principalOf } from '../../plugins/authenticate.js';
import { errorResponses } from '../openapi/error-responses.js';
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
        summary: 'List events (the audit log)',
        description:
          'The audit log, newest first: every change, every validation of an existing license and every ' +
          'refused activation, filtered by type, license (`licenseId` or `key`, not both), product, machine ' +
          'and time. Validation and activation outcomes reach it up to a quarter of a second after their ' +
          'answer. Locked tokens must filter by a license or product they reach.',
        querystring: EventListQuery,
        response: { 200: listOf(Event), ...errorResponses('NOT_FOUND', 'LICENSE_NOT_FOUND') },
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
