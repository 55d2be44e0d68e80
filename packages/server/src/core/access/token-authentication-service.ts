import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Store } from '../ports.js';
import { hashToken } from '../signing/secrets.js';
import { isAllowedAddress } from './ip-allowlist.js';
import { admitClientAddress } from './token-limits.js';
import type { ApiTokenRecord } from './token-ports.js';

/** Checks the API token a request presents: known, live, allowed from the caller's address. */
export class TokenAuthenticationService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async authenticate(secret: string, ip: string): Promise<ApiTokenRecord> {
    const token = await this.deps.store.tokens.findByHash(hashToken(secret));
    const now = this.deps.clock.now();
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) {
      throw new DomainError('UNAUTHENTICATED', 'the token is unknown, revoked or expired');
    }
    if (token.ipAllowlist.length > 0 && !isAllowedAddress(token.ipAllowlist, ip)) {
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
}
