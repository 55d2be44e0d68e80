import { DomainError } from '../core/domain-error.js';
import type { ImportedLicense, ImportedMachine } from '../core/imports/imported-records.js';
import type { FeatureField } from '../core/model.js';
import {
  asArray,
  fetchJson,
  type ImportContext,
  type ImportSource,
  isRecord,
  remoteText,
  SourceError,
  text,
  vendorDate,
} from './import-source.js';

export const CRYPTOLENS_DEFAULT_URL = 'https://api.cryptolens.io';
const FLOATING = 'floating:';
const OVERDRAFT = 'floating:overdraft:';
/** Cryptolens shows perpetual keys with a far-off expiry (Keyward: 9999-01-01). */
const PERPETUAL_YEAR = 9999;

const FLAG_FIELDS: FeatureField[] = Array.from({ length: 8 }, (_, i) => ({
  name: `f${i + 1}`,
  type: 'boolean',
  isRequired: false,
  defaultValue: false,
}));

export interface CryptolensOptions {
  baseUrl: string;
  /** Only these products (Cryptolens ProductIds); all when empty. */
  productIds: number[];
}

export function cryptolensOptions(options: Record<string, unknown>): CryptolensOptions {
  const baseUrl = typeof options.baseUrl === 'string' ? options.baseUrl : CRYPTOLENS_DEFAULT_URL;
  const productIds = Array.isArray(options.productIds) ? options.productIds.map(Number) : [];
  if (productIds.some((id) => !Number.isInteger(id) || id < 1))
    throw new DomainError('INVALID_INPUT', 'productIds are positive whole numbers', { field: 'productIds' });
  return { baseUrl, productIds };
}

/** A key object of GetKeys (ModelVersion 3, camelCase as the vendor sends it) as an imported license. */
export function cryptolensLicense(raw: Record<string, unknown>, productId: number): ImportedLicense | null {
  const key = text(raw.key);
  if (!key) return null;
  const expires = vendorDate(raw.expires);
  const period = Number(raw.period ?? 0);
  const customer = isRecord(raw.customer) ? raw.customer : null;
  const machines: ImportedMachine[] = [];
  for (const item of asArray(raw.activatedMachines)) {
    if (!isRecord(item)) continue;
    const mid = text(item.mid);
    if (!mid) continue;
    const time = vendorDate(item.time) ?? undefined;
    const common = { ip: text(item.ip) || null, name: text(item.friendlyName), createdAt: time };
    // Overdraft seats are borrowed for one lease and are not carried over.
    if (mid.startsWith(OVERDRAFT)) continue;
    if (mid.startsWith(FLOATING)) {
      const leaseExpiresAt = vendorDate(item.floatingExpires);
      if (leaseExpiresAt)
        machines.push({ ...common, fingerprint: mid.slice(FLOATING.length), leaseExpiresAt });
    } else machines.push({ ...common, fingerprint: mid });
  }
  const features: Record<string, boolean> = {};
  for (let n = 1; n <= 8; n++) features[`f${n}`] = raw[`f${n}`] === true;
  const maxMachines = Number(raw.maxNoOfMachines ?? 0);
  return {
    key,
    policyExternalId: String(productId),
    customerExternalId: customer && customer.id != null ? String(customer.id) : null,
    email: customer ? text(customer.email) || null : null,
    notes: text(raw.notes),
    expiresAt: expires && expires.getUTCFullYear() < PERPETUAL_YEAR ? expires : null,
    isSuspended: raw.block === true,
    maxMachines: Number.isInteger(maxMachines) && maxMachines > 0 ? maxMachines : 0,
    features,
    allowedMachines: (text(raw.allowedMachines) ?? '')
      .split('\n')
      .map((m) => m.trim())
      .filter(Boolean),
    createdAt: vendorDate(raw.created) ?? undefined,
    termSeconds: Number.isInteger(period) && period > 0 ? period * 86_400 : null,
    hasTrialActivation: raw.trialActivation === true,
    machines,
    dataObjects: asArray(raw.dataObjects)
      .filter(isRecord)
      .map((d) => ({
        name: text(d.name) ?? '',
        intValue: Number(d.intValue ?? 0) || 0,
        stringValue: text(d.stringValue) ?? '',
      }))
      .filter((d) => d.name !== ''),
  };
}

/**
 * Cryptolens through Web API 3 with the vendor's access token (it needs GetProducts, GetKeys and
 * GetCustomers): products keep their ProductId when it is free here, each gets a policy with F1…F8 as boolean
 * fields, customers come from GetCustomers, keys from every page of GetKeys (ModelVersion 3) with their
 * activations (machine codes kept, floating seats with their lease) and data objects.
 */
