import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Store } from '../ports.js';
import { generateTokenSecret, hashToken, tokenPrefix } from '../signing/secrets.js';

/**
 * Start-up: the token named by KEYWARD_ADMIN_TOKEN is always a full-access token (a changed value replaces
 * the previous one); without it, the very first start generates one admin token and returns it to print.
 */
export class AdminTokenService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async ensure(envToken: string | null): Promise<{ generated: string | null }> {
    try {
      return await this.ensureOnce(envToken);
    } catch (error) {
      // Several processes starting at once on one PostgreSQL database race to insert the same token; the
      // loser's unique violation arrives as CONFLICT, and a second look finds the winner's row.
      if (error instanceof DomainError && error.code === 'CONFLICT') return this.ensureOnce(envToken);
      throw error;
    }
  }

  private ensureOnce(envToken: string | null): Promise<{ generated: string | null }> {
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
