import { type TSchema, Type } from 'typebox';
import type { AnalyticsEvent } from '../../../core/events/analytics-ports.js';
import { ANALYTICS_LIMITS } from '../../../core/events/analytics-service.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { principalOf } from '../../plugins/authenticate.js';
import { errorResponses } from '../openapi/error-responses.js';
import { page } from '../present.js';
import { parseCursor } from '../request-values.js';
import { Id, listOf, PageQuery, Timestamp } from '../schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const AnalyticsEventSchema = Type.Object(
  {
    id: Type.Integer({ examples: [77] }),
    productId: Nullable(Type.Integer()),
    licenseId: Nullable(Type.Integer()),
    key: Nullable(Type.String()),
    machineCode: Nullable(Type.String()),
    featureName: Nullable(Type.String()),
    eventName: Nullable(Type.String()),
    value: Type.Integer(),
    currency: Nullable(Type.String()),
    metadata: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    createdAt: Timestamp,
  },
  { title: 'AnalyticsEvent', description: 'A feature-usage event an app registered.' },
);

const AnalyticsEventListQuery = Type.Object(
  {
    ...PageQuery,
    productId: Type.Optional(Id),
    licenseId: Type.Optional(Id),
    key: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'The license with exactly this key' }),
    ),
    machineCode: Type.Optional(Type.String({ minLength: 1, maxLength: ANALYTICS_LIMITS.machineCode })),
    featureName: Type.Optional(Type.String({ minLength: 1, maxLength: ANALYTICS_LIMITS.featureName })),
    eventName: Type.Optional(Type.String({ minLength: 1, maxLength: ANALYTICS_LIMITS.eventName })),
    since: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

export const presentAnalyticsEvent = (e: AnalyticsEvent) => ({
  id: e.id,
  productId: e.productId,
  licenseId: e.licenseId,
  key: e.key,
  machineCode: e.machineCode,
  featureName: e.featureName,
  eventName: e.eventName,
  value: e.value,
  currency: e.currency,
  metadata: e.metadata,
  ip: e.ip,
  createdAt: e.createdAt.toISOString(),
});

/** Feature-usage events that apps registered (Cryptolens' ai/RegisterEvent); read-only here. */
export function analyticsEventRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/analytics-events',
    {
      // The same operation as Cryptolens' ai/GetEvents, for tokens with a method lock.
      config: { auth: { scope: 'analytics:read', method: 'ai/getevents' } },
      schema: {
        tags: ['analytics'],
        summary: 'List analytics events',
        description:
          'Feature-usage events apps registered, newest first. A token sees only what its locks reach: a ' +
          "license-locked one its license's events, a product-locked one its products'; events of no product " +
          'only unlocked tokens. A product or license the caller may not reach answers 404 as a missing one.',
        querystring: AnalyticsEventListQuery,
        response: { 200: listOf(AnalyticsEventSchema), ...errorResponses('NOT_FOUND', 'LICENSE_NOT_FOUND') },
      },
    },
    async (request) => {
      const { limit = 100, after, since, ...filter } = request.query;
      const events = await keyward.analytics.list(principalOf(request), {
        ...filter,
        since: since === undefined ? undefined : new Date(since),
        beforeId: parseCursor(after, Number.MAX_SAFE_INTEGER) ?? undefined,
        order: 'desc',
        limit,
      });
      return page(events, limit, presentAnalyticsEvent);
    },
  );
}
