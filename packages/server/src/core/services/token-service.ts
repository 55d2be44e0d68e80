import { createHmac } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { ApiTokenRecord, Store } from '../ports.js';
import type { Principal } from '../principal.js';
import { assertScope, assertUnrestricted, canAccessLicense, licenseNotFound } from '../principal.js';
import { newEvent } from '../record-event.js';
import { hasScope, SCOPES, type Scope } from '../scopes.js';
import { generateTokenSecret, hashToken, tokenPrefix } from '../secrets.js';
import { admitClientAddress, applyTokenLimits, inheritTokenLimits } from '../token-limits.js';
import { assertNoMorePower, assertNotOperatorToken } from '../token-power.js';

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

/** Accepts addresses and CIDR ranges, IPv4 and IPv6; throws INVALID_INPUT naming the bad entry. */
export function parseAllowlist(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, ...extra] = entry.trim().split('/');
    const family = isIP(address);
    // Decimal digits only: Number('') is 0, which would turn a typo like "10.0.0.1/" into "every address".
    const prefix = bits === undefined ? undefined : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    const maxBits = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra.length > 0 ||
      (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= maxBits))
    ) {
      throw new DomainError('INVALID_INPUT', `"${entry}" is not an IP address or CIDR range`, {
        field: 'ipAllowlist',
      });
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

function ipAllowed(allowlist: string[], ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  const list = parseAllowlist(allowlist);
  // IPv4 clients reached over an IPv6 socket show up as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  return (
    list.check(ip, family === 6 ? 'ipv6' : 'ipv4') || (mapped !== undefined && list.check(mapped, 'ipv4'))
  );
}

