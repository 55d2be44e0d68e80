import { DomainError } from '../domain-error.js';
import { parseAllowlist } from './ip-allowlist.js';
import { hasScope, SCOPES, type Scope } from './scopes.js';
import { inheritTokenLimits, type TokenLimits } from './token-limits.js';
import type { ApiTokenRecord } from './token-ports.js';
import { assertNoMorePower } from './token-power.js';

export interface TokenInput {
  name: string;
  scopes: string[];
  productIds?: number[];
  licenseId?: number | null;
  ipAllowlist?: string[];
  bindToFirstIp?: boolean;
  expiresAt?: Date | null;
  /** Dialect methods the token may call (`key/activate`); null or absent inherits the creator's lock. */
  methodLock?: string[] | null;
  /** Cryptolens' feature lock; null or absent inherits the creator's. */
  featureLock?: number | null;
  canIssueLicenseTokens?: boolean;
  /** Client addresses, seat allowance, dormant flag (token-limits.ts); absent inherits the creator's. */
  maxClientAddresses?: number | null;
  activationAllowance?: number | null;
  isDormant?: boolean;
}

/** What a new token holds: the input checked against its creator, with what the input left out inherited. */
export interface TokenGrant {
  scopes: string[];
  productIds: number[];
  licenseId: number | null;
  ipAllowlist: string[];
  expiresAt: Date | null;
  dialectLocks: ReturnType<typeof inheritDialectLocks>;
  limits: TokenLimits;
}

const METHOD_NAME = /^[a-z][a-z0-9]*\/[a-z][a-z0-9]*$/;
const MAX_LOCKED_METHODS = 200;

function normalizeMethodLock(lock: string[]): string[] {
  const names = [...new Set(lock.map((name) => name.trim().toLowerCase()))];
  const bad = names.find((name) => !METHOD_NAME.test(name));
  if (bad !== undefined || names.length > MAX_LOCKED_METHODS) {
    throw new DomainError(
      'INVALID_INPUT',
      bad !== undefined
        ? `"${bad.slice(0, 50)}" is not a method name like key/activate`
        : `a method lock names at most ${MAX_LOCKED_METHODS} methods`,
      { field: 'methodLock' },
    );
  }
  return names;
}

/** Only what the creator holds: a narrower or equal method lock, the same feature lock, key locking if held. */
function inheritDialectLocks(parent: ApiTokenRecord, input: TokenInput, licenseId: number | null) {
  const methodLock = input.methodLock ? normalizeMethodLock(input.methodLock) : (parent.methodLock ?? null);
  if (parent.methodLock && (!methodLock || methodLock.some((m) => !parent.methodLock?.includes(m)))) {
    throw new DomainError('FORBIDDEN', 'cannot grant methods outside your own method lock');
  }
  const featureLock = input.featureLock ?? parent.featureLock ?? null;
  if (featureLock !== null && (!Number.isSafeInteger(featureLock) || featureLock < 0)) {
    throw new DomainError('INVALID_INPUT', 'featureLock is a whole number, 0 or more', {
      field: 'featureLock',
    });
  }
  if (parent.featureLock && featureLock !== parent.featureLock) {
    throw new DomainError('FORBIDDEN', 'cannot change the feature lock you hold');
  }
  const canIssueLicenseTokens = input.canIssueLicenseTokens ?? false;
  if (canIssueLicenseTokens) {
    if (licenseId !== null) {
      throw new DomainError('INVALID_INPUT', 'a token locked to a license cannot issue license tokens', {
        field: 'canIssueLicenseTokens',
      });
    }
    const isUnlocked = parent.scopes.includes('*') && parent.licenseId === null;
    if (!parent.canIssueLicenseTokens && !isUnlocked) {
      throw new DomainError('FORBIDDEN', 'cannot grant license token issuing you lack');
    }
  }
  return {
    ...(methodLock ? { methodLock } : {}),
    ...(featureLock ? { featureLock } : {}),
    ...(canIssueLicenseTokens ? { canIssueLicenseTokens } : {}),
  };
}

/**
 * Decides what a token created by `parent` holds. A token can only hand out what its creator holds: no wider
 * scopes, no looser locks, no higher limits, no later expiry.
 */
export function decideTokenGrant(parent: ApiTokenRecord, input: TokenInput, now: Date): TokenGrant {
  const unknown = input.scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || input.scopes.length === 0) {
    throw new DomainError('INVALID_INPUT', `unknown or missing scopes: ${unknown.join(', ') || '(none)'}`, {
      field: 'scopes',
    });
  }
  const wider = input.scopes.filter((s) => !hasScope(parent.scopes, s as Scope));
  if (wider.length > 0)
    throw new DomainError('FORBIDDEN', `cannot grant scopes you lack: ${wider.join(', ')}`);
  const productIds = input.productIds ?? parent.productIds;
  if (
    parent.productIds.length > 0 &&
    (productIds.length === 0 || productIds.some((id) => !parent.productIds.includes(id)))
  ) {
    throw new DomainError('FORBIDDEN', 'cannot grant products outside your own product lock');
  }
  const licenseId = input.licenseId ?? parent.licenseId;
  if (parent.licenseId !== null && licenseId !== parent.licenseId) {
    throw new DomainError('FORBIDDEN', 'cannot grant licenses outside your own license lock');
  }
  const ipAllowlist = input.ipAllowlist ?? parent.ipAllowlist;
  parseAllowlist(ipAllowlist);
  const expiresAt = input.expiresAt ?? parent.expiresAt;
  const dialectLocks = inheritDialectLocks(parent, input, licenseId);
  const limits = inheritTokenLimits(parent, input);
  if (input.expiresAt && input.expiresAt <= now) {
    throw new DomainError('INVALID_INPUT', 'expiresAt must be in the future', { field: 'expiresAt' });
  }
  const scopes = [...new Set(input.scopes)];
  // The piecewise checks above give precise messages; this one holds the whole rule in one place.
  assertNoMorePower(
    parent,
    { ...dialectLocks, ...limits, scopes, productIds, licenseId, ipAllowlist, expiresAt },
    'create',
  );
  return { scopes, productIds, licenseId, ipAllowlist, expiresAt, dialectLocks, limits };
}
