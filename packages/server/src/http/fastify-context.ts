import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Principal } from '../core/access/principal.js';
import type { Scope } from '../core/access/scopes.js';

/**
 * What a route demands of its caller. `public` routes need nothing; otherwise a bearer token with the scope,
 * or — where `license` is set — the license key itself (`Authorization: License <key>`) if its policy allows.
 * `optional` lets a route see the principal if one is given and decide itself when none is.
 */
export type AuthRequirement =
  | 'public'
  | {
      scope: Scope;
      license?: boolean;
      optional?: boolean;
      /** The operation in the method-lock vocabulary (core/access/method-lock.ts); absent: none, refused to locked tokens. */
      method?: string;
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
    /**
     * Whether an `Idempotency-Key` header makes a retry answer with the first response. Default: yes for every
     * write of the native API (plugins/idempotency.ts), no elsewhere; `false` only where a replay cannot
     * stand for the answer (signing in and out).
     */
    idempotent?: boolean;
    /** Sign the response body (Ed25519) into the `Keyward-Signature` header. */
    signed?: boolean;
    /**
     * The handler reads its surface's credential (from the body or query) and verifies it with
     * `authenticateToken` (plugins/rate-limits.ts), which counts the request against the token or the address;
     * the shared rate-limit hooks leave the counting to it.
     */
    verifiesCredentialInHandler?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
