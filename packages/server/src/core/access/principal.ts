import { DomainError, isDomainError } from '../domain-error.js';
import type { License } from '../model.js';
import { isMethodAllowed } from './method-lock.js';
import { hasScope, LICENSE_KEY_SCOPES, type Scope } from './scopes.js';
import { dormantRefusal } from './token-limits.js';
import type { ApiTokenRecord } from './token-ports.js';

/** Who is calling: an API token, or an app holding only its license key. */
export type Principal = { kind: 'token'; token: ApiTokenRecord } | { kind: 'license'; license: License };

export function principalTokenId(principal: Principal | null): number | null {
  return principal?.kind === 'token' ? principal.token.id : null;
}

/**
 * The scope check of record: every use case in core asks it of its caller, whatever surface the call came
 * through (surfaces may ask earlier, to answer in their own terms). A token holds its scopes (`*` all of
 * them), a license key LICENSE_KEY_SCOPES, and no credential none. The operator and the server's own work
 * (sweeps, imports, the command line) act as `operatorPrincipal`, which holds `*`.
 */
export function assertScope(principal: Principal | null, scope: Scope): asserts principal is Principal {
  if (principal === null)
    throw new DomainError('FORBIDDEN', `this needs a credential holding the scope ${scope}`, { scope });
  if (principal.kind === 'license') {
    if (!hasScope(LICENSE_KEY_SCOPES, scope))
      throw new DomainError('FORBIDDEN', `a license key credential lacks the scope ${scope}`, { scope });
    return;
  }
  if (!hasScope(principal.token.scopes, scope)) {
    throw new DomainError('FORBIDDEN', `this token lacks the scope ${scope}`, { scope });
  }
  // A dormant token keeps reading (LimeLM's dormant account) but every changing scope is refused.
  if (principal.token.isDormant && scope.endsWith(':write')) throw dormantRefusal();
}

/**
 * What a caller may not see must look like what does not exist: the same code and the same words, so no
 * answer tells "exists elsewhere" from "does not exist".
 */
export function licenseNotFound(): DomainError {
  return new DomainError('LICENSE_NOT_FOUND', 'no such license is visible to this credential');
}

export function productNotFound(id: number, field?: string): DomainError {
  return new DomainError('NOT_FOUND', `product ${id} does not exist`, field ? { field } : {});
}

export function policyNotFound(id: number | undefined): DomainError {
  return new DomainError('NOT_FOUND', `policy ${id} does not exist`, { field: 'policyId' });
}

/**
 * Runs the access check of a thing reached through another (a machine through its license, a policy
 * through its product): a refusal reads exactly as the thing itself missing, so ids cannot be probed.
 */
export async function hideRefusal(check: () => unknown, missing: () => DomainError): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (isDomainError(error) && ['FORBIDDEN', 'NOT_FOUND', 'LICENSE_NOT_FOUND'].includes(error.code))
      throw missing();
    throw error;
  }
}

/** A token locked to products or to one license, or a license credential, reaches only what it is locked to. */
export function canAccessLicense(
  principal: Principal | null,
  license: Pick<License, 'id' | 'productIds'>,
): boolean {
  if (principal === null) return false;
  if (principal.kind === 'license') return principal.license.id === license.id;
  const { token } = principal;
  if (token.licenseId !== null && token.licenseId !== license.id) return false;
  if (token.productIds.length > 0 && !license.productIds.some((id) => token.productIds.includes(id)))
    return false;
  return true;
}

/**
 * Whether the caller may reach every license of a list filtered to `productId` (or unfiltered), so that counting
 * them tells it nothing about licenses it may not see: an unlocked token, or one locked to that product.
 */
export function seesEveryLicenseOf(
  principal: Principal | null,
  filter: { productId?: number | undefined },
): boolean {
  if (principal === null || principal.kind === 'license') return false;
  const { token } = principal;
  if (token.licenseId !== null) return false;
  return (
    token.productIds.length === 0 ||
    (filter.productId !== undefined && token.productIds.includes(filter.productId))
  );
}

/** A license the caller may not reach is, to that caller, a license that does not exist. */
export function assertLicenseAccess(
  principal: Principal | null,
  license: Pick<License, 'id' | 'productIds'>,
): void {
  if (!canAccessLicense(principal, license)) throw licenseNotFound();
}

export function canAccessProduct(principal: Principal | null, productId: number): boolean {
  if (principal === null) return false;
  if (principal.kind === 'license') return principal.license.productIds.includes(productId);
  const { productIds, licenseId, licenseProductIds } = principal.token;
  if (licenseId !== null && !(licenseProductIds ?? []).includes(productId)) return false;
  return productIds.length === 0 || productIds.includes(productId);
}

/** A product the caller may not reach is, to that caller, a product that does not exist. */
export function assertProductAccess(principal: Principal | null, productId: number, field?: string): void {
  if (!canAccessProduct(principal, productId)) throw productNotFound(productId, field);
}

/**
 * Issuing licenses (any surface: native, CreateKey, trials, templates, AuthTool keys, LimeLM) needs a token
 * that is not locked to one license and reaches every product the new licenses belong to.
 */
export function assertMayIssueLicenses(principal: Principal | null, productIds: number[]): void {
  if (principal === null) throw new DomainError('FORBIDDEN', 'issuing licenses needs a credential');
  assertNotLicenseLocked(principal);
  for (const id of new Set(productIds)) assertProductAccess(principal, id, 'productIds');
}

/**
 * Customers span products, so only a token without product or license locks reaches them — to read, to
 * create, or to attach one to a license. The refusal does not depend on whether the customer exists.
 */
export function mayReachCustomers(principal: Principal | null): boolean {
  return isUnrestricted(principal);
}

/** A token without product or license locks: the one kind of credential that reaches what spans products. */
function isUnrestricted(principal: Principal | null): boolean {
  if (principal === null || principal.kind === 'license') return false;
  return principal.token.licenseId === null && principal.token.productIds.length === 0;
}

export function assertMayReachCustomers(principal: Principal | null): void {
  if (!mayReachCustomers(principal)) {
    throw new DomainError('FORBIDDEN', 'this credential is locked and may not reach customers', {
      field: 'customerId',
    });
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
  if (isUnrestricted(principal)) return;
  // Say which lock stands in the way.
  assertNotLicenseLocked(principal);
  throw new DomainError('FORBIDDEN', 'this token is locked to products');
}

/** What belongs to the whole account (messages, customers) is changed only by an unlocked credential. */
export function assertAccountWide(principal: Principal | null): void {
  if (principal === null) throw new DomainError('FORBIDDEN', 'this needs a credential');
  assertUnrestricted(principal);
}

/**
 * Dashboard users hold the whole account, so only an administrator manages them: a credential holding `*`
 * with no product, license or method lock (a dashboard admin's session, an admin token, the operator). A
 * dormant token may still read them, like everything else, but changes nothing.
 */
export function assertAdministrator(principal: Principal | null, access: 'read' | 'write'): void {
  const token = principal?.kind === 'token' ? principal.token : null;
  if (token === null || !token.scopes.includes('*') || !isMethodAllowed(principal, null)) {
    throw new DomainError(
      'FORBIDDEN',
      'only an administrator (a dashboard admin, a token with *) manages users',
      {
        scope: '*',
      },
    );
  }
  assertUnrestricted(principal as Principal);
  if (access === 'write' && token.isDormant) throw dormantRefusal();
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
