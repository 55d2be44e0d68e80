import type { License, Policy, Product } from '../../../../core/model.js';
import { canAccessLicense, canAccessProduct } from '../../../../core/principal.js';
import type { CallContext, MethodSpec } from '../call-context.js';
import { flagsOf, PERPETUAL_EXPIRES, periodDays, toCryptolensLicense } from '../license-object.js';
import { loadFacts } from '../license-reply.js';
import { isoSeconds, linqSignJson } from '../linq-sign.js';
import { orderSeats, productOf } from '../lookups.js';
import { fail, MESSAGES } from '../messages.js';
import { type KeyRecord, parseOrderBy, parseSearchQuery, QueryError } from '../search-query.js';

const PAGE_SIZE = 99;
const BATCH = 500;

async function policiesOf(ctx: CallContext, productId: number): Promise<Policy[]> {
  return ctx.keyward.catalog.listPolicies({ productId, after: null, limit: 1000 });
}

/** Feature definitions from the product's regular policy: f1…f8 fields become F1…F8 of type 0 (default). */
function featureDefinitions(policy: Policy | undefined) {
  const definitions: Record<string, unknown> = {};
  for (let n = 1; n <= 8; n++) {
    const field = policy?.featureFields.find((f) => f.name.toLowerCase() === `f${n}`);
    definitions[`f${n}`] = { name: field ? field.name.toUpperCase() : `F${n}`, type: 0 };
  }
  return { ...definitions, allLicensesTimeLimited: false, blockExpiredLicenses: false };
}

/** product/GetProducts: the products the token reaches, as the vendor's Product model. */
export const getProducts: MethodSpec = {
  scopes: ['products:read'],
  async run(ctx) {
    const products: Product[] = [];
    let after: number | null = null;
    for (;;) {
      const page = await ctx.keyward.catalog.listProducts({ after, limit: BATCH });
      products.push(...page.filter((p) => canAccessProduct(ctx.principal, p.id)));
      const last = page[page.length - 1];
      if (page.length < BATCH || !last) break;
      after = last.id;
    }
    const answer = [];
    for (const product of products) {
      const policies = await policiesOf(ctx, product.id);
      const dataObjects = await ctx.keyward.dataObjects.list('product', product.id);
      answer.push({
        id: product.id,
        name: product.name,
        creationDate: isoSeconds(product.createdAt),
        description: null,
        password: '',
        isPublic: false,
        keyAlgorithm: 1,
        featureDefinitions: featureDefinitions(policies.find((p) => !p.isTrial) ?? policies[0]),
        dataObjects: dataObjects.map((d) => ({
          id: d.id,
          name: d.name,
          stringValue: d.stringValue,
          intValue: d.intValue,
        })),
      });
    }
    return { products: answer, message: null };
  },
};

function recordOf(license: License, policy: Policy): KeyRecord {
  const flags = flagsOf(license, policy);
  return {
    ID: license.id,
    Key: license.key,
    Notes: license.notes,
    Created: license.createdAt,
    Expires: license.expiresAt ?? PERPETUAL_EXPIRES,
    Period: periodDays(license),
    F1: flags[0] ?? false,
    F2: flags[1] ?? false,
    F3: flags[2] ?? false,
    F4: flags[3] ?? false,
    F5: flags[4] ?? false,
    F6: flags[5] ?? false,
    F7: flags[6] ?? false,
    F8: flags[7] ?? false,
    Block: license.isSuspended || license.revokedAt !== null,
    TrialActivation: license.hasTrialActivation ?? false,
    MaxNoOfMachines: license.overrides.maxMachines ?? policy.maxMachines,
    GlobalId: license.id,
    CustomerId: license.customerId,
    ResellerId: license.resellerId ?? null,
    AllowedMachines: license.allowedMachines.join('\n'),
  };
}

const compareValues = (a: KeyRecord[keyof KeyRecord], b: KeyRecord[keyof KeyRecord]): number => {
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
};

/**
 * product/GetKeys: pages of 99 keys of a product, filtered by SearchQuery (see search-query.ts for the subset
 * understood) and sorted by OrderBy. The product's licenses are read in batches and filtered here, so a call
 * costs a pass over the product's keys — it is a back-office method, not an app's hot path. Signing fields
 * are left empty, as documented.
 */
export const getKeys: MethodSpec = {
  scopes: ['licenses:read'],
  async run(ctx) {
    const productId = await productOf(ctx);
    const now = ctx.keyward.clock.now();
    let predicate: (record: KeyRecord) => boolean;
    let order: ReturnType<typeof parseOrderBy>;
    try {
      predicate = parseSearchQuery(ctx.params.string('SearchQuery'), now);
    } catch (error) {
      if (error instanceof QueryError) return fail(MESSAGES.searchQuery);
      throw error;
    }
    try {
      order = parseOrderBy(ctx.params.string('OrderBy', 'ID ascending'));
    } catch (error) {
      if (error instanceof QueryError) return fail(MESSAGES.orderBy);
      throw error;
    }
    const policies = new Map((await policiesOf(ctx, productId)).map((p) => [p.id, p]));
    const matches: Array<{ license: License; record: KeyRecord }> = [];
    let after: number | null = null;
    for (;;) {
      const page = await ctx.keyward.licenses.list({ productId }, { after, limit: BATCH });
      for (const license of page) {
        let policy = policies.get(license.policyId);
        if (!policy) {
          policy = await ctx.keyward.catalog.getPolicy(license.policyId);
          policies.set(policy.id, policy);
        }
        const record = recordOf(license, policy);
        if (canAccessLicense(ctx.principal, license) && predicate(record)) matches.push({ license, record });
      }
      const last = page[page.length - 1];
      if (page.length < BATCH || !last) break;
      after = last.id;
    }
    matches.sort((a, b) => {
      const byField = compareValues(a.record[order.field], b.record[order.field]);
      return (order.descending ? -byField : byField) || a.license.id - b.license.id;
    });
    const pageNumber = Math.max(1, ctx.params.int('Page', 1));
    const slice = matches.slice((pageNumber - 1) * PAGE_SIZE, pageNumber * PAGE_SIZE);
    const licenseKeys = [];
    for (const { license } of slice) {
      const machines = orderSeats(await ctx.keyward.store.machines.listActive(license.id), now);
      const facts = await loadFacts(ctx, license, now, { machines });
      const view = toCryptolensLicense(facts, {
        productId,
        modelVersion: ctx.params.int('ModelVersion', 1) >= 3 ? 3 : 1,
        fieldsToReturn: 0,
        currentMachine: null,
        signDate: now,
      });
      licenseKeys.push({ ...linqSignJson(view), signDate: null, signature: null });
    }
    return {
      licenseKeys,
      returned: licenseKeys.length,
      total: matches.length,
      pageCount: Math.ceil(matches.length / PAGE_SIZE),
      message: null,
    };
  },
};
