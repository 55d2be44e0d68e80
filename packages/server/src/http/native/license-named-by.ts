import { licenseNotFound, type Principal } from '../../core/access/principal.js';
import { DomainError } from '../../core/domain-error.js';
import type { Keyward } from '../../core/keyward.js';
import type { License } from '../../core/model.js';

/**
 * The license a request body names by `licenseId` or `key`, if the caller may reach it. A license key
 * credential reaches only its own license, whatever the body says; `action` names what it tried, for the
 * refusal.
 */
export async function licenseNamedBy(
  keyward: Keyward,
  principal: Principal,
  body: { licenseId?: number | undefined; key?: string | undefined },
  action: 'activate' | 'reach',
): Promise<License> {
  if (principal.kind === 'license') {
    const own = principal.license;
    if (
      (body.licenseId !== undefined && body.licenseId !== own.id) ||
      (body.key !== undefined && body.key !== own.key)
    ) {
      throw new DomainError('FORBIDDEN', `a license key credential may only ${action} its own license`);
    }
    return own;
  }
  if (body.licenseId === undefined && body.key === undefined) {
    throw new DomainError('INVALID_INPUT', 'give licenseId or key', { field: 'licenseId' });
  }
  // Core's lookups answer a license out of reach as a missing one.
  const license =
    body.licenseId !== undefined
      ? await keyward.licenses.find(principal, body.licenseId)
      : await keyward.licenses.findByKey(principal, body.key as string);
  if (!license) throw licenseNotFound();
  return license;
}
