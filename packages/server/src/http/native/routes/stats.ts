import { Type } from 'typebox';
import { assertUnrestricted } from '../../../core/access/principal.js';
import { BUCKETS, type BucketSize } from '../../../core/events/stats-service.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { principalOf } from '../../plugins/authenticate.js';
import { Timestamp } from '../schemas.js';

const tags = ['stats'];
const DEFAULT_TYPES = ['machine.activated', 'license.validated', 'license.validation_failed'];

const Overview = Type.Object(
  {
    products: Type.Integer({ examples: [3] }),
    policies: Type.Integer({ examples: [7] }),
    customers: Type.Integer({ examples: [412] }),
    licenses: Type.Integer({ examples: [1841] }),
    activeLicenses: Type.Integer({ examples: [1650] }),
    suspendedLicenses: Type.Integer({ examples: [12] }),
    revokedLicenses: Type.Integer({ examples: [31] }),
    expiredLicenses: Type.Integer({ examples: [148] }),
    activeMachines: Type.Integer({ examples: [2210] }),
  },
  { title: 'Overview', description: 'Counts for the dashboard’s overview.' },
);

const EventSeriesQuery = Type.Object(
  {
    bucket: Type.Optional(Type.Enum(Object.keys(BUCKETS) as BucketSize[], { default: 'day' })),
    since: Type.Optional(Timestamp),
    until: Type.Optional(Timestamp),
    types: Type.Optional(
      Type.String({
        maxLength: 500,
        pattern: '^[a-z_.-]{1,100}(,[a-z_.-]{1,100}){0,9}$',
        description: `Comma-separated event types (at most 10); default ${DEFAULT_TYPES.join(',')}`,
      }),
    ),
  },
  { additionalProperties: false },
);

const EventSeries = Type.Object(
  {
    since: Timestamp,
    until: Timestamp,
    bucketSeconds: Type.Integer({ description: '3600 (hour) or 86400 (day)', examples: [86_400] }),
    buckets: Type.Array(
      Type.Object({
        start: Timestamp,
        type: Type.String({ examples: ['license.validated'] }),
        count: Type.Integer({ examples: [5321] }),
      }),
      { description: 'Per bucket and event type, oldest first' },
    ),
  },
  { title: 'EventSeries', description: 'Event counts per hour or day.' },
);

/** Aggregates for the dashboard's overview; they span every product, so they need an unlocked credential. */
export function statsRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/stats/overview',
    {
      config: { auth: { scope: 'licenses:read' } },
      schema: {
        tags,
        summary: 'Count what the account holds',
        description:
          'Counts of products, policies, customers, licenses by state and active machines. Needs an unlocked token.',
        response: { 200: Overview },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return keyward.stats.overview();
    },
  );

  app.get(
    '/stats/events',
    {
      config: { auth: { scope: 'events:read' } },
      schema: {
        tags,
        summary: 'Count events over time',
        description:
          'Events of some types (default: activations and validation outcomes) counted per hour or UTC day; ' +
          'every bucket is listed, oldest first. At most 400 buckets. Needs an unlocked token.',
        querystring: EventSeriesQuery,
        response: { 200: EventSeries },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      const { bucket = 'day', since, until, types } = request.query;
      const series = await keyward.stats.eventSeries({
        types: types ? [...new Set(types.split(','))] : DEFAULT_TYPES,
        bucket,
        since: since === undefined ? undefined : new Date(since),
        until: until === undefined ? undefined : new Date(until),
      });
      return {
        since: series.since.toISOString(),
        until: series.until.toISOString(),
        bucketSeconds: series.bucketSeconds,
        buckets: series.buckets.map((b) => ({ ...b, start: new Date(b.start).toISOString() })),
      };
    },
  );
}