/** API tokens: issued once in the clear, stored only as a hash, checked on every request. */
export class TokenService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async authenticate(secret: string, ip: string): Promise<ApiTokenRecord> {
    const token = await this.deps.store.tokens.findByHash(hashToken(secret));
    const now = this.deps.clock.now();
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) {
      throw new DomainError('UNAUTHENTICATED', 'the token is unknown, revoked or expired');
    }
    if (token.ipAllowlist.length > 0 && !ipAllowed(token.ipAllowlist, ip)) {
      throw new DomainError('FORBIDDEN', 'this token may not be used from this address');
    }
    if (token.bindToFirstIp) {
      if (token.boundIp === null && (await this.deps.store.tokens.bindIp(token.id, ip))) {
        const { secretHash: _omit, ...record } = token;
        await admitClientAddress(this.deps, record, ip);
        return this.withLicenseReach({ ...record, boundIp: ip });
      }
      const bound = token.boundIp ?? (await this.deps.store.tokens.findById(token.id))?.boundIp;
      if (bound !== ip) throw new DomainError('FORBIDDEN', 'this token is bound to another address');
    }
    const { secretHash: _omit, ...record } = token;
    await admitClientAddress(this.deps, record, ip);
    return this.withLicenseReach(record);
  }

  /** A token locked to one license reaches that license's products, as the license key itself would. */
  private async withLicenseReach(token: ApiTokenRecord): Promise<ApiTokenRecord> {
    if (token.licenseId === null) return token;
    const license = await this.deps.store.licenses.findById(token.licenseId);
    return { ...token, licenseProductIds: license?.productIds ?? [] };
  }

  /** A token can only hand out what its creator holds: no wider scopes, no looser locks. */
  async create(
    actor: Actor,
    creator: Principal,
    input: TokenInput,
  ): Promise<{ token: ApiTokenRecord; secret: string }> {
    assertScope(creator, 'tokens:write');
    if (creator.kind !== 'token') throw new DomainError('FORBIDDEN', 'only API tokens may create tokens');
    const unknown = input.scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0 || input.scopes.length === 0) {
      throw new DomainError('INVALID_INPUT', `unknown or missing scopes: ${unknown.join(', ') || '(none)'}`, {
        field: 'scopes',
      });
    }
    const parent = creator.token;
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
    const now = this.deps.clock.now();
    if (input.expiresAt && input.expiresAt <= now) {
      throw new DomainError('INVALID_INPUT', 'expiresAt must be in the future', { field: 'expiresAt' });
    }
    // The piecewise checks above give precise messages; this one holds the whole rule in one place.
    assertNoMorePower(
      parent,
      { ...dialectLocks, ...limits, scopes: input.scopes, productIds, licenseId, ipAllowlist, expiresAt },
      'create',
    );
    const { token: secret, prefix } = generateTokenSecret();
    return this.deps.store.transaction(async (tx) => {
      for (const id of productIds) {
        if (!(await tx.products.findById(id)))
          throw new DomainError('NOT_FOUND', `product ${id} does not exist`);
      }
      if (licenseId !== null) {
        const license = await tx.licenses.findById(licenseId);
        // Another product's license looks exactly like a missing one.
        if (!license || !canAccessLicense(creator, license)) throw licenseNotFound();
      }
      const token = await tx.tokens.insert({
        name: input.name,
        prefix: `kw_${prefix}`,
        secretHash: hashToken(secret),
        scopes: [...new Set(input.scopes)],
        productIds,
        licenseId,
        ipAllowlist,
        bindToFirstIp: input.bindToFirstIp ?? false,
        boundIp: null,
        source: 'api',
        expiresAt,
        revokedAt: null,
        createdAt: now,
        lastUsedAt: null,
        ...dialectLocks,
      });
      const limited = await applyTokenLimits(tx, parent, token, limits);
      await tx.events.append(
        newEvent('token.created', actor, now, {}, { tokenId: token.id, name: token.name }),
      );
      return { token: limited, secret };
    });
  }

  /**
   * Exchanges a token allowed to issue license tokens for one locked to a single license with the same scopes
   * and locks (Cryptolens auth/KeyLock). The secret is derived from the presented secret and the license, so
   * apps asking on every start get the same token back instead of piling up new ones; a revoked one stays
   * revoked.
   */
  async issueLicenseToken(
    actor: Actor,
    parent: ApiTokenRecord,
    parentSecret: string,
    licenseId: number,
  ): Promise<{ token: ApiTokenRecord; secret: string }> {
    // No scope: what lets a token issue license tokens is its canIssueLicenseTokens, checked here.
    if (!parent.canIssueLicenseTokens || parent.licenseId !== null) {
      throw new DomainError('FORBIDDEN', 'this token may not issue license tokens');
    }
    const mac = createHmac('sha256', parentSecret).update(`keyward:license-token:${licenseId}`).digest();
    const prefix = mac.subarray(0, 4).toString('hex');
    const secret = `kw_${prefix}_${mac.subarray(4, 28).toString('base64url')}`;
    const secretHash = hashToken(secret);
    const now = this.deps.clock.now();
    const existing = async () => {
      const found = await this.deps.store.tokens.findByHash(secretHash);
      if (!found) return null;
      if (found.revokedAt || (found.expiresAt && found.expiresAt <= now)) {
        throw new DomainError('FORBIDDEN', 'the token for this license was revoked or has expired');
      }
      const { secretHash: _omit, ...token } = found;
      return { token, secret };
    };
    const known = await existing();
    if (known) return known;
    try {
      return await this.deps.store.transaction(async (tx) => {
        const license = await tx.licenses.findById(licenseId);
        if (!license) throw new DomainError('LICENSE_NOT_FOUND', `license ${licenseId} does not exist`);
        if (
          parent.productIds.length > 0 &&
          !license.productIds.some((id) => parent.productIds.includes(id))
        ) {
          throw new DomainError('FORBIDDEN', 'cannot grant licenses outside your own product lock');
        }
        const token = await tx.tokens.insert({
          name: `license ${licenseId} (issued by token ${parent.id})`,
          prefix: `kw_${prefix}`,
          secretHash,
          scopes: parent.scopes,
          productIds: parent.productIds,
          licenseId,
          ipAllowlist: parent.ipAllowlist,
          bindToFirstIp: parent.bindToFirstIp,
          boundIp: null,
          source: 'api',
          expiresAt: parent.expiresAt,
          revokedAt: null,
          createdAt: now,
          lastUsedAt: null,
          ...(parent.methodLock ? { methodLock: parent.methodLock } : {}),
          ...(parent.featureLock ? { featureLock: parent.featureLock } : {}),
          issuedByTokenId: parent.id,
        });
        await tx.events.append(
          newEvent(
            'token.created',
            actor,
            now,
            { licenseId },
            { tokenId: token.id, name: token.name, issuedBy: parent.id },
          ),
        );
        return { token, secret };
      });
    } catch (error) {
      // Two first requests raced: the unique secret hash let one insert win; answer with its token.
      const raced = await existing();
      if (raced) return raced;
      throw error;
    }
  }

  /** Tokens span the account: only an unlocked credential reads them. */
  list(principal: Principal | null, includeRevoked: boolean): Promise<ApiTokenRecord[]> {
    assertScope(principal, 'tokens:read');
    assertUnrestricted(principal);
    return this.deps.store.tokens.list({ includeRevoked });
  }

  /** Revokes a token (and those it issued) that has no more power than the actor's own. */
  async revoke(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'tokens:write');
    const now = this.deps.clock.now();
    const holder = tokenOf(actor.principal);
    // Tokens span the account: a locked token manages none, whichever id it names.
    assertUnrestricted({ kind: 'token', token: holder });
    await this.deps.store.transaction(async (tx) => {
      const target = await tx.tokens.findById(id);
      if (!target || target.revokedAt)
        throw new DomainError('NOT_FOUND', `token ${id} does not exist or is revoked`);
      assertNotOperatorToken(target);
      assertNoMorePower(holder, target, 'revoke');
      if (!(await tx.tokens.revoke(id, now)))
        throw new DomainError('NOT_FOUND', `token ${id} does not exist or is revoked`);
      await tx.tokens.revokeIssuedBy(id, now);
      await tx.events.append(newEvent('token.revoked', actor, now, {}, { tokenId: id }));
    });
  }

  /**
   * Start-up: the token named by KEYWARD_ADMIN_TOKEN is always a full-access token (a changed value replaces
   * the previous one); without it, the very first start generates one admin token and returns it to print.
   */
  async ensureAdminToken(envToken: string | null): Promise<{ generated: string | null }> {
    try {
      return await this.ensureAdminTokenOnce(envToken);
    } catch (error) {
      // Several processes starting at once on one PostgreSQL database race to insert the same token; the
      // loser's unique violation arrives as CONFLICT, and a second look finds the winner's row.
      if (error instanceof DomainError && error.code === 'CONFLICT')
        return this.ensureAdminTokenOnce(envToken);
      throw error;
    }
  }

  private ensureAdminTokenOnce(envToken: string | null): Promise<{ generated: string | null }> {
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const tokens = await tx.tokens.list({ includeRevoked: true });
      if (envToken !== null) {
        const hash = hashToken(envToken);
        const existing = await tx.tokens.findByHash(hash);
        if (existing?.revokedAt)
          throw new Error('KEYWARD_ADMIN_TOKEN names a revoked token; choose a new value');
        for (const token of tokens) {
          if (token.source === 'env' && !token.revokedAt && token.id !== existing?.id)
            await tx.tokens.revoke(token.id, now);
        }
        if (!existing)
          await tx.tokens.insert(
            adminToken('admin (KEYWARD_ADMIN_TOKEN)', 'env', tokenPrefix(envToken), hash, now),
          );
        return { generated: null };
      }
      if (tokens.length > 0) return { generated: null };
      const { token, prefix } = generateTokenSecret();
      await tx.tokens.insert(
        adminToken('admin (first start)', 'bootstrap', `kw_${prefix}`, hashToken(token), now),
      );
      return { generated: token };
    });
  }
}

/** The token acting; other credentials manage no tokens. */
export function tokenOf(principal: Principal | null): ApiTokenRecord {
  if (principal?.kind !== 'token') throw new DomainError('FORBIDDEN', 'only API tokens may manage tokens');
  return principal.token;
}

function adminToken(
  name: string,
  source: 'env' | 'bootstrap',
  prefix: string,
  secretHash: string,
  now: Date,
) {
  return {
    name,
    prefix,
    secretHash,
    scopes: ['*'],
    productIds: [],
    licenseId: null,
    ipAllowlist: [],
    bindToFirstIp: false,
    boundIp: null,
    source,
    expiresAt: null,
    revokedAt: null,
    createdAt: now,
    lastUsedAt: null,
  };
}
