import { DomainError } from '../domain-error.js';
import type { License } from '../model.js';

/**
 * A license's status, and the rules of its lifecycle. Every surface shows this status (native `status`,
 * Cryptolens `Block`, LimeLM `revoked`, AuthTool `status`, webhook payloads, the dashboard's filter) and the
 * storage filter selects by it (checked by a contract test), so one license never has two statuses.
 */
export const LICENSE_STATUSES = ['active', 'suspended', 'revoked', 'expired'] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

type StatusFacts = Pick<License, 'revokedAt' | 'isSuspended' | 'expiresAt'>;

/**
 * A revocation takes effect at its instant. One dated in the future (a clock ahead on another server, an
 * import) leaves the license usable until then; it is already final (see assertNotRevoked).
 */
export function isRevoked(license: Pick<License, 'revokedAt'>, now: Date): boolean {
  return license.revokedAt !== null && license.revokedAt <= now;
}

export function isExpired(license: Pick<License, 'expiresAt'>, now: Date): boolean {
  return license.expiresAt !== null && license.expiresAt <= now;
}

/** Revoked or suspended: the app must stop, whatever the expiry says. */
export function isBlocked(license: Pick<License, 'revokedAt' | 'isSuspended'>, now: Date): boolean {
  return license.isSuspended || isRevoked(license, now);
}

/** Refuses a revoked or suspended license, naming which: what every use of a license checks first. */
export function assertNotBlocked(license: Pick<License, 'revokedAt' | 'isSuspended'>, now: Date): void {
  if (isRevoked(license, now)) throw new DomainError('LICENSE_REVOKED', 'the license has been revoked');
  if (license.isSuspended) throw new DomainError('LICENSE_SUSPENDED', 'the license is suspended');
}

/** One status per license, in this precedence: revoked, suspended, expired, active. */
export function licenseStatus(license: StatusFacts, now: Date): LicenseStatus {
  if (isRevoked(license, now)) return 'revoked';
  if (license.isSuspended) return 'suspended';
  if (isExpired(license, now)) return 'expired';
  return 'active';
}

/**
 * Revocation is final: once a license carries a revocation (in effect or dated ahead), nothing makes it usable
 * again: reinstating or re-enabling it (LimeLM, AuthTool change-status) is refused on every surface.
 */
export function assertNotRevoked(license: Pick<License, 'revokedAt'>): void {
  if (license.revokedAt !== null)
    throw new DomainError('LICENSE_REVOKED', 'the license is revoked, and a revocation is final');
}

/** Whole days until the license expires (0 once expired); null for a perpetual license. */
export function daysLeft(license: Pick<License, 'expiresAt'>, now: Date): number | null {
  if (license.expiresAt === null) return null;
  return Math.max(0, Math.floor((license.expiresAt.getTime() - now.getTime()) / 86_400_000));
}
