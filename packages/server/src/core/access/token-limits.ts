import { isIP } from 'node:net';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Repositories, Store } from '../ports.js';
import type { ApiTokenRecord } from './token-ports.js';

/**
 * Limits a token can carry besides its scopes and locks: how many client addresses may use it, how many
 * seats it may grant in total (a reseller's allowance), and whether it is dormant (reads only). Refusals are
 * FORBIDDEN with `details.reason` naming which limit, so each surface can tell them apart.
 */
export const TOKEN_REFUSALS = {
  dormant: 'TOKEN_DORMANT',
  clientAddressLimit: 'CLIENT_ADDRESS_LIMIT_REACHED',
  activationAllowance: 'ACTIVATION_ALLOWANCE_EXCEEDED',
} as const;

export const MAX_CLIENT_ADDRESSES = 100_000;
export const MAX_ACTIVATION_ALLOWANCE = 2_000_000_000;

export interface TokenLimitInput {
  maxClientAddresses?: number | null | undefined;
  activationAllowance?: number | null | undefined;
  isDormant?: boolean | undefined;
}

export interface TokenLimits {
  maxClientAddresses: number | null;
  activationAllowance: number | null;
  isDormant: boolean;
}

export function dormantRefusal(): DomainError {
  return new DomainError('FORBIDDEN', 'this token is dormant: it may read but not change anything', {
    reason: TOKEN_REFUSALS.dormant,
  });
}

export function checkLimitValues(input: TokenLimitInput): void {
  const bad = (field: string, message: string): never => {
    throw new DomainError('INVALID_INPUT', message, { field });
  };
  const { maxClientAddresses: m, activationAllowance: a } = input;
  if (m != null && !(Number.isInteger(m) && m >= 1 && m <= MAX_CLIENT_ADDRESSES))
    bad('maxClientAddresses', `maxClientAddresses is 1 to ${MAX_CLIENT_ADDRESSES}, or null for any number`);
  if (a != null && !(Number.isInteger(a) && a >= 0 && a <= MAX_ACTIVATION_ALLOWANCE))
    bad(
      'activationAllowance',
      `activationAllowance is 0 to ${MAX_ACTIVATION_ALLOWANCE}, or null for no limit`,
    );
}

/**
 * A token can only hand out what its creator holds: no more client addresses than the creator's own limit,
 * and seats only out of the creator's remaining allowance (which the child's allowance is taken from).
 */
export function inheritTokenLimits(parent: ApiTokenRecord, input: TokenLimitInput): TokenLimits {
  if (parent.isDormant) throw dormantRefusal();
  checkLimitValues(input);
  const parentMax = parent.maxClientAddresses ?? null;
  const maxClientAddresses = input.maxClientAddresses === undefined ? parentMax : input.maxClientAddresses;
  if (parentMax !== null && (maxClientAddresses === null || maxClientAddresses > parentMax)) {
    throw new DomainError('FORBIDDEN', `cannot grant more than your own ${parentMax} client addresses`);
  }
  const parentAllowance = parent.activationAllowance ?? null;
  const activationAllowance =
    input.activationAllowance === undefined
      ? parentAllowance === null
        ? null
        : 0
      : input.activationAllowance;
  if (parentAllowance !== null && activationAllowance === null) {
    throw new DomainError('FORBIDDEN', 'cannot grant an unlimited activation allowance from a limited one');
  }
  return { maxClientAddresses, activationAllowance, isDormant: input.isDormant ?? false };
}

/** Stores a new token's limits, taking its allowance out of the creator's. Runs in the creating transaction. */
export async function applyTokenLimits(
  tx: Repositories,
  parent: ApiTokenRecord,
  token: ApiTokenRecord,
  limits: TokenLimits,
): Promise<ApiTokenRecord> {
  if ((parent.activationAllowance ?? null) !== null && limits.activationAllowance) {
    await grantSeats(tx, parent.id, [limits.activationAllowance]);
  }
  await tx.tokenLimits.setLimits(token.id, limits);
  return {
    ...token,
    ...(limits.maxClientAddresses !== null ? { maxClientAddresses: limits.maxClientAddresses } : {}),
    ...(limits.activationAllowance !== null
      ? { activationAllowance: limits.activationAllowance, activationsGranted: 0 }
      : {}),
    ...(limits.isDormant ? { isDormant: true } : {}),
  };
}

/**
 * Counts seats a token grants against its allowance, exactly under concurrency (one conditional update).
 * `seats` holds one seat limit per license, 0 meaning unlimited, which no finite allowance can grant.
 */
export async function grantSeats(tx: Repositories, tokenId: number | null, seats: number[]): Promise<void> {
  if (tokenId === null || seats.length === 0) return;
  const token = await tx.tokens.findById(tokenId);
  const allowance = token?.activationAllowance ?? null;
  if (!token || allowance === null) return;
  const remaining = Math.max(0, allowance - (token.activationsGranted ?? 0));
  const requested = seats.some((s) => s === 0) ? null : seats.reduce((sum, s) => sum + s, 0);
  if (requested === 0) return;
  if (requested === null || !(await tx.tokenLimits.grantActivations(tokenId, requested))) {
    throw new DomainError(
      'FORBIDDEN',
      remaining > 0
        ? `this token may grant only ${remaining} more seats`
        : 'this token has no seats left to grant',
      { reason: TOKEN_REFUSALS.activationAllowance, remaining, requested },
    );
  }
}

/** IPv4 clients reached over an IPv6 socket show up as ::ffff:a.b.c.d; they count as the IPv4 address. */
function canonicalIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  return mapped ?? (isIP(ip) === 6 ? ip.toLowerCase() : ip);
}

/**
 * Lets a client address use a token with an address limit: known addresses pass with one read; a new one is
 * admitted under the token's lock while fewer than the limit are known, so parallel first requests from
 * different addresses cannot overshoot it.
 */
export async function admitClientAddress(
  deps: { store: Store; clock: Clock },
  token: ApiTokenRecord,
  rawIp: string,
): Promise<void> {
  const max = token.maxClientAddresses ?? null;
  if (max === null) return;
  const ip = canonicalIp(rawIp);
  if (await deps.store.tokenLimits.hasAddress(token.id, ip)) return;
  await deps.store.transaction(async (tx) => {
    await tx.tokenLimits.lock(token.id);
    if (await tx.tokenLimits.hasAddress(token.id, ip)) return;
    if ((await tx.tokenLimits.countAddresses(token.id)) >= max) {
      throw new DomainError(
        'FORBIDDEN',
        `this token may be used from ${max} client address${max === 1 ? '' : 'es'} only; reset them to move it`,
        { reason: TOKEN_REFUSALS.clientAddressLimit, maxClientAddresses: max },
      );
    }
    await tx.tokenLimits.addAddress(token.id, ip, deps.clock.now());
  });
}
