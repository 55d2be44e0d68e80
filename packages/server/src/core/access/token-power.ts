import { DomainError } from '../domain-error.js';
import type { Principal } from './principal.js';
import type { ApiTokenRecord } from './token-ports.js';

type Power = Pick<
  ApiTokenRecord,
  'scopes' | 'productIds' | 'licenseId' | 'ipAllowlist' | 'expiresAt' | 'methodLock' | 'featureLock'
> &
  Partial<Pick<ApiTokenRecord, 'canIssueLicenseTokens' | 'maxClientAddresses' | 'activationAllowance'>>;

const isSubset = (inner: readonly unknown[], outer: readonly unknown[]) =>
  inner.every((item) => outer.includes(item));

/**
 * Why `target` holds power that `holder` lacks, or null when it holds no more: no scope the holder lacks, no
 * looser product, license, method, feature or address lock, no later expiry, no higher limits. A lock the
 * holder has must be at least as tight on the target; a lock the holder lacks constrains nothing.
 */
export function powerBeyond(holder: Power, target: Power): string | null {
  const isWildcard = holder.scopes.includes('*');
  if (!isWildcard && !isSubset(target.scopes, holder.scopes)) return 'scopes';
  if (holder.productIds.length > 0) {
    if (target.productIds.length === 0 || !isSubset(target.productIds, holder.productIds))
      return 'product lock';
  }
  if (holder.licenseId !== null && target.licenseId !== holder.licenseId) return 'license lock';
  if (holder.methodLock) {
    if (!target.methodLock || !isSubset(target.methodLock, holder.methodLock)) return 'method lock';
  }
  if (holder.featureLock && target.featureLock !== holder.featureLock) return 'feature lock';
  if (holder.ipAllowlist.length > 0) {
    const normalize = (entries: string[]) => entries.map((entry) => entry.trim().toLowerCase());
    const inner = normalize(target.ipAllowlist);
    if (inner.length === 0 || !isSubset(inner, normalize(holder.ipAllowlist))) return 'IP allow-list';
  }
  if (holder.expiresAt && (!target.expiresAt || target.expiresAt > holder.expiresAt)) return 'expiry';
  if (
    target.canIssueLicenseTokens &&
    !holder.canIssueLicenseTokens &&
    !(isWildcard && holder.licenseId === null)
  )
    return 'license token issuing';
  const holderAddresses = holder.maxClientAddresses ?? null;
  const targetAddresses = target.maxClientAddresses ?? null;
  if (holderAddresses !== null && (targetAddresses === null || targetAddresses > holderAddresses))
    return 'client address limit';
  const holderAllowance = holder.activationAllowance ?? null;
  const targetAllowance = target.activationAllowance ?? null;
  if (holderAllowance !== null && (targetAllowance === null || targetAllowance > holderAllowance))
    return 'activation allowance';
  return null;
}

/** A token may only create, change or revoke tokens that have no more power than itself. */
export function assertNoMorePower(holder: Power, target: Power, doing: string): void {
  const beyond = powerBeyond(holder, target);
  if (beyond !== null) {
    throw new DomainError('FORBIDDEN', `cannot ${doing} a token with more power than your own (${beyond})`);
  }
}

/** The token KEYWARD_ADMIN_TOKEN names belongs to the operator: only changing the setting replaces it. */
export function assertNotOperatorToken(target: Pick<ApiTokenRecord, 'source'>): void {
  if (target.source === 'env') {
    throw new DomainError(
      'FORBIDDEN',
      'this token is set by KEYWARD_ADMIN_TOKEN: change that setting to replace it',
    );
  }
}

/** The token acting; other credentials manage no tokens. */
export function tokenOf(principal: Principal | null): ApiTokenRecord {
  if (principal?.kind !== 'token') throw new DomainError('FORBIDDEN', 'only API tokens may manage tokens');
  return principal.token;
}
