import type { Actor } from '../access/actor.js';
import {
  assertProductAccess,
  assertScope,
  canAccessLicense,
  licenseNotFound,
  type Principal,
  productNotFound,
} from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { License } from '../model.js';
import type { Store } from '../ports.js';
import type { AnalyticsEvent, AnalyticsEventQuery } from './analytics-ports.js';

/** How much of an app's report is kept: enough for names and a small JSON note, not a dump. */
export const ANALYTICS_LIMITS = {
  machineCode: 1024,
  featureName: 100,
  eventName: 100,
  currency: 10,
  metadata: 4000,
  /** Events read in one page. */
  page: 1000,
} as const;

const INT32 = 2 ** 31;

export interface AnalyticsEventInput {
  productId: number | null;
  /** The license's key, when the app has one. */
  key: string | null;
  machineCode: string | null;
  featureName: string | null;
  eventName: string | null;
  value: number;
  currency: string | null;
  metadata: string | null;
}

export interface AnalyticsReadInput {
  productId?: number | undefined;
  /** A license by key or by id: the same access rule answers for both. */
  key?: string | undefined;
  licenseId?: number | undefined;
  machineCode?: string | undefined;
  featureName?: string | undefined;
  eventName?: string | undefined;
  metadata?: string | undefined;
  since?: Date | undefined;
  afterId?: number | undefined;
  beforeId?: number | undefined;
  order?: 'asc' | 'desc';
  limit: number;
}

function bounded(value: string | null, field: keyof typeof ANALYTICS_LIMITS): string | null {
  if (value === null || value === '') return null;
  const max = ANALYTICS_LIMITS[field];
  if (value.length > max)
    throw new DomainError('INVALID_INPUT', `${field} holds at most ${max} characters`, { field });
  return value;
}

/**
 * Records and reads feature-usage events. Who may register and read follows the credential's locks, decided
 * here: a token locked to one license reports and reads only that license's events, a product-locked one only
 * its products', and an event naming no product belongs to the whole account (unlocked tokens only).
 */
export class AnalyticsService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async register(actor: Actor, input: AnalyticsEventInput): Promise<AnalyticsEvent> {
    const principal = actor.principal;
    if (principal === null) throw new DomainError('FORBIDDEN', 'registering events needs a credential');
    assertScope(principal, 'analytics:write');
    const fields = {
      machineCode: bounded(input.machineCode, 'machineCode'),
      featureName: bounded(input.featureName, 'featureName'),
      eventName: bounded(input.eventName, 'eventName'),
      currency: bounded(input.currency, 'currency'),
      metadata: bounded(input.metadata, 'metadata'),
    };
    if (!Number.isSafeInteger(input.value) || Math.abs(input.value) >= INT32)
      throw new DomainError('INVALID_INPUT', 'value is a whole number within 32 bits', { field: 'value' });

    let productId = input.productId;
    if (productId !== null) await this.reachableProduct(principal, productId);
    const license = await this.namedLicense(principal, input.key, productId);
    productId ??= license?.productIds[0] ?? null;
    if (productId === null && !reachesAccount(principal))
      throw new DomainError('FORBIDDEN', 'this credential is locked: name a product it reaches', {
        field: 'productId',
      });
    return this.deps.store.analyticsEvents.insert({
      ...fields,
      productId,
      licenseId: license?.id ?? null,
      value: input.value,
      ip: actor.ip,
      tokenId: actor.tokenId,
      createdAt: this.deps.clock.now(),
    });
  }

  /** Events the caller may see, narrowed by what it asked for; a product or license it may not see is missing. */
  async list(principal: Principal | null, input: AnalyticsReadInput): Promise<AnalyticsEvent[]> {
    if (principal === null) throw new DomainError('FORBIDDEN', 'reading events needs a credential');
    assertScope(principal, 'analytics:read');
    if (input.productId !== undefined) await this.reachableProduct(principal, input.productId);
    let license: License | null = null;
    if (input.key !== undefined) license = await this.namedLicense(principal, input.key, null);
    if (input.licenseId !== undefined) {
      const byId = await this.deps.store.licenses.findById(input.licenseId);
      if (!byId || !canAccessLicense(principal, byId) || (license && license.id !== byId.id))
        throw licenseNotFound();
      license = byId;
    }
    const lockedLicenseId =
      principal.kind === 'license' ? principal.license.id : (principal.token.licenseId ?? null);
    const lockedProducts = principal.kind === 'token' ? principal.token.productIds : [];
    const query: AnalyticsEventQuery = {
      productIds:
        input.productId !== undefined
          ? [input.productId]
          : lockedProducts.length > 0
            ? [...lockedProducts]
            : null,
      // A license-locked credential reads its own license's events, named or not.
      licenseId: license?.id ?? lockedLicenseId ?? undefined,
      machineCode: input.machineCode,
      featureName: input.featureName,
      eventName: input.eventName,
      metadata: input.metadata,
      since: input.since,
      afterId: input.afterId,
      beforeId: input.beforeId,
      order: input.order ?? 'desc',
      limit: Math.max(1, Math.min(input.limit, ANALYTICS_LIMITS.page)),
    };
    return this.deps.store.analyticsEvents.list(query);
  }

  private async reachableProduct(principal: Principal, productId: number): Promise<void> {
    assertProductAccess(principal, productId, 'productId');
    if (!(await this.deps.store.products.findById(productId))) throw productNotFound(productId, 'productId');
  }

  /**
   * The license a key names, if the caller reaches it and it unlocks `productId` (when given); a license-locked
   * credential that names none reports about its own license.
   */
  private async namedLicense(
    principal: Principal,
    key: string | null,
    productId: number | null,
  ): Promise<License | null> {
    const lockedId = principal.kind === 'license' ? principal.license.id : principal.token.licenseId;
    if (key === null || key.trim() === '') {
      if (lockedId === null) return null;
      const own = await this.deps.store.licenses.findById(lockedId);
      if (!own || (productId !== null && !own.productIds.includes(productId))) throw licenseNotFound();
      return own;
    }
    const license = await this.deps.store.licenses.findByKey(key.trim());
    if (
      !license ||
      !canAccessLicense(principal, license) ||
      (productId !== null && !license.productIds.includes(productId))
    )
      throw licenseNotFound();
    return license;
  }
}

/** Whether events of no product (the whole account's) are the caller's to write and read. */
function reachesAccount(principal: Principal): boolean {
  return (
    principal.kind === 'token' &&
    principal.token.licenseId === null &&
    principal.token.productIds.length === 0
  );
}
