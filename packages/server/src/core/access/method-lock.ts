import { DomainError } from '../domain-error.js';
import type { ApiTokenRecord } from './token-ports.js';

/**
 * The caller as a lock sees it; every Principal is one. Spelled out rather than imported from principal.ts,
 * which asks this file whether a caller is locked: the two would import each other.
 */
type Caller = { kind: 'token'; token: Pick<ApiTokenRecord, 'methodLock'> } | { kind: 'license' };

/**
 * A token's method lock is an allow-list of operations, named `group/method` in lower case as Cryptolens names
 * them (`key/activate`, `key/getkey`); LimeLM's methods are named the same way (`pkey/getdetails`). It means
 * the same on every surface: every native route, dialect method and endpoint names the operation it performs,
 * or none, and a locked token may call it only if its lock names that operation. An operation without a name
 * (managing products, tokens, webhooks…) is refused to every locked token.
 */
export function isMethodAllowed(principal: Caller | null, method: string | null): boolean {
  if (principal?.kind !== 'token') return true;
  const lock = principal.token.methodLock;
  if (!lock) return true;
  return method !== null && lock.includes(method.toLowerCase());
}

export function assertMethodAllowed(principal: Caller | null, method: string | null): void {
  if (!isMethodAllowed(principal, method)) {
    throw new DomainError(
      'FORBIDDEN',
      method === null
        ? 'this token is locked to methods, and this operation is none of them'
        : `this token is locked to other methods than ${method}`,
      { methodLock: true },
    );
  }
}
