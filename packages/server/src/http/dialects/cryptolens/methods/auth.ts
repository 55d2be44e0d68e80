import type { MethodSpec } from '../call-context.js';
import { licenseOf } from '../lookups.js';
import { fail, MESSAGES } from '../messages.js';

/**
 * auth/KeyLock: a token with key lock -1 (`canIssueLicenseTokens`) gets a token with its scopes and locks,
 * locked to one license — what an app embeds to manage its own key's data objects. The same token comes back
 * on every call for the same license.
 */
export const keyLock: MethodSpec = {
  scopes: [],
  async run(ctx) {
    if (!ctx.token.canIssueLicenseTokens || ctx.token.licenseId !== null) return fail(MESSAGES.accessDenied);
    const { license } = await licenseOf(ctx);
    const { token, secret } = await ctx.keyward.licenseTokens.issue(
      ctx.actor,
      ctx.token,
      ctx.tokenSecret,
      license.id,
    );
    return { keyId: token.licenseId, token: secret, message: null };
  },
};
