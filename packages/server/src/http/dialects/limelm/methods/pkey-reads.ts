import type { License, Policy } from '../../../../core/model.js';
import { canAccessLicense } from '../../../../core/principal.js';
import type { MethodContext } from '../context.js';
import { LIMELM_ERRORS } from '../errors.js';
import {
  activationsBlock,
  featuresBlock,
  isRevoked,
  keyRules,
  namedUsersBlock,
  seatsText,
  tagsBlock,
} from '../present.js';
import { el, list, type XmlNode } from '../render/node.js';
import type { LimeLmMethod } from './method.js';

async function policyOf(ctx: MethodContext, license: License): Promise<Policy> {
  return (await ctx.keyward.store.policies.findById(license.policyId)) as Policy;
}

/** limelm.pkey.getDetails: the key without its id (spec §2), its activations, fields, tags. */
export const getDetails: LimeLmMethod = {
  scopes: ['licenses:read'],
  async run(ctx) {
    const license = await ctx.license();
    const policy = await policyOf(ctx, license);
    const machines = await ctx.activeMachines(license);
    return [
      el(
        'pkey',
        {
          key: license.key,
          acts: seatsText(license, policy),
          acts_used: String(machines.length),
          ...keyRules(license, policy),
          email: license.email,
          revoked: isRevoked(license) ? 'true' : undefined,
        },
        ...activationsBlock(machines),
        ...featuresBlock(license, policy),
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
async function listedKey(ctx: MethodContext, license: License, policy: Policy): Promise<XmlNode> {
  return el('pkey', {
    id: String(license.id),
    key: license.key,
    acts: seatsText(license, policy),
    acts_used: String((await ctx.activeMachines(license)).length),
    revoked: isRevoked(license) ? 'true' : undefined,
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
        licenses.push(...page.filter((l) => canAccessLicense(ctx.principal, l)));
        if (page.length < 1000) break;
        after = (page[page.length - 1] as License).id;
      }
      licenses.sort((a, b) => a.id - b.id);
    }
    if (licenses.length === 0) throw LIMELM_ERRORS.pkeyNotFound();
    const nodes = await Promise.all(licenses.map((l) => listedKey(ctx, l, policy)));
    return [el('pkeys', { total: nodes.length }, list('pkey', nodes))];
  },
};

/** The full listing of a key in searches and activity: listedKey plus version and rules. */
export async function searchedKey(
  ctx: MethodContext,
  license: License,
  policy: Policy,
  extra: Record<string, string | undefined> = {},
): Promise<XmlNode> {
  return el('pkey', {
    id: String(license.id),
    key: license.key,
    acts: seatsText(license, policy),
    acts_used: String((await ctx.activeMachines(license)).length),
    ...extra,
    ...keyRules(license, policy),
    email: license.email,
    revoked: isRevoked(license) ? 'true' : undefined,
  });
}
