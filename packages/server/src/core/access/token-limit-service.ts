import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Store } from '../ports.js';
import { stripUndefined } from '../strip-undefined.js';
import type { Actor } from './actor.js';
import { assertScope, assertUnrestricted, type Principal } from './principal.js';
import { checkLimitValues, dormantRefusal, type TokenLimitInput } from './token-limits.js';
import type { ApiTokenRecord } from './token-ports.js';
import { assertNoMorePower, assertNotOperatorToken, tokenOf } from './token-power.js';

/**
 * Changing a token's limits after creation: making it dormant and awake again, raising or lowering its
 * allowance or address limit, and forgetting the client addresses that used it (so it can move to a new
 * server). A caller may change only a token with no more power than its own, and only into one that still
 * has no more: a limited reseller cannot lift its own limits, and a token manager cannot touch the admin.
 */
export class TokenLimitService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  private async changeable(caller: Principal, id: number, doing: string) {
    assertScope(caller, 'tokens:write');
    const holder = tokenOf(caller);
    if (holder.isDormant) throw dormantRefusal();
    // Tokens span the account: a locked token manages none, whichever id it names.
    assertUnrestricted(caller);
    const target = await this.deps.store.tokens.findById(id);
    if (!target || target.revokedAt)
      throw new DomainError('NOT_FOUND', `token ${id} does not exist or is revoked`);
    assertNotOperatorToken(target);
    assertNoMorePower(holder, target, doing);
    return { holder, target };
  }

  async update(
    actor: Actor,
    caller: Principal,
    id: number,
    changes: TokenLimitInput,
  ): Promise<ApiTokenRecord> {
    checkLimitValues(changes);
    if (changes.isDormant === true && caller.kind === 'token' && caller.token.id === id) {
      throw new DomainError(
        'INVALID_INPUT',
        'a token cannot make itself dormant: it could not wake up again',
        {
          field: 'isDormant',
        },
      );
    }
    const { holder, target } = await this.changeable(caller, id, 'change');
    assertNoMorePower(holder, { ...target, ...stripUndefined(changes) }, 'raise');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      await tx.tokenLimits.lock(id);
      await tx.tokenLimits.setLimits(id, changes);
      await tx.events.append(newEvent('token.limits_changed', actor, now, {}, { tokenId: id, changes }));
      return (await tx.tokens.findById(id)) as ApiTokenRecord;
    });
  }

  async resetClientAddresses(actor: Actor, caller: Principal, id: number): Promise<number> {
    await this.changeable(caller, id, 'change');
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
