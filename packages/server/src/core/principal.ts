import { DomainError } from './domain-error.js';
import type { License } from './model.js';
import type { ApiTokenRecord } from './ports.js';
import { hasScope, type Scope } from './scopes.js';

/** Who is calling: an API token, or an app holding only its license key. */
export type Principal = { kind: 'token'; token: ApiTokenRecord } | { kind: 'license'; license: License };

export function principalTokenId(principal: Principal | null): number | null {
  return principal?.kind === 'token' ? principal.token.id : null;
}

export function assertScope(principal: Principal, scope: Scope): void {
  if (principal.kind === 'token' && !hasScope(principal.token.scopes, scope)) {
    throw new DomainError('FORBIDDEN', `this token lacks the scope ${scope}`, { scope });
  }
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
  const { productIds } = principal.token;
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