export const cryptolensSource: ImportSource = {
  async run(ctx: ImportContext) {
    const options = cryptolensOptions(ctx.options);
    const token = ctx.credential;
    if (!token) throw new SourceError('a Cryptolens access token is needed');
    const call = async (method: string, params: Record<string, string> = {}) => {
      const url = new URL(
        `api/${method}`,
        options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
      );
      const answer = await fetchJson(ctx.http, url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, ...params }).toString(),
        signal: ctx.signal,
      });
      if (!isRecord(answer)) throw new SourceError(`${method}: unreadable answer`);
      if (answer.result !== 0 && answer.result !== undefined)
        throw new SourceError(`${method}: ${remoteText(answer.message) ?? 'refused'}`);
      return answer;
    };
    const checkpoint = ctx.checkpoint ?? {};
    const firstPass = checkpoint.phase === undefined;

    // Products and their policies are few and re-read on every run; only the first pass counts them.
    const products = asArray((await call('product/GetProducts')).products)
      .filter(isRecord)
      .filter((p) => options.productIds.length === 0 || options.productIds.includes(Number(p.id)));
    for (const product of products) {
      const id = Number(product.id);
      const created = await ctx.keyward.imports.upsertProduct(ctx.source, ctx.actor, {
        externalId: String(id),
        name: text(product.name) ?? `Product ${id}`,
        createdAt: vendorDate(product.creationDate) ?? undefined,
        preferredId: Number.isInteger(id) && id > 0 && id < 2_147_483_647 ? id : undefined,
      });
      if (created.outcome === 'created' && created.id !== id)
        ctx.warn(
          `product ${id} is product ${created.id} here (its id was taken): point apps at ProductId ${created.id}`,
        );
      const policy = await ctx.keyward.imports.upsertPolicy(ctx.source, ctx.actor, {
        externalId: String(id),
        productExternalId: String(id),
        name: 'Imported from Cryptolens',
        maxMachines: 1,
        maxDeactivations: -1,
        allowVm: true,
        featureFields: FLAG_FIELDS,
        keyFormat: 'XXXXX-XXXXX-XXXXX-XXXXX',
      });
      if (firstPass) {
        ctx.count('products', created.outcome);
        ctx.count('policies', policy.outcome);
      }
    }
    if (firstPass || checkpoint.phase === 'customers') {
      await ctx.save({ phase: 'customers' });
      for (const customer of asArray((await call('customer/GetCustomers')).customers).filter(isRecord)) {
        const result = await ctx.keyward.imports.upsertCustomer(ctx.source, ctx.actor, {
          externalId: String(customer.id),
          name: text(customer.name) ?? '',
          email: text(customer.email) || null,
          company: text(customer.companyName) || null,
          createdAt: vendorDate(customer.created) ?? undefined,
        });
        ctx.count('customers', result.outcome);
      }
      await ctx.save({ phase: 'keys', product: 0, page: 1 });
    }
    let productIndex = Number(checkpoint.phase === 'keys' ? checkpoint.product : 0) || 0;
    let page = Number(checkpoint.phase === 'keys' ? checkpoint.page : 1) || 1;
    for (; productIndex < products.length; productIndex++, page = 1) {
      const productId = Number((products[productIndex] as Record<string, unknown>).id);
      for (;;) {
        const answer = await call('product/GetKeys', {
          ProductId: String(productId),
          Page: String(page),
          ModelVersion: '3',
        });
        if (page === 1) ctx.addTotal(Number(answer.total ?? 0) || 0);
        for (const raw of asArray(answer.licenseKeys).filter(isRecord)) {
          const license = cryptolensLicense(raw, productId);
          if (!license) {
            ctx.count('licenses', 'skipped');
            continue;
          }
          if (license.customerExternalId && isRecord(raw.customer)) {
            const customer = raw.customer;
            // A customer GetCustomers did not list (another account's view): made from the key's copy.
            const result = await ctx.keyward.imports.upsertCustomer(ctx.source, ctx.actor, {
              externalId: license.customerExternalId,
              name: text(customer.name) ?? '',
              email: text(customer.email) || null,
              company: text(customer.companyName) || null,
              createdAt: vendorDate(customer.created) ?? undefined,
            });
            if (result.outcome !== 'skipped') ctx.count('customers', result.outcome);
          }
          ctx.addCounts(await ctx.keyward.imports.upsertLicense(ctx.source, ctx.actor, license));
        }
        const pageCount = Number(answer.pageCount ?? 0) || 0;
        const last = page >= pageCount;
        await ctx.save(
          last
            ? { phase: 'keys', product: productIndex + 1, page: 1 }
            : { phase: 'keys', product: productIndex, page: page + 1 },
          asArray(answer.licenseKeys).length,
        );
        if (last) break;
        page += 1;
      }
    }
  },
};
