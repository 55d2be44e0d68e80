import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { ApiTokenRecord, Store } from '../ports.js';
import type { Principal } from '../principal.js';
import { newEvent } from '../record-event.js';
import { checkLimitValues, dormantRefusal, type TokenLimitInput } from '../token-limits.js';

/**
 * Changing a token's limits after creation: making it dormant and awake again, raising or lowering its
 * allowance or address limit, and forgetting the client addresses that used it (so it can move to a new
 * server). Only the account's owner may do so: a caller that is itself unlocked and unlimited, or a limited
 * reseller could lift its own limits.
 */
export class TokenLimitService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  private assertOwner(caller: Principal): ApiTokenRecord {
    const token = caller.kind === 'token' ? caller.token : null;
    if (token?.isDormant) throw dormantRefusal();
    if (
      !token ||
      token.licenseId !== null ||
      token.productIds.length > 0 ||
      (token.maxClientAddresses ?? null) !== null ||
      (token.activationAllowance ?? null) !== null
    ) {
      throw new DomainError('FORBIDDEN', 'only an unlocked token without limits may change token limits');
    }
    return token;
  }

  private async liveToken(id: number): Promise<ApiTokenRecord> {
    const token = await this.deps.store.tokens.findById(id);
    if (!token || token.revokedAt)
      throw new DomainError('NOT_FOUND', `token ${id} does not exist or is revoked`);
    return token;
  }

  async update(
    actor: Actor,
    caller: Principal,
    id: number,
    changes: TokenLimitInput,
  ): Promise<ApiTokenRecord> {
    const owner = this.assertOwner(caller);
    checkLimitValues(changes);
    if (changes.isDormant === true && owner.id === id) {
      throw new DomainError(
        'INVALID_INPUT',
        'a token cannot make itself dormant: it could not wake up again',
        {
          field: 'isDormant',
        },
      );
    }
    await this.liveToken(id);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      await tx.tokenLimits.lock(id);
      await tx.tokenLimits.setLimits(id, changes);
      await tx.events.append(newEvent('token.limits_changed', actor, now, {}, { tokenId: id, changes }));
      return (await tx.tokens.findById(id)) as ApiTokenRecord;
    });
  }

  async resetClientAddresses(actor: Actor, caller: Principal, id: number): Promise<number> {
    this.assertOwner(caller);
    await this.liveToken(id);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const cleared = await tx.tokenLimits.clearAddresses(id);
      await tx.events.append(
        newEvent('token.client_addresses_reset', actor, now, {}, { tokenId: id, cleared }),
      );
      return cleared;
    });
  }
}
