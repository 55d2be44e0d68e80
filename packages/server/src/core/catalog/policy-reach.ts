import { canAccessProduct, type Principal } from '../access/principal.js';
import type { Policy } from '../model.js';
import type { Repositories } from '../ports.js';

/**
 * Whether the caller reaches a policy (LimeLM's version, and what hangs off it: trial extensions): a policy
 * of a product it reaches and, for a credential locked to one license, only that license's policy. The
 * locked license is read here, since a token carries only its id.
 */
export async function canReachPolicy(
  repositories: Pick<Repositories, 'licenses'>,
  principal: Principal | null,
  policy: Pick<Policy, 'id' | 'productId'>,
): Promise<boolean> {
  if (principal === null || !canAccessProduct(principal, policy.productId)) return false;
  if (principal.kind === 'license') return principal.license.policyId === policy.id;
  const { licenseId } = principal.token;
  if (licenseId === null) return true;
  return (await repositories.licenses.findById(licenseId))?.policyId === policy.id;
}

/**
 * Products as catalog entries (listed, renamed, given versions) are reached by credentials not locked to one
 * license: such a credential reaches its license's products only through that license.
 */
export function canReachCatalogProduct(principal: Principal | null, productId: number): boolean {
  if (principal === null || principal.kind === 'license' || principal.token.licenseId !== null) return false;
  return canAccessProduct(principal, productId);
}
