import type { FastifyRequest } from 'fastify';
import { isMethodAllowed } from '../../../core/access/method-lock.js';
import type { Principal } from '../../../core/access/principal.js';
import { isDomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import { ADDRESS, authenticateToken, countRequest } from '../../plugins/rate-limits.js';
import { AuthToolFailure, failureOf, INVALID_API_KEY } from './failures.js';

export const NOT_WHITELISTED = 'Your IP address is not whitelisted for this API key';

/**
 * AuthTool's credential is the `X-API-Key` header; here it carries a Keyward API token. A token's IP
 * allow-list is AuthTool's IP whitelist: core refuses callers outside it on every request.
 */
export async function authenticateApiKey(
  keyward: Keyward,
  request: FastifyRequest,
): Promise<Principal & { kind: 'token' }> {
  const header = request.headers['x-api-key'];
  const secret = typeof header === 'string' ? header.trim() : '';
  if (secret === '') {
    await countRequest(request, ADDRESS);
    throw new AuthToolFailure(401, INVALID_API_KEY);
  }
  try {
    const token = await authenticateToken(keyward, request, secret);
    // AuthTool's endpoints perform no operation of the method-lock vocabulary: a locked token may call none.
    if (!isMethodAllowed({ kind: 'token', token }, null)) {
      throw new AuthToolFailure(403, 'This API key is limited to methods of another API');
    }
    return { kind: 'token', token };
  } catch (error) {
    if (isDomainError(error) && error.code === 'FORBIDDEN') {
      // Token limits name their reason; the rest are address checks (allow-list, bound address).
      const { failure } = failureOf(error, null);
      throw error.details.reason !== undefined ? failure : new AuthToolFailure(403, NOT_WHITELISTED);
    }
    throw error;
  }
}
