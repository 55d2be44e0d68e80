import { DomainError } from '../core/domain-error.js';
import type { ImportedLicense } from '../core/imports/imported-records.js';
import { isPeriodUnit } from '../core/licenses/calendar-period.js';
import { csvRecords } from './csv.js';
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

export const AUTHTOOL_DEFAULT_URL = 'https://api.authtool.app';
const SAVE_EVERY = 50;

/**
 * The keys to read: a text list (one key a line; `#` starts a comment) or a CSV whose header has a `key`
 * column. AuthTool has no call that lists keys, so the vendor exports them from its dashboard or shop.
 */
export function parseKeyList(input: string): string[] {
  const firstLine = input.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const keys = /(^|,)\s*"?key"?\s*(,|$)/i.test(firstLine)
    ? csvRecords(input).map((r) => r.key ?? '')
    : input.split(/\r?\n/).map((line) => line.replace(/#.*$/, ''));
  return [...new Set(keys.map((k) => k.trim()).filter(Boolean))];
}

function keysOf(options: Record<string, unknown>): string[] {
  if (Array.isArray(options.keys))
    return [...new Set(options.keys.map((k) => String(k).trim()).filter(Boolean))];
  if (typeof options.keyList === 'string') return parseKeyList(options.keyList);
  throw new DomainError('INVALID_INPUT', 'an AuthTool import needs the list of keys', { field: 'keys' });
}

export function authtoolLicense(key: string, detail: Record<string, unknown>): ImportedLicense {
  const info = isRecord(detail.key) ? detail.key : {};
  const limitCount = Number(info.activateLimit ?? 1);
  const isMulti = Number.isInteger(limitCount) && limitCount > 1;
  const unit = text(info.unit);
  const duration = Number(info.duration ?? 0);
  const devices = asArray(detail.devices).filter(isRecord);
  return {
    key,
    policyExternalId: isMulti ? 'multi' : 'single',
    alias: text(info.alias),
    expiresAt: vendorDate(info.expiredAt),
    isSuspended: info.status === 0,
    maxMachines: Number.isInteger(limitCount) && limitCount > 0 ? limitCount : 1,
    ...(isMulti && unit && isPeriodUnit(unit) && Number.isInteger(duration) && duration > 0
      ? { activationPeriod: { count: duration, unit } }
      : {}),
    activationCount: Number(info.activateCount ?? 0) || 0,
    // Inactive devices (expired, or removed by a reset) no longer hold a place.
    machines: devices
      .filter((d) => d.status !== 0)
      .map((d) => ({
        fingerprint: text(d.uid) ?? '',
        createdAt: vendorDate(d.activeAt) ?? undefined,
        expiresAt: vendorDate(d.expireAt),
      })),
  };
}

/**
 * AuthTool through its public API with the vendor's `X-API-Key`: each key of the list is read with
 * `GET key/{key}/detail` and lands in one product (chosen with `productId`, else made once) under a policy
 * for single- or multi-activation keys. Device UIDs are kept as the machines' fingerprints.
 */
export const authtoolSource: ImportSource = {
  async run(ctx: ImportContext) {
    const apiKey = ctx.credential;
    if (!apiKey) throw new SourceError('an AuthTool API key is needed');
    const base = typeof ctx.options.baseUrl === 'string' ? ctx.options.baseUrl : AUTHTOOL_DEFAULT_URL;
    const keys = keysOf(ctx.options);
    const checkpoint = ctx.checkpoint ?? {};
    const firstPass = checkpoint.index === undefined;
    if (typeof ctx.options.productId === 'number')
      await ctx.keyward.imports.adoptProduct(ctx.source, 'package', ctx.options.productId);
    else {
      const product = await ctx.keyward.imports.upsertProduct(ctx.source, ctx.actor, {
        externalId: 'package',
        name: typeof ctx.options.productName === 'string' ? ctx.options.productName : 'AuthTool',
      });
      if (firstPass) ctx.count('products', product.outcome);
    }
    for (const [externalId, name, maxMachines] of [
      ['single', 'AuthTool single-activation keys', 1],
      ['multi', 'AuthTool multi-activation keys', 2],
    ] as const) {
      const policy = await ctx.keyward.imports.upsertPolicy(ctx.source, ctx.actor, {
        externalId,
        productExternalId: 'package',
        name,
        maxMachines,
        // AuthTool devices never give their place back; a reset frees them all.
        maxDeactivations: 0,
        allowVm: true,
        featureFields: [],
        keyFormat: 'XXXX-XXXX-XXXX-XXXX',
      });
      if (firstPass) ctx.count('policies', policy.outcome);
    }
    ctx.addTotal(keys.length);
    let index = Number(checkpoint.index ?? 0) || 0;
    let saved = index;
    for (; index < keys.length; index++) {
      const key = keys[index] as string;
      const url = new URL(
        `public/v1/key/${encodeURIComponent(key)}/detail`,
        base.endsWith('/') ? base : `${base}/`,
      );
      const answer = await fetchJson(ctx.http, url, {
        headers: { 'x-api-key': apiKey },
        signal: ctx.signal,
        what: `key detail (key ${index + 1} of the list)`,
      });
      if (!isRecord(answer)) throw new SourceError(`key detail: unreadable answer`);
      if (!isRecord(answer.key)) {
        const message = remoteText(answer.message) ?? 'no key in the answer';
        if (/invalid api key|unauthorized/i.test(message))
          throw new SourceError(`AuthTool refused the API key: ${message}`);
        // Named by its line, not its text: warnings reach logs, and keys are credentials.
        ctx.warn(`key ${index + 1} of the list: ${message}`);
        ctx.count('licenses', 'skipped');
      } else
        ctx.addCounts(
          await ctx.keyward.imports.upsertLicense(ctx.source, ctx.actor, authtoolLicense(key, answer)),
        );
      if ((index + 1) % SAVE_EVERY === 0 || index + 1 === keys.length) {
        await ctx.save({ index: index + 1 }, index + 1 - saved);
        saved = index + 1;
      }
    }
  },
};
