import type { LicenseView } from '../../../../core/licenses/license-view.js';
import type { DomainEvent, License, Policy } from '../../../../core/model.js';
import type { MethodContext } from '../context.js';
import { limeDateTime, parseLimeDate, rangeEnd } from '../dates.js';
import { invalidParameter, LIMELM_ERRORS } from '../errors.js';
import { featurePairs, formatFeatureValue } from '../features.js';
import { activationNode, activationsBlock, featuresBlock } from '../present.js';
import { type Child, el, list, type XmlNode } from '../render/node.js';
import { readTags } from './key-settings.js';
import type { LimeLmMethod } from './method.js';
import { searchedKey } from './pkey-reads.js';

const MAX_PAGE_SIZE = 100;

function dateParam(ctx: MethodContext, name: string): { date: Date; isDateOnly: boolean } | undefined {
  const text = ctx.params.text(name);
  if (text === undefined) return undefined;
  const parsed = parseLimeDate(text);
  if (!parsed) throw invalidParameter(`${name} must be YYYY-MM-DD or YYYY-MM-DD hh:mm:ss`);
  return parsed;
}

/** `*` matches any run of characters; matching ignores case. */
function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`, 'is');
}

interface FeatureFilter {
  name: string;
  matches: (shown: string) => boolean;
}

/** `feature_name[]`/`feature_value[]`/`feature_match[]` (exact, the default, or wildcard). */
function featureFilters(ctx: MethodContext): FeatureFilter[] {
  const pairs = featurePairs(ctx.params) ?? [];
  const modes = ctx.params.list('feature_match') ?? [];
  return pairs.map(([name, value], i) => {
    const pattern = value.trim();
    const regex = modes[i]?.trim().toLowerCase() === 'wildcard' ? wildcard(pattern) : null;
    return { name, matches: (shown) => (regex ? regex.test(shown) : shown === pattern) };
  });
}

async function allPolicies(ctx: MethodContext): Promise<Map<number, Policy>> {
  const policies = new Map<number, Policy>();
  for (let after: number | null = null; ; ) {
    const page = await ctx.keyward.catalog.listPolicies({ productId: null, after, limit: 1000 });
    for (const policy of page) policies.set(policy.id, policy);
    if (page.length < 1000) return policies;
    after = (page[page.length - 1] as Policy).id;
  }
}

/**
 * limelm.pkey.advancedSearch: 20 keys a page by default (at most 100), oldest first; version or product,
 * e-mail and tag patterns, creation range, license-field filters; `get_features`/`get_acts` add those
 * blocks. `pages` is a JSON number and `total` a string, as recorded from the vendor.
 */
export const advancedSearch: LimeLmMethod = {
  scopes: ['licenses:read'],
  async run(ctx) {
    const num = Math.min(Math.max(ctx.params.int('num') ?? 20, 1), MAX_PAGE_SIZE);
    const page = Math.max(ctx.params.int('page') ?? 1, 1);
    const product = await ctx.optionalProduct('product_id');
    const version = await ctx.optionalPolicy('version_id');
    const start = dateParam(ctx, 'start');
    const end = dateParam(ctx, 'end');
    const filters = featureFilters(ctx);
    const policies = filters.length > 0 ? await allPolicies(ctx) : new Map<number, Policy>();
    const keep =
      filters.length === 0
        ? undefined
        : (license: License) => {
            const policy = policies.get(license.policyId);
            return filters.every((filter) => {
              const field = policy?.featureFields.find((f) => f.name === filter.name);
              const value = field ? (license.features[field.name] ?? field.defaultValue) : undefined;
              return (
                field !== undefined && value != null && filter.matches(formatFeatureValue(field.type, value))
              );
            });
          };
    const result = await ctx.keyward.licenseSearch.search(
      ctx.principal,
      {
        policyId: version?.id,
        productId: product?.id,
        emailPattern: ctx.params.text('email'),
        tagPatterns: readTags(ctx.params),
        createdFrom: start?.date,
        createdBefore: end ? rangeEnd(end) : undefined,
      },
      { offset: (page - 1) * num, limit: num },
      keep,
    );
    const withFeatures = ctx.params.bool('get_features') ?? false;
    const withActs = ctx.params.bool('get_acts') ?? false;
    const nodes = (await ctx.views(result.items)).map((view) => {
      const node = searchedKey(view, { version_id: String(view.license.policyId) });
      if (withFeatures) node.children.push(...featuresBlock(view));
      if (withActs) node.children.push(...activationsBlock(view.seatHolders));
      return node;
    });
    return [
      el('pkeys', { pages: Math.ceil(result.total / num), total: String(result.total) }, list('pkey', nodes)),
    ];
  },
};

const ACTIVITY_KINDS = {
  created: ['license.created'],
  revoked: ['license.suspended', 'license.revoked'],
  activation: ['machine.activated'],
  deactivation: ['machine.deactivated'],
} as const;

async function eventsOf(ctx: MethodContext, type: string, productId: number, since: Date, until: Date) {
  const events: DomainEvent[] = [];
  for (let before: number | null = null; ; ) {
    const page = await ctx.keyward.events.list(
      ctx.principal,
      { type, productId, since, until },
      { before, limit: 1000 },
    );
    events.push(...page);
    if (page.length < 1000) return events;
    before = (page[page.length - 1] as DomainEvent).id;
  }
}

/**
 * limelm.pkey.activity: the keys of a version with something of the asked kinds between `start` and `end`
 * (default now). Each key carries `created`; activations and deactivations come as `act`/`deact` lists, a
 * revocation as `revoked_date`. Nothing found is error 109, as recorded from the vendor. It reads the event
 * log, which core opens to events:read only.
 */
export const activity: LimeLmMethod = {
  scopes: ['licenses:read', 'events:read'],
  async run(ctx) {
    const policy = await ctx.policy();
    const start = dateParam(ctx, 'start');
    if (!start) throw invalidParameter('start is required (YYYY-MM-DD or YYYY-MM-DD hh:mm:ss)');
    const end = dateParam(ctx, 'end');
    const until = end ? rangeEnd(end) : new Date(ctx.now().getTime() + 1);
    const byLicense = new Map<number, DomainEvent[]>();
    for (const [kind, types] of Object.entries(ACTIVITY_KINDS)) {
      if (!(ctx.params.bool(kind) ?? false)) continue;
      for (const type of types) {
        for (const event of await eventsOf(ctx, type, policy.productId, start.date, until)) {
          if (event.licenseId === null || (type === 'machine.activated' && event.data.isNew !== true))
            continue;
          byLicense.set(event.licenseId, [...(byLicense.get(event.licenseId) ?? []), event]);
        }
      }
    }
    const nodes: XmlNode[] = [];
    for (const licenseId of [...byLicense.keys()].sort((a, b) => a - b)) {
      const view = await ctx.keyward.licenses.findView(ctx.principal, licenseId);
      if (!view || view.license.policyId !== policy.id) continue;
      const events = (byLicense.get(licenseId) ?? []).sort((a, b) => a.id - b.id);
      nodes.push(await activityKey(ctx, view, events));
    }
    if (nodes.length === 0) throw LIMELM_ERRORS.noActivity();
    return [el('pkeys', {}, list('pkey', nodes))];
  },
};

async function activityKey(ctx: MethodContext, view: LicenseView, events: DomainEvent[]): Promise<XmlNode> {
  const node = searchedKey(view, { created: limeDateTime(view.license.createdAt) });
  const revocation = events
    .filter((e) => (ACTIVITY_KINDS.revoked as readonly string[]).includes(e.type))
    .at(-1);
  if (revocation) node.attrs.revoked_date = limeDateTime(revocation.createdAt);
  const machineEvents = async (type: string, name: string): Promise<Child[]> => {
    const items: XmlNode[] = [];
    for (const event of events.filter((e) => e.type === type && e.machineId !== null)) {
      const machine = await ctx.keyward.machines.find(ctx.principal, event.machineId as number);
      if (machine) items.push({ ...activationNode(machine, event.createdAt), name });
    }
    return items.length === 0
      ? []
      : [el(`${name === 'act' ? 'activations' : 'deactivations'}`, {}, list(name, items))];
  };
  node.children.push(
    ...(await machineEvents('machine.activated', 'act')),
    ...(await machineEvents('machine.deactivated', 'deact')),
  );
  return node;
}
