import { DomainError } from './domain-error.js';
import type { License } from './model.js';
import type { ApiTokenRecord } from './ports.js';
import { hasScope, type Scope } from './scopes.js';
import { dormantRefusal } from './token-limits.js';

/** Who is calling: an API token, or an app holding only its license key. */
export type Principal = { kind: 'token'; token: ApiTokenRecord } | { kind: 'license'; license: License };

export function principalTokenId(principal: Principal | null): number | null {
  return principal?.kind === 'token' ? principal.token.id : null;
}

export function assertScope(principal: Principal, scope: Scope): void {
  if (principal.kind === 'token' && !hasScope(principal.token.scopes, scope)) {
    throw new DomainError('FORBIDDEN', `this token lacks the scope ${scope}`, { scope });
  }
  // A dormant token keeps reading (LimeLM's dormant account) but every changing scope is refused.
  if (principal.kind === 'token' && principal.token.isDormant && scope.endsWith(':write'))
    throw dormantRefusal();
}

/** A token locked to products or to one license, or a license credential, reaches only what it is locked to. */
export function canAccessLicense(principal: Principal, license: Pick<License, 'id' | 'productIds'>): boolean {
  if (principal.kind === 'license') return principal.license.id === license.id;
  const { token } = principal;
  if (token.licenseId !== null && token.licenseId !== license.id) return false;
  if (token.productIds.length > 0 && !license.productIds.some((id) => token.productIds.includes(id)))
    return false;
  return true;
}

export function assertLicenseAccess(principal: Principal, license: Pick<License, 'id' | 'productIds'>): void {
  if (!canAccessLicense(principal, license)) {
    throw new DomainError('FORBIDDEN', 'this credential may not access that license');
  }
}

export function canAccessProduct(principal: Principal, productId: number): boolean {
  if (principal.kind === 'license') return principal.license.productIds.includes(productId);
  const { productIds, licenseId, licenseProductIds } = principal.token;
  if (licenseId !== null && !(licenseProductIds ?? []).includes(productId)) return false;
  return productIds.length === 0 || productIds.includes(productId);
}

export function assertProductAccess(principal: Principal, productId: number): void {
  if (!canAccessProduct(principal, productId)) {
    throw new DomainError('FORBIDDEN', 'this credential may not access that product');
  }
}

/** Tokens locked to one license may not reach catalog-wide resources. */
export function assertNotLicenseLocked(principal: Principal): void {
  if (principal.kind === 'license' || principal.token.licenseId !== null) {
    throw new DomainError('FORBIDDEN', 'this credential is locked to one license');
  }
}

/** Resources that span products (customers, tokens, events without a filter) need an unlocked token. */
export function assertUnrestricted(principal: Principal): void {
  assertNotLicenseLocked(principal);
  if (principal.kind === 'token' && principal.token.productIds.length > 0) {
    throw new DomainError('FORBIDDEN', 'this token is locked to products');
  }
}

/** Data objects and events reach a license (and its products) or only products. */
export function assertReach(
  principal: Principal,
  reach: { licenseId: number | null; productIds: number[] },
): void {
  if (reach.licenseId !== null) {
    assertLicenseAccess(principal, { id: reach.licenseId, productIds: reach.productIds });
    return;
  }
  assertNotLicenseLocked(principal);
  for (const id of reach.productIds) assertProductAccess(principal, id);
}

/** Whoever operates the server host itself (the command line): full rights, no token behind it. */
export const operatorPrincipal: Principal = {
  kind: 'token',
  token: {
    id: 0,
    name: 'operator',
    prefix: '',
    scopes: ['*'],
    productIds: [],
    licenseId: null,
    ipAllowlist: [],
    bindToFirstIp: false,
    boundIp: null,
    source: 'env',
    expiresAt: null,
    revokedAt: null,
    createdAt: new Date(0),
    lastUsedAt: null,
  },
};
