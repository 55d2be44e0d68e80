import type { PolicyInput } from '../../../../core/catalog/catalog-service.js';
import type { ProfileInput } from '../../../../core/catalog/product-setup-service.js';
import type { Policy } from '../../../../core/model.js';
import type { PolicyProfile } from '../../../../core/trials/trial-model.js';
import type { MethodContext } from '../context.js';
import { invalidParameter, LIMELM_ERRORS } from '../errors.js';
import { el, list, type XmlNode } from '../render/node.js';
import { readDeactivationLimit } from './key-settings.js';
import type { LimeLmMethod } from './method.js';

/** Keys of versions made here look like LimeLM's: 7 groups of 4 (spec §4). */
export const LIMELM_KEY_FORMAT = 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX';
const DAY = 86_400;

/** A new version starts as LimeLM's do: 1 activation, unlimited deactivations, no VMs (prod.editVers). */
const NEW_VERSION: PolicyInput = {
  maxMachines: 1,
  maxDeactivations: -1,
  allowVm: false,
  keyFormat: LIMELM_KEY_FORMAT,
};

/** A `name`-like parameter: 125 when missing, blank, or 255 characters or longer. */
function requiredName(ctx: MethodContext, param: string): string {
  const name = ctx.params.text(param);
  if (name === undefined || name.length >= 255) throw LIMELM_ERRORS.nameInvalid();
  return name;
}

/** `where_is_pkey`, `buy_link` (at most 2048 characters) and `trial_length` (days, 0 = no trial). */
function profileInput(ctx: MethodContext): ProfileInput {
  const profile: ProfileInput = {};
  for (const [param, key] of [
    ['where_is_pkey', 'whereIsKey'],
    ['buy_link', 'buyUrl'],
  ] as const) {
    if (!ctx.params.has(param)) continue;
    const text = ctx.params.raw(param)?.trim() ?? '';
    if (text.length > 2048) throw invalidParameter(`${param} has at most 2048 characters`);
    profile[key] = text === '' ? null : text;
  }
  const days = ctx.params.strictInt('trial_length', 0, 36_500);
  if (days !== undefined) profile.trialSeconds = days * DAY;
  return profile;
}

function versionNode(policy: Policy, profile: PolicyProfile): XmlNode {
  return el('version', {
    id: String(policy.id),
    name: policy.name,
    deact_limit: policy.maxDeactivations === -1 ? 'unlimited' : String(policy.maxDeactivations),
    allow_vm: policy.allowVm ? 'yes' : 'no',
    trial_length: String(Math.floor(profile.trialSeconds / DAY)),
    where_is_pkey: profile.whereIsKey ?? undefined,
    buy_link: profile.buyUrl ?? undefined,
  });
}

async function everyPage<T extends { id: number }>(
  read: (after: number | null) => Promise<T[]>,
): Promise<T[]> {
  const all: T[] = [];
  for (let after: number | null = null; ; ) {
    const page = await read(after);
    all.push(...page);
    if (page.length < 1000) return all;
    after = (page[page.length - 1] as T).id;
  }
}

/** limelm.prod.getAll: the products the API key reaches, each with its versions. */
export const getAllProducts: LimeLmMethod = {
  scopes: ['products:read', 'policies:read'],
  async run(ctx) {
    ctx.assertCatalogWide();
    const products = await everyPage((after) =>
      ctx.keyward.catalog.listReachableProducts(ctx.principal, { after, limit: 1000 }),
    );
    const nodes: XmlNode[] = [];
    for (const product of products) {
      const policies = await everyPage((after) =>
        ctx.keyward.catalog.listPolicies({ productId: product.id, after, limit: 1000 }),
      );
      const versions = await Promise.all(
        policies.map(async (p) => versionNode(p, await ctx.keyward.verifiedTrials.getProfile(p.id))),
      );
      nodes.push(
        el(
          'product',
          { id: String(product.id), name: product.name },
          el('versions', {}, list('version', versions)),
        ),
      );
    }
    return [el('products', {}, list('product', nodes))];
  },
};

/** limelm.prod.create: a product with its first version, in one transaction → `<product id ver_id/>`. */
export const createProduct: LimeLmMethod = {
  scopes: ['products:write', 'policies:write'],
  async run(ctx) {
    const name = requiredName(ctx, 'prod_name');
    const versionName = requiredName(ctx, 'vers_name');
    const { product, policy } = await ctx.keyward.productSetup.createProduct(ctx.actor, {
      name,
      policy: { ...NEW_VERSION, name: versionName },
      profile: profileInput(ctx),
    });
    return [el('product', { id: String(product.id), ver_id: String(policy.id) })];
  },
};

/** limelm.prod.createVers: a new version of a product → `<version id/>`. */
export const createVersion: LimeLmMethod = {
  scopes: ['policies:write'],
  async run(ctx) {
    const product = await ctx.product();
    const name = requiredName(ctx, 'name');
    const { policy } = await ctx.keyward.productSetup.createPolicy(
      ctx.actor,
      product.id,
      { ...NEW_VERSION, name },
      profileInput(ctx),
    );
    return [el('version', { id: String(policy.id) })];
  },
};

/** limelm.prod.changeName: 126 when a product already has that name. */
export const changeProductName: LimeLmMethod = {
  scopes: ['products:write'],
  async run(ctx) {
    const product = await ctx.product();
    const name = requiredName(ctx, 'name');
    const products = await everyPage((after) => ctx.keyward.catalog.listProducts({ after, limit: 1000 }));
    if (products.some((p) => p.name.toLowerCase() === name.toLowerCase()))
      throw LIMELM_ERRORS.productExists();
    await ctx.keyward.catalog.updateProduct(ctx.actor, product.id, { name });
    return [];
  },
};

/**
 * limelm.prod.editVers: only what is named changes. `deact_limit` -1 or N; `allow_vm` yes|no (anything
 * else given reads as no, the documented default); `lc_allow_deact` is accepted and ignored: Keyward has no
 * LicenseChest.
 */
export const editVersion: LimeLmMethod = {
  scopes: ['policies:write'],
  async run(ctx) {
    const policy = await ctx.policy();
    const changes: PolicyInput = {};
    if (ctx.params.has('name')) changes.name = requiredName(ctx, 'name');
    const deactLimit = readDeactivationLimit(ctx.params, false);
    if (deactLimit !== undefined && deactLimit !== null) changes.maxDeactivations = deactLimit;
    const allowVm = ctx.params.text('allow_vm');
    if (allowVm !== undefined) changes.allowVm = allowVm.toLowerCase() === 'yes';
    await ctx.keyward.productSetup.updatePolicy(ctx.actor, policy.id, changes, profileInput(ctx));
    return [];
  },
};
