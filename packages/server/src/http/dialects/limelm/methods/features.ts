import type { FeatureFieldView } from '../../../../core/catalog/feature-field-service.js';
import { isFeatureName } from '../../../../core/catalog/feature-name.js';
import type { MethodContext } from '../context.js';
import { parseId } from '../context.js';
import { invalidParameter, LIMELM_ERRORS } from '../errors.js';
import { formatFeatureValue, LIME_TYPE, moldFeatureValue, typeFromLime } from '../features.js';
import { el, list } from '../render/node.js';
import type { LimeLmMethod } from './method.js';

/** `name` when given, by core's one rule for feature names (the native API's): 125 when blank or outside it. */
function featureName(ctx: MethodContext, required: boolean): string | undefined {
  const raw = ctx.params.raw('name');
  if (raw === undefined && !required) return undefined;
  const name = raw?.trim() ?? '';
  if (!isFeatureName(name)) throw LIMELM_ERRORS.featureNameInvalid();
  return name;
}

function description(ctx: MethodContext): string | null | undefined {
  if (!ctx.params.has('description')) return undefined;
  const text = ctx.params.raw('description')?.trim() ?? '';
  if (text.length > 255) throw invalidParameter('description has at most 255 characters');
  return text === '' ? null : text;
}

async function featureById(ctx: MethodContext): Promise<FeatureFieldView> {
  const raw = ctx.params.text('feature_id');
  if (raw === undefined) throw LIMELM_ERRORS.missingId('feature id');
  const id = parseId(raw);
  if (id === null) throw LIMELM_ERRORS.featureNotFound();
  const found = await ctx.keyward.featureFields.get(id).catch(() => null);
  if (!found) throw LIMELM_ERRORS.featureNotFound();
  await ctx.policyById(found.policy.id, LIMELM_ERRORS.featureNotFound);
  return found;
}

/**
 * limelm.feature.add: `type` string|int|date_time (|checkbox), missing or invalid = string; `required`
 * and `ta_readable` missing = true (vendor documentation).
 */
export const addFeature: LimeLmMethod = {
  scopes: ['policies:write'],
  errors: { notFound: LIMELM_ERRORS.versionNotFound },
  async run(ctx) {
    const policy = await ctx.policy();
    const name = featureName(ctx, true) as string;
    const type = typeFromLime(ctx.params.text('type'));
    const shape = { name, type, isRequired: ctx.params.bool('required') ?? true, defaultValue: null };
    const defaultText = ctx.params.raw('default_val');
    const { details } = await ctx.keyward.featureFields.add(ctx.actor, policy.id, {
      ...shape,
      defaultValue: defaultText === undefined ? null : moldFeatureValue(shape, defaultText),
      description: description(ctx) ?? null,
      isAppReadable: ctx.params.bool('ta_readable') ?? true,
    });
    return [el('feature', { id: String(details.id) })];
  },
};

/**
 * limelm.feature.edit. As documented, `required` and `ta_readable` are true when missing. `default_val`
 * with `default_dt_relative=pkey_created` on a date field is a default relative to each key's creation,
 * such as `+ 1 year`; an empty `default_val` removes the default.
 */
export const editFeature: LimeLmMethod = {
  scopes: ['policies:write'],
  errors: { notFound: LIMELM_ERRORS.featureNotFound },
  async run(ctx) {
    const { field, details } = await featureById(ctx);
    const defaultText = ctx.params.raw('default_val');
    const isRelative = ctx.params.text('default_dt_relative')?.toLowerCase() === 'pkey_created';
    const defaults =
      defaultText === undefined
        ? {}
        : defaultText.trim() === ''
          ? { defaultValue: null, relativeDefault: null }
          : isRelative && field.type === 'date'
            ? { defaultValue: null, relativeDefault: defaultText.trim() }
            : { defaultValue: moldFeatureValue(field, defaultText), relativeDefault: null };
    await ctx.keyward.featureFields.edit(ctx.actor, details.id, {
      name: featureName(ctx, false),
      isRequired: ctx.params.bool('required') ?? true,
      isAppReadable: ctx.params.bool('ta_readable') ?? true,
      description: description(ctx),
      ...defaults,
    });
    return [];
  },
};

/** limelm.feature.delete: the field and its value on every key of the version. */
export const deleteFeature: LimeLmMethod = {
  scopes: ['policies:write'],
  errors: { notFound: LIMELM_ERRORS.featureNotFound },
  async run(ctx) {
    const { details } = await featureById(ctx);
    await ctx.keyward.featureFields.delete(ctx.actor, details.id);
    return [];
  },
};

/** limelm.feature.getAll: the version's fields, in the shape recorded from the vendor. */
export const getAllFeatures: LimeLmMethod = {
  scopes: ['policies:read'],
  async run(ctx) {
    const policy = await ctx.policy();
    const views = await ctx.keyward.featureFields.list(ctx.principal, policy.id);
    return [
      el(
        'fields',
        {},
        list(
          'field',
          views.map(({ field, details }) =>
            el('field', {
              id: String(details.id),
              name: field.name,
              type: LIME_TYPE[field.type],
              ta_readable: String(details.isAppReadable),
              required: String(field.isRequired),
              description: details.description ?? '',
              default_val:
                details.relativeDefault ??
                (field.defaultValue === null
                  ? undefined
                  : formatFeatureValue(field.type, field.defaultValue)),
            }),
          ),
        ),
      ),
    ];
  },
};
