import { isFeatureName } from '../core/catalog/feature-name.js';
import type { ImportedLicense } from '../core/imports/imported-records.js';
import { platformFromText } from '../core/machines/platform.js';
import type { FeatureField, FeatureType, FeatureValue } from '../core/model.js';
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

export const LIMELM_DEFAULT_URL = 'https://wyday.com/limelm/api/rest/';
const PAGE_SIZE = 100;
const KEY_FORMAT = 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX';

/** LimeLM's field types: `checkbox` is the documented name of a yes/no field. */
const TYPES: Record<string, FeatureType> = {
  string: 'string',
  int: 'integer',
  integer: 'integer',
  date_time: 'date',
  date: 'date',
  checkbox: 'boolean',
  bool: 'boolean',
  boolean: 'boolean',
};

function featureValue(type: FeatureType, raw: string): FeatureValue | null {
  if (type === 'integer') {
    const n = Number(raw);
    return Number.isInteger(n) ? n : null;
  }
  if (type === 'boolean') return ['true', '1', 'yes', 'on'].includes(raw.trim().toLowerCase());
  if (type === 'date') return vendorDate(raw)?.toISOString() ?? null;
  return raw;
}

/** A LimeLM limit: `unlimited` or a number. */
const limit = (value: unknown, unlimited: number): number => {
  const raw = text(value);
  if (raw === null || raw === 'unlimited') return unlimited;
  const n = Number(raw);
  return Number.isInteger(n) ? n : unlimited;
};

/** A pkey of advancedSearch (with get_features and get_acts) as an imported license. */
export function limelmLicense(
  pkey: Record<string, unknown>,
  versionId: string,
  fields: FeatureField[],
  tags: string[],
): ImportedLicense | null {
  const key = text(pkey.key);
  if (!key) return null;
  const features: Record<string, FeatureValue> = {};
  for (const feature of asArray(isRecord(pkey.features) ? pkey.features.feature : undefined).filter(
    isRecord,
  )) {
    const name = text(feature.name);
    const field = fields.find((f) => f.name === name);
    const raw = text(feature.value);
    if (!field || raw === null) continue;
    const value = featureValue(field.type, raw);
    if (value !== null) features[field.name] = value;
  }
  const acts = asArray(isRecord(pkey.activations) ? pkey.activations.act : undefined).filter(isRecord);
  return {
    key,
    policyExternalId: versionId,
    email: text(pkey.email) || null,
    expiresAt: null,
    isSuspended: text(pkey.revoked) === 'true',
    maxMachines: limit(pkey.acts, 0),
    isFloating: text(pkey.for_tfs) === 'true' ? true : null,
    features,
    tags,
    deactivationCount: Number(text(pkey.total_deacts) ?? 0) || 0,
    // LimeLM does not publish TurboActivate's hardware fingerprints: each activation keeps its seat under
    // the name `limelm-act:<act id>`.
    machines: acts.map((act) => ({
      fingerprint: `limelm-act:${text(act.id) ?? ''}`,
      ip: text(act.ip) || null,
      createdAt: vendorDate(act.date) ?? undefined,
      platform: platformFromText(text(act.type)) ?? null,
      name: text(act.extra_data) || null,
    })),
  };
}

/**
 * LimeLM through its web API with the vendor's API key: products and versions (prod.getAll), each version's
 * license fields (feature.getAll), and every page of each version's keys (pkey.advancedSearch with
 * get_features and get_acts). Tags are read from the search answer, or with pkey.getDetails where the search
 * leaves them out.
 */
