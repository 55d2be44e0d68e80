import type { LicenseState } from '../../../../core/licenses/license-view.js';
import type { Policy } from '../../../../core/model.js';
import type { CallContext, MethodSpec } from '../call-context.js';
import { flagsOf, PERPETUAL_EXPIRES } from '../license-object.js';
import { listedLicense, shownLicense } from '../license-reply.js';
import { isoSeconds } from '../linq-sign.js';
import { productOf } from '../lookups.js';
import { fail, MESSAGES } from '../messages.js';
import { type KeyRecord, parseOrderBy, parseSearchQuery, QueryError } from '../search-query.js';

const PAGE_SIZE = 99;

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
    const answer = [];
    for await (const product of ctx.keyward.catalog.eachProduct(ctx.principal)) {
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

/** The fields SearchQuery and OrderBy see: the license's state as core's view has it, nothing derived here. */
function recordOf(state: LicenseState): KeyRecord {
  const { license } = state;
  const flags = flagsOf(state);
  return {
    ID: license.id,
    Key: license.key,
    Notes: license.notes,
    Created: license.createdAt,
    Expires: license.expiresAt ?? PERPETUAL_EXPIRES,
    Period: state.termDays,
    F1: flags[0] ?? false,
    F2: flags[1] ?? false,
    F3: flags[2] ?? false,
    F4: flags[3] ?? false,
    F5: flags[4] ?? false,
    F6: flags[5] ?? false,
    F7: flags[6] ?? false,
    F8: flags[7] ?? false,
    Block: state.isBlocked,
    TrialActivation: state.trial.restartsOnActivation,
    MaxNoOfMachines: state.rules.maxMachines,
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
 * understood) and sorted by OrderBy. Core reads the states of the product's licenses the token reaches in
 * batches, without their machines, and they are filtered here, so a call costs a pass over the product's
 * keys — it is a back-office method, not an app's hot path. Only the page shown reads seats, data objects,
 * customers and resellers. Signing fields are left empty, as documented.
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
    const matches: Array<{ state: LicenseState; record: KeyRecord }> = [];
    for await (const state of ctx.keyward.licenses.eachState(ctx.principal, { productId })) {
      const record = recordOf(state);
      if (predicate(record)) matches.push({ state, record });
    }
    matches.sort((a, b) => {
      const byField = compareValues(a.record[order.field], b.record[order.field]);
      return (order.descending ? -byField : byField) || a.state.license.id - b.state.license.id;
    });
    const pageNumber = Math.max(1, ctx.params.int('Page', 1));
    const slice = matches.slice((pageNumber - 1) * PAGE_SIZE, pageNumber * PAGE_SIZE);
    const modelVersion = ctx.params.int('ModelVersion', 1) >= 3 ? 3 : 1;
    const licenseKeys = [];
    for (const { state } of slice) {
      const json = listedLicense(await shownLicense(ctx, state.license), { productId, modelVersion });
      licenseKeys.push({ ...json, signDate: null, signature: null });
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
