import type { LicenseView } from '../../../../core/licenses/license-view.js';
import type { License } from '../../../../core/model.js';
import { LIMELM_ERRORS } from '../errors.js';
import {
  activationsBlock,
  featuresBlock,
  keyRules,
  namedUsersBlock,
  revokedAttr,
  seatsAttrs,
  tagsBlock,
} from '../present.js';
import { el, list, type XmlNode } from '../render/node.js';
import type { LimeLmMethod } from './method.js';

/** limelm.pkey.getDetails: the key without its id (spec §2), its activations, fields, tags. */
export const getDetails: LimeLmMethod = {
  scopes: ['licenses:read'],
  async run(ctx) {
    const view = await ctx.readLicense();
    const { license } = view;
    return [
      el(
        'pkey',
        {
          key: license.key,
          ...seatsAttrs(view),
          ...keyRules(view),
          email: license.email,
          revoked: revokedAttr(view),
        },
        ...activationsBlock(view.seatHolders),
        ...featuresBlock(view),
        ...tagsBlock(license),
        ...namedUsersBlock(license),
      ),
    ];
  },
};

/** limelm.pkey.getID: the id of a key; `version_id` is optional (some clients leave it out). */
export const getId: LimeLmMethod = {
  scopes: ['licenses:read'],
  async run(ctx) {
    const policy = await ctx.optionalPolicy();
    const key = ctx.params.text('pkey');
    if (key === undefined) throw LIMELM_ERRORS.pkeyMissing();
    const license = await ctx.licenseByKey(key);
    if (!license || (policy && license.policyId !== policy.id)) throw LIMELM_ERRORS.pkeyNotFound();
    return [el('pkey', { id: String(license.id) })];
  },
};

/** A key as lists show it (find): id, key, acts, acts_used, and `revoked` when revoked. */
function listedKey(view: LicenseView): XmlNode {
  return el('pkey', {
    id: String(view.license.id),
    key: view.license.key,
    ...seatsAttrs(view),
    revoked: revokedAttr(view),
  });
}

/**
 * limelm.pkey.find: the keys of a version with this e-mail; a value without `@` is read as a key (vendor
 * documentation). No key found is error 1, which the vendor's samples read as "not found".
 */
export const find: LimeLmMethod = {
  scopes: ['licenses:read'],
  async run(ctx) {
    const policy = await ctx.policy();
    const email = ctx.params.text('email');
    if (email === undefined) throw LIMELM_ERRORS.emailMissing();
    let licenses: License[] = [];
    if (!email.includes('@')) {
      const byKey = await ctx.licenseByKey(email);
      if (byKey && byKey.policyId === policy.id) licenses = [byKey];
    } else {
      for (let after: number | null = null; ; ) {
        const page = await ctx.keyward.licenses.list({ policyId: policy.id, email }, { after, limit: 1000 });
        licenses.push(...page);
        if (page.length < 1000) break;
        after = (page[page.length - 1] as License).id;
      }
      licenses.sort((a, b) => a.id - b.id);
    }
    // Keys the token does not reach are left out here, by core.
    const views = await ctx.views(licenses);
    if (views.length === 0) throw LIMELM_ERRORS.pkeyNotFound();
    return [el('pkeys', { total: views.length }, list('pkey', views.map(listedKey)))];
  },
};

/** The full listing of a key in searches and activity: listedKey plus version and rules. */
export function searchedKey(view: LicenseView, extra: Record<string, string | undefined> = {}): XmlNode {
  const { license } = view;
  return el('pkey', {
    id: String(license.id),
    key: license.key,
    ...seatsAttrs(view),
    ...extra,
    ...keyRules(view),
    email: license.email,
    revoked: revokedAttr(view),
  });
}