export const limelmSource: ImportSource = {
  async run(ctx: ImportContext) {
    const apiKey = ctx.credential;
    if (!apiKey) throw new SourceError('a LimeLM API key is needed');
    const endpoint = typeof ctx.options.baseUrl === 'string' ? ctx.options.baseUrl : LIMELM_DEFAULT_URL;
    const call = async (method: string, params: Array<[string, string]> = []) => {
      const body = new URLSearchParams([
        ['method', `limelm.${method}`],
        ['api_key', apiKey],
        ['format', 'json'],
        ['nojsoncallback', '1'],
        ...params,
      ]);
      const answer = await fetchJson(ctx.http, new URL(endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
        signal: ctx.signal,
      });
      if (!isRecord(answer)) throw new SourceError(`${method}: unreadable answer`);
      if (answer.stat !== 'ok')
        throw new SourceError(
          `${method}: error ${remoteText(answer.code, 20) ?? '?'} ${remoteText(answer.message) ?? ''}`.trim(),
        );
      return answer;
    };
    const checkpoint = ctx.checkpoint ?? {};
    const firstPass = checkpoint.phase === undefined;
    const versions: Array<{ id: string; fields: FeatureField[] }> = [];
    const all = await call('prod.getAll');
    for (const product of asArray(isRecord(all.products) ? all.products.product : all.product).filter(
      isRecord,
    )) {
      const productId = text(product.id);
      if (!productId) continue;
      const result = await ctx.keyward.imports.upsertProduct(ctx.source, ctx.actor, {
        externalId: productId,
        name: text(product.name) ?? `Product ${productId}`,
      });
      if (firstPass) ctx.count('products', result.outcome);
      for (const version of asArray(isRecord(product.versions) ? product.versions.version : undefined).filter(
        isRecord,
      )) {
        const versionId = text(version.id);
        if (!versionId) continue;
        const fieldList = await call('feature.getAll', [['version_id', versionId]]);
        const fields: FeatureField[] = [];
        for (const field of asArray(isRecord(fieldList.fields) ? fieldList.fields.field : undefined).filter(
          isRecord,
        )) {
          const name = text(field.name);
          const type = TYPES[text(field.type) ?? 'string'] ?? 'string';
          if (!name || !isFeatureName(name)) {
            ctx.warn(
              `version ${versionId}: license field "${name ?? ''}" has a name Keyward cannot keep; left out`,
            );
            continue;
          }
          const fallback = text(field.default_val);
          fields.push({
            name,
            type,
            isRequired: false,
            defaultValue: fallback === null || fallback === '' ? null : featureValue(type, fallback),
          });
        }
        const policy = await ctx.keyward.imports.upsertPolicy(ctx.source, ctx.actor, {
          externalId: versionId,
          productExternalId: productId,
          name: text(version.name) ?? `Version ${versionId}`,
          maxMachines: 1,
          maxDeactivations: limit(version.deact_limit, -1),
          allowVm: text(version.allow_vm) !== 'no',
          featureFields: fields,
          keyFormat: KEY_FORMAT,
        });
        if (firstPass) ctx.count('policies', policy.outcome);
        versions.push({ id: versionId, fields });
      }
    }
    let index = Number(checkpoint.version ?? 0) || 0;
    let page = Number(checkpoint.page ?? 1) || 1;
    for (; index < versions.length; index++, page = 1) {
      const version = versions[index] as { id: string; fields: FeatureField[] };
      for (;;) {
        const answer = await call('pkey.advancedSearch', [
          ['version_id', version.id],
          ['num', String(PAGE_SIZE)],
          ['page', String(page)],
          ['get_features', 'true'],
          ['get_acts', 'true'],
        ]);
        const block = isRecord(answer.pkeys) ? answer.pkeys : {};
        if (page === 1) ctx.addTotal(Number(text(block.total) ?? 0) || 0);
        const pkeys = asArray(block.pkey).filter(isRecord);
        for (const pkey of pkeys) {
          let tags = asArray(isRecord(pkey.tags) ? pkey.tags.tag : undefined)
            .filter(isRecord)
            .map((t) => text(t.name))
            .filter((t): t is string => Boolean(t));
          if (!isRecord(pkey.tags) && text(pkey.id)) {
            const details = await call('pkey.getDetails', [['pkey_id', text(pkey.id) as string]]);
            const detailed = isRecord(details.pkey) ? details.pkey : {};
            tags = asArray(isRecord(detailed.tags) ? detailed.tags.tag : undefined)
              .filter(isRecord)
              .map((t) => text(t.name))
              .filter((t): t is string => Boolean(t));
          }
          const license = limelmLicense(pkey, version.id, version.fields, tags);
          if (!license) ctx.count('licenses', 'skipped');
          else ctx.addCounts(await ctx.keyward.imports.upsertLicense(ctx.source, ctx.actor, license));
        }
        const pages = Number(block.pages ?? 0) || 0;
        const last = page >= pages || pkeys.length === 0;
        await ctx.save(
          last
            ? { phase: 'keys', version: index + 1, page: 1 }
            : { phase: 'keys', version: index, page: page + 1 },
          pkeys.length,
        );
        if (last) break;
        page += 1;
      }
    }
  },
};
