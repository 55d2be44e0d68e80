import type { AnalyticsEvent } from '../../../../core/events/analytics-ports.js';
import type { CallContext, MethodSpec } from '../call-context.js';
import { productOf } from '../lookups.js';
import { unixSeconds } from '../string-sign.js';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 1000;

/**
 * The product a call names. The SDKs send ProductId 0 (Python, .NET) or -1 when the app has none, which
 * names no product; any other id is looked up as every method does.
 */
async function namedProduct(ctx: CallContext): Promise<number | null> {
  return ctx.params.int('ProductId', 0) >= 1 ? productOf(ctx) : null;
}

/** Empty text, as the SDKs send for what the app left out, is no value. */
const text = (ctx: CallContext, name: string): string | null => {
  const value = ctx.params.nullableString(name);
  return value === null || value.trim() === '' ? null : value;
};

/**
 * ai/RegisterEvent: an event the app reports ("start" of the feature "YearReportGenerator", a payment of
 * Value 3000 in Currency "USD"), with or without a product and key. Core keeps it within the token's locks and
 * bounds its fields (at most 100 characters of names, 4000 of Metadata, 1024 of MachineCode).
 */
export const registerEvent: MethodSpec = {
  scopes: ['analytics:write'],
  async run(ctx) {
    const productId = await namedProduct(ctx);
    await ctx.keyward.analytics.register(ctx.actor, {
      productId,
      key: text(ctx, 'Key'),
      machineCode: text(ctx, 'MachineCode'),
      featureName: text(ctx, 'FeatureName'),
      eventName: text(ctx, 'EventName'),
      value: ctx.params.int('Value', 0),
      currency: text(ctx, 'Currency'),
      metadata: text(ctx, 'Metadata'),
    });
    return {};
  },
};

const present = (event: AnalyticsEvent) => ({
  id: event.id,
  productId: event.productId,
  key: event.key,
  machineCode: event.machineCode,
  featureName: event.featureName,
  eventName: event.eventName,
  value: event.value,
  currency: event.currency,
  metadata: event.metadata,
  time: unixSeconds(event.createdAt),
  ip: event.ip,
});

/**
 * ai/GetEvents: registered events the token may see, newest first (`OrderBy` "Id ascending" for oldest first),
 * `Limit` 10 by default (at most 1000), after `StartingAfter` and before `EndingBefore` (ids), registered at or
 * after `Time` (unix seconds), of a `ProductId`, a `Key`, or with exactly this `Metadata`; Keyward also filters
 * by `MachineCode`, `FeatureName` and `EventName`.
 */
export const getEvents: MethodSpec = {
  scopes: ['analytics:read'],
  async run(ctx) {
    const { params } = ctx;
    const productId = await namedProduct(ctx);
    const requested = params.int('Limit', DEFAULT_LIMIT);
    const time = params.int('Time', 0);
    const startingAfter = params.int('StartingAfter', 0);
    const endingBefore = params.int('EndingBefore', 0);
    const events = await ctx.keyward.analytics.list(ctx.principal, {
      productId: productId ?? undefined,
      key: text(ctx, 'Key') ?? undefined,
      machineCode: text(ctx, 'MachineCode') ?? undefined,
      featureName: text(ctx, 'FeatureName') ?? undefined,
      eventName: text(ctx, 'EventName') ?? undefined,
      metadata: text(ctx, 'Metadata') ?? undefined,
      since: time > 0 ? new Date(time * 1000) : undefined,
      afterId: startingAfter > 0 ? startingAfter : undefined,
      beforeId: endingBefore > 0 ? endingBefore : undefined,
      order: params.string('OrderBy').toLowerCase().includes('ascending') ? 'asc' : 'desc',
      limit: requested > 0 ? Math.min(requested, MAX_LIMIT) : DEFAULT_LIMIT,
    });
    return { events: events.map(present) };
  },
};
