import type { TrialExtension } from '../../../../core/trials/trial-model.js';
import type { MethodContext } from '../context.js';
import { limeDate, limeDateTime, parseLimeDate, rangeEnd } from '../dates.js';
import { invalidParameter, LIMELM_ERRORS } from '../errors.js';
import { el, list } from '../render/node.js';
import type { LimeLmMethod } from './method.js';
import { offlineRequest } from './pkey-activations.js';

const DAY_MS = 86_400_000;
/** Trial methods answer 143 when the API key lacks their scope, as the vendor's permission error. */
const trialErrors = { scopeRefused: LIMELM_ERRORS.noTrialPermission };

/** UTC midnight of the day `date` falls in. */
const startOfDay = (date: Date) => new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);

/** limelm.trial.manualVerifiedTrial: starts (or returns) the machine's verified trial, signed. */
export const manualVerifiedTrial: LimeLmMethod = {
  scopes: ['machines:write'],
  errors: { ...trialErrors, badRequest: LIMELM_ERRORS.trialRequestInvalid },
  async run(ctx) {
    const request = offlineRequest(ctx, 'track_req_xml', 'verified-trial', LIMELM_ERRORS.trialRequestInvalid);
    await ctx.policyById(request.policyId);
    const { response } = await ctx.keyward.offline.startVerifiedTrial(ctx.actor, request);
    return [el('track_resp_xml', { data: response })];
  },
};

/** The policies a trial search covers: the version or product asked for, else all the key reaches (null: all). */
async function searchedPolicyIds(ctx: MethodContext): Promise<number[] | null> {
  const version = await ctx.optionalPolicy('version_id');
  if (version) return [version.id];
  const product = await ctx.optionalProduct('product_id');
  if (!product) return ctx.keyward.catalog.reachablePolicyIds(ctx.principal);
  const policies = await ctx.keyward.catalog.listPolicies({
    productId: product.id,
    after: null,
    limit: 1000,
  });
  return policies.map((p) => p.id);
}

/**
 * limelm.trial.advancedSearch (parameters undocumented by the vendor): `version_id` or `product_id`, `num`
 * (default 20, at most 100), `page`, `start`/`end` on the trial's start → `<trials pages total>`.
 */
export const trialSearch: LimeLmMethod = {
  scopes: ['policies:read'],
  errors: trialErrors,
  async run(ctx) {
    const num = Math.min(Math.max(ctx.params.int('num') ?? 20, 1), 100);
    const page = Math.max(ctx.params.int('page') ?? 1, 1);
    const range = (name: string) => {
      const text = ctx.params.text(name);
      const parsed = text === undefined ? undefined : parseLimeDate(text);
      if (parsed === null) throw invalidParameter(`${name} must be YYYY-MM-DD or YYYY-MM-DD hh:mm:ss`);
      return parsed;
    };
    const start = range('start');
    const end = range('end');
    const result = await ctx.keyward.verifiedTrials.searchTrials(
      ctx.principal,
      {
        policyIds: await searchedPolicyIds(ctx),
        startedFrom: start?.date,
        startedBefore: end ? rangeEnd(end) : undefined,
      },
      { offset: (page - 1) * num, limit: num },
    );
    return [
      el(
        'trials',
        { pages: Math.ceil(result.total / num), total: String(result.total) },
        list(
          'trial',
          result.items.map((t) =>
            el('trial', {
              id: String(t.id),
              version_id: String(t.policyId),
              ip: t.ip ?? '',
              date: limeDateTime(t.startedAt),
              expires: limeDateTime(t.expiresAt),
              extensions: String(t.extensionCount),
            }),
          ),
        ),
      ),
    ];
  },
};

/** The last day a code can be redeemed: the day before its exclusive end. */
const expiresText = (extension: TrialExtension) =>
  limeDate(new Date(extension.redeemableUntil.getTime() - DAY_MS));

/**
 * limelm.trialExtension.generate: `length` days (121), `expires` a date after today (122), redeemable through
 * that whole day (UTC); online codes count `max_uses` (default 1, 0 = unlimited), offline codes are signed.
 */
export const generateExtension: LimeLmMethod = {
  scopes: ['policies:write'],
  errors: trialErrors,
  async run(ctx) {
    const policy = await ctx.policy();
    const length = ctx.params.int('length', 1, 36_500);
    if (length === undefined) throw LIMELM_ERRORS.lengthMissing();
    const expiresText = ctx.params.text('expires');
    const expires = expiresText === undefined ? null : parseLimeDate(expiresText);
    const today = startOfDay(ctx.now());
    if (!expires || startOfDay(expires.date) <= today) throw LIMELM_ERRORS.expiresInvalid();
    const isOnline = ctx.params.bool('is_online') ?? true;
    const customerRef = ctx.params.boundedText('customer_id', 255) ?? null;
    const extension = await ctx.keyward.verifiedTrials.createExtension(ctx.actor, {
      policyId: policy.id,
      isOnline,
      isForVerifiedTrials: ctx.params.bool('for_verified') ?? false,
      lengthSeconds: length * 86_400,
      redeemableUntil: new Date(startOfDay(expires.date).getTime() + DAY_MS),
      customerRef,
      maxUses: isOnline ? (ctx.params.strictInt('max_uses', 0, 2_000_000_000) ?? 1) : 0,
    });
    return [el('trialext', { id: String(extension.id), extension: extension.code })];
  },
};

export const extensionDetails: LimeLmMethod = {
  scopes: ['policies:read'],
  errors: trialErrors,
  async run(ctx) {
    const extension = await ctx.trialExtension('read');
    return [
      el('trialext', {
        extension: extension.code,
        length: String(Math.floor(extension.lengthSeconds / 86_400)),
        expires: expiresText(extension),
        cust_id: extension.customerRef,
        uses: String(extension.useCount),
        max_uses: String(extension.maxUses),
      }),
    ];
  },
};

export const extensionId: LimeLmMethod = {
  scopes: ['policies:read'],
  errors: trialErrors,
  async run(ctx) {
    const policy = await ctx.policy();
    const code = ctx.params.text('ext');
    if (code === undefined) throw LIMELM_ERRORS.extensionMissing();
    const extension = await ctx.keyward.verifiedTrials.readExtensionByCode(ctx.principal, policy.id, code);
    if (!extension) throw LIMELM_ERRORS.extensionNotFound();
    return [el('trialext', { id: String(extension.id) })];
  },
};

/** limelm.trialExtension.search: the version's codes for `customer_id` (all of them without it); 136 if none. */
export const searchExtensions: LimeLmMethod = {
  scopes: ['policies:read'],
  errors: trialErrors,
  async run(ctx) {
    const policy = await ctx.policy();
    const extensions = await ctx.keyward.verifiedTrials.listExtensions(
      ctx.principal,
      policy.id,
      ctx.params.text('customer_id'),
    );
    if (extensions.length === 0) throw LIMELM_ERRORS.noExtensions();
    return [
      el(
        'extensions',
        {},
        list(
          'ext',
          extensions.map((e) =>
            el('ext', {
              id: String(e.id),
              extension: e.code,
              expires: expiresText(e),
              uses: String(e.useCount),
              max_uses: String(e.maxUses),
            }),
          ),
        ),
      ),
    ];
  },
};

export const deleteExtension: LimeLmMethod = {
  scopes: ['policies:write'],
  errors: trialErrors,
  async run(ctx) {
    const extension = await ctx.trialExtension('change');
    await ctx.keyward.verifiedTrials.deleteExtension(ctx.actor, extension.id);
    return [];
  },
};
