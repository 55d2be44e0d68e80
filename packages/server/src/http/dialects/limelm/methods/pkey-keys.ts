import type { LicenseInput } from '../../../../core/licenses/license-service.js';
import { MAX_BATCH } from '../../../../core/licenses/license-service.js';
import type { Policy } from '../../../../core/model.js';
import { featureChanges, featurePairs } from '../features.js';
import { el, list } from '../render/node.js';
import { readKeySettings, readTags } from './key-settings.js';
import type { LimeLmMethod } from './method.js';

/** limelm.pkey.generate: `num_keys` keys of a version, each with the same settings, in one transaction. */
export const generate: LimeLmMethod = {
  scopes: ['licenses:write'],
  async run(ctx) {
    ctx.assertCatalogWide();
    const policy: Policy = await ctx.policy();
    // 0 is read as 1 (README, assumptions); anything else outside the range is 190.
    const count = Math.max(ctx.params.strictInt('num_keys', 0, MAX_BATCH) ?? 1, 1);
    const settings = readKeySettings(ctx.params);
    const pairs = featurePairs(ctx.params);
    // A new key has no value to clear: empty values are simply not set.
    const features = Object.fromEntries(
      Object.entries(pairs ? featureChanges(policy.featureFields, pairs) : {}).filter(([, v]) => v !== null),
    );
    const input: LicenseInput = {
      overrides: settings.overrides,
      email: settings.email ?? null,
      features,
      tags: readTags(ctx.params) ?? [],
      namedUsers: settings.namedUsers ?? [],
    };
    const created = await ctx.keyward.licenses.createMany(
      ctx.actor,
      policy.id,
      Array.from({ length: count }, () => input),
    );
    return [
      el(
        'pkeys',
        { total: created.length },
        list(
          'pkey',
          created.map((l) => el('pkey', { id: String(l.id), key: l.key })),
        ),
      ),
    ];
  },
};

/**
 * limelm.pkey.setDetails, as the seed describes it: only what is named changes; LimeLM's stricter rules
 * (num_acts not below the used activations: 120; no switch between TurboActivate and TurboFloat with
 * activations: 153) are asked of core as guards, so they hold under the license's lock.
 */
export const setDetails: LimeLmMethod = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const { license, policy } = await ctx.license();
    const settings = readKeySettings(ctx.params);
    const pairs = featurePairs(ctx.params);
    await ctx.keyward.licenses.update(
      ctx.actor,
      license.id,
      {
        overrides: settings.overrides,
        ...(settings.email !== undefined ? { email: settings.email } : {}),
        ...(settings.namedUsers !== undefined ? { namedUsers: settings.namedUsers } : {}),
        ...(pairs ? { features: featureChanges(policy.featureFields, pairs) } : {}),
      },
      { keepSeatsForActiveMachines: true, keepKindWhileActive: true },
    );
    return [];
  },
};

/** limelm.pkey.delete: the key, its activations and their history. */
export const deleteKey: LimeLmMethod = {
  scopes: ['licenses:write'],
  async run(ctx) {
    ctx.assertCatalogWide();
    const { license } = await ctx.license();
    await ctx.keyward.licenses.delete(ctx.actor, license.id);
    return [];
  },
};

/**
 * limelm.pkey.revoke: `revoke=false` undoes it, so LimeLM's revocation is Keyward's suspension. A key that
 * was revoked for good through the native API stays revoked (105).
 */
export const revoke: LimeLmMethod = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const { license } = await ctx.license();
    // Missing or invalid means true (vendor documentation).
    const shouldRevoke = ctx.params.bool('revoke') ?? true;
    // Reinstating a key revoked for good is refused in core (LICENSE_REVOKED, answered as 105).
    if (shouldRevoke) await ctx.keyward.licenses.suspend(ctx.actor, license.id);
    else await ctx.keyward.licenses.reinstate(ctx.actor, license.id);
    return [];
  },
};
