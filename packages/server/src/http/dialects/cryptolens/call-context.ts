import type { Actor } from '../../../core/access/actor.js';
import type { Principal } from '../../../core/access/principal.js';
import type { Scope } from '../../../core/access/scopes.js';
import type { ApiTokenRecord } from '../../../core/access/token-ports.js';
import type { Keyward } from '../../../core/keyward.js';
import type { Params } from './params.js';

/** Everything a method handler needs: the authenticated token, the parameters and the domain. */
export interface CallContext {
  keyward: Keyward;
  params: Params;
  token: ApiTokenRecord;
  /** The secret as presented: auth/KeyLock derives the key-locked token from it. */
  tokenSecret: string;
  principal: Principal;
  actor: Actor;
  ip: string;
  /** The method as `group/method` in lower case, e.g. `key/activate`. */
  method: string;
}

/**
 * What a method answers on success, before the envelope: its fields, then `result: 0` and `message` (empty
 * unless the method says otherwise, e.g. null where the vendor's examples show null).
 */
export type Answer = Record<string, unknown> & { message?: string | null };

export interface MethodSpec {
  /** Keyward scopes the token needs besides the method lock; empty for auth/KeyLock. */
  scopes: readonly Scope[];
  run(ctx: CallContext): Promise<Answer>;
}

/** The Cryptolens feature lock of a token; 0 when it has none. */
export const featureLockOf = (token: ApiTokenRecord): number => token.featureLock ?? 0;
