import { createHmac } from 'node:crypto';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Store } from '../ports.js';
import { hashToken } from '../signing/secrets.js';
import type { Actor } from './actor.js';
import type { ApiTokenRecord } from './token-ports.js';

/**
 * Exchanges a token allowed to issue license tokens for one locked to a single license with the same scopes
 * and locks (Cryptolens auth/KeyLock). The secret is derived from the presented secret and the license, so
 * apps asking on every start get the same token back instead of piling up new ones; a revoked one stays
 * revoked.
 */
export class LicenseTokenService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async issue(
    actor: Actor,
    parent: ApiTokenRecord,
    parentSecret: string,
    licenseId: number,
  ): Promise<{ token: ApiTokenRecord; secret: string }> {
    if (!parent.canIssueLicenseTokens || parent.licenseId !== null) {
      throw new DomainError('FORBIDDEN', 'this token may not issue license tokens');
    }
    const mac = createHmac('sha256', parentSecret).update(`keyward:license-token:${licenseId}`).digest();
    const prefix = mac.subarray(0, 4).toString('hex');
    const secret = `kw_${prefix}_${mac.subarray(4, 28).toString('base64url')}`;
    const secretHash = hashToken(secret);
    const now = this.deps.clock.now();
    const existing = async () => {
      const found = await this.deps.store.tokens.findByHash(secretHash);
      if (!found) return null;
      if (found.revokedAt || (found.expiresAt && found.expiresAt <= now)) {
        throw new DomainError('FORBIDDEN', 'the token for this license was revoked or has expired');
      }
      const { secretHash: _omit, ...token } = found;
      return { token, secret };
    };
    const known = await existing();
    if (known) return known;
    try {
      return await this.deps.store.transaction(async (tx) => {
        const license = await tx.licenses.findById(licenseId);
        if (!license) throw new DomainError('LICENSE_NOT_FOUND', `license ${licenseId} does not exist`);
        if (
          parent.productIds.length > 0 &&
          !license.productIds.some((id) => parent.productIds.includes(id))
        ) {
          throw new DomainError('FORBIDDEN', 'cannot grant licenses outside your own product lock');
        }
        const token = await tx.tokens.insert({
          name: `license ${licenseId} (issued by token ${parent.id})`,
          prefix: `kw_${prefix}`,
          secretHash,
          scopes: parent.scopes,
          productIds: parent.productIds,
          licenseId,
          ipAllowlist: parent.ipAllowlist,
          bindToFirstIp: parent.bindToFirstIp,
          boundIp: null,
          source: 'api',
          expiresAt: parent.expiresAt,
          revokedAt: null,
          createdAt: now,
          lastUsedAt: null,
          ...(parent.methodLock ? { methodLock: parent.methodLock } : {}),
          ...(parent.featureLock ? { featureLock: parent.featureLock } : {}),
          issuedByTokenId: parent.id,
        });
        await tx.events.append(
          newEvent(
            'token.created',
            actor,
            now,
            { licenseId },
            { tokenId: token.id, name: token.name, issuedBy: parent.id },
          ),
        );
        return { token, secret };
      });
    } catch (error) {
      // Two first requests raced: the unique secret hash let one insert win; answer with its token.
      const raced = await existing();
      if (raced) return raced;
      throw error;
    }
  }
}
