import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, testDialects } from '../../test-support/test-store.js';
import { manualClock } from '../clock.js';
import { isDomainError } from '../domain-error.js';
import { createKeyward, type Keyward } from '../keyward.js';
import { hashToken, SecretBox } from '../signing/secrets.js';
import type { Actor } from './actor.js';
import { assertScope, operatorPrincipal } from './principal.js';
import { TOKEN_REFUSALS } from './token-limits.js';

/**
 * Token limits hold exactly under concurrency on both databases: parallel first requests from new client
 * addresses never admit more than the limit, parallel grants never pass the allowance.
 */

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

async function settle<T>(work: Array<Promise<T>>) {
  const results = await Promise.allSettled(work);
  const refusals = results
    .filter((r) => r.status === 'rejected')
    .map((r) => (r as PromiseRejectedResult).reason);
  for (const reason of refusals) expect(isDomainError(reason), String(reason)).toBe(true);
  return { admitted: results.length - refusals.length, refusals };
}

for (const dialect of await testDialects()) {
  describe(`token limits (${dialect})`, () => {
    let keyward: Keyward;
    let store: Awaited<ReturnType<typeof createTestStore>>;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      store = await createTestStore(dialect, { poolSize: 12 });
      keyward = createKeyward({
        store,
        clock: manualClock(),
        secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
        onBackgroundError: (error) => {
          throw error;
        },
      });
      dispose = () => store.dispose();
    });
    afterAll(() => dispose());

    it('admits at most maxClientAddresses distinct addresses, however many arrive at once', async () => {
      const { secret } = await keyward.tokens.create(actor, operatorPrincipal, {
        name: 'servers',
        scopes: ['*'],
        maxClientAddresses: 3,
      });
      const { admitted, refusals } = await settle(
        Array.from({ length: 10 }, (_, i) =>
          keyward.tokenAuthentication.authenticate(secret, `192.0.2.${i + 1}`),
        ),
      );
      expect(admitted).toBe(3);
      expect(refusals.every((r) => r.details.reason === TOKEN_REFUSALS.clientAddressLimit)).toBe(true);
      // The IPv4-mapped form of an admitted address is the same client.
      const token = await store.tokens.findByHash(hashToken(secret));
      const known: number[] = [];
      for (let i = 1; i <= 10; i++) {
        if (await store.tokenLimits.hasAddress(token?.id ?? 0, `192.0.2.${i}`)) known.push(i);
      }
      expect(known).toHaveLength(3);
      await keyward.tokenAuthentication.authenticate(secret, `::ffff:192.0.2.${known[0]}`);
    });

    it('grants at most the allowance in seats, however many licenses are created at once', async () => {
      const product = await keyward.catalog.createProduct(actor, { name: 'p' });
      const policy = await keyward.catalog.createPolicy(actor, {
        productId: product.id,
        name: 'v',
        maxMachines: 2,
      });
      const { token } = await keyward.tokens.create(actor, operatorPrincipal, {
        name: 'reseller',
        scopes: ['*'],
        activationAllowance: 7,
      });
      const reseller: Actor = {
        tokenId: token.id,
        ip: null,
        via: 'test',
        principal: { kind: 'token', token },
      };
      const { admitted, refusals } = await settle(
        Array.from({ length: 8 }, () => keyward.licenses.create(reseller, policy.id, {})),
      );
      expect(admitted).toBe(3);
      expect(refusals[0].details).toMatchObject({ reason: TOKEN_REFUSALS.activationAllowance });
      expect(await store.tokens.findById(token.id)).toMatchObject({ activationsGranted: 6 });
      // An unlimited seat count cannot come out of a finite allowance.
      await expect(
        keyward.licenses.create(reseller, policy.id, { overrides: { maxMachines: 0 } }),
      ).rejects.toMatchObject({ details: { reason: TOKEN_REFUSALS.activationAllowance, remaining: 1 } });
    });

    it('a child token’s allowance comes out of its creator’s; address limits only narrow', async () => {
      const { token: parent } = await keyward.tokens.create(actor, operatorPrincipal, {
        name: 'parent',
        scopes: ['*'],
        activationAllowance: 10,
        maxClientAddresses: 2,
      });
      const principal = { kind: 'token' as const, token: parent };
      const { token: child } = await keyward.tokens.create(actor, principal, {
        name: 'child',
        scopes: ['licenses:write'],
        activationAllowance: 6,
      });
      expect(child).toMatchObject({ activationAllowance: 6, maxClientAddresses: 2 });
      expect(await store.tokens.findById(parent.id)).toMatchObject({ activationsGranted: 6 });
      await expect(
        keyward.tokens.create(actor, principal, { name: 'c2', scopes: ['*'], activationAllowance: 5 }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        keyward.tokens.create(actor, principal, { name: 'c3', scopes: ['*'], maxClientAddresses: 3 }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        keyward.tokens.create(actor, principal, { name: 'c4', scopes: ['*'], activationAllowance: null }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // Only an unlimited, unlocked token may change limits.
      await expect(
        keyward.tokenLimits.update(actor, principal, child.id, { activationAllowance: 100 }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });

    it('a dormant token authenticates and reads, and any write scope is refused', async () => {
      const { secret, token } = await keyward.tokens.create(actor, operatorPrincipal, {
        name: 'dormant',
        scopes: ['*'],
        isDormant: true,
      });
      const principal = {
        kind: 'token' as const,
        token: await keyward.tokenAuthentication.authenticate(secret, '192.0.2.50'),
      };
      expect(() => assertScope(principal, 'licenses:read')).not.toThrow();
      expect(() => assertScope(principal, 'licenses:write')).toThrow(/dormant/);
      // It cannot wake itself up; an owner token can.
      await expect(
        keyward.tokenLimits.update(actor, principal, token.id, { isDormant: false }),
      ).rejects.toMatchObject({ details: { reason: TOKEN_REFUSALS.dormant } });
      await expect(
        keyward.tokenLimits.update(actor, operatorPrincipal, token.id, { isDormant: false }),
      ).resolves.not.toHaveProperty('isDormant');
      await expect(
        keyward.tokenLimits.update(actor, operatorPrincipal, 0, { isDormant: true }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    });
  });
}
