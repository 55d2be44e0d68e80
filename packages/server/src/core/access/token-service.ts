import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Store } from '../ports.js';
import { generateTokenSecret, hashToken } from '../signing/secrets.js';
import type { Actor } from './actor.js';
import type { Principal } from './principal.js';
import { assertScope, assertUnrestricted, canAccessLicense, licenseNotFound } from './principal.js';
import { decideTokenGrant, type TokenInput } from './token-grant.js';
import { applyTokenLimits } from './token-limits.js';
import type { ApiTokenRecord } from './token-ports.js';
import { assertNoMorePower, assertNotOperatorToken, tokenOf } from './token-power.js';

/**
 * API tokens that tokens create, list and revoke: a new token's secret is shown once and stored only as a
 * hash, and a token hands out or revokes only tokens with no more power than its own.
 */
export class TokenService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** A token can only hand out what its creator holds (token-grant.ts). */
  async create(
    actor: Actor,
    creator: Principal,
    input: TokenInput,
  ): Promise<{ token: ApiTokenRecord; secret: string }> {
    assertScope(creator, 'tokens:write');
    if (creator.kind !== 'token') throw new DomainError('FORBIDDEN', 'only API tokens may create tokens');
    const parent = creator.token;
    const now = this.deps.clock.now();
    const grant = decideTokenGrant(parent, input, now);
    const { token: secret, prefix } = generateTokenSecret();
    return this.deps.store.transaction(async (tx) => {
      for (const id of grant.productIds) {
        if (!(await tx.products.findById(id)))
          throw new DomainError('NOT_FOUND', `product ${id} does not exist`);
      }
      if (grant.licenseId !== null) {
        const license = await tx.licenses.findById(grant.licenseId);
        // Another product's license looks exactly like a missing one.
        if (!license || !canAccessLicense(creator, license)) throw licenseNotFound();
      }
      const token = await tx.tokens.insert({
        name: input.name,
        prefix: `kw_${prefix}`,
        secretHash: hashToken(secret),
        scopes: grant.scopes,
        productIds: grant.productIds,
        licenseId: grant.licenseId,
        ipAllowlist: grant.ipAllowlist,
        bindToFirstIp: input.bindToFirstIp ?? false,
        boundIp: null,
        source: 'api',
        expiresAt: grant.expiresAt,
        revokedAt: null,
        createdAt: now,
        lastUsedAt: null,
        ...grant.dialectLocks,
      });
      const limited = await applyTokenLimits(tx, parent, token, grant.limits);
      await tx.events.append(
        newEvent('token.created', actor, now, {}, { tokenId: token.id, name: token.name }),
      );
      return { token: limited, secret };
    });
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
}
