import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, testDialects } from '../../test-support/test-store.js';
import type { Actor } from '../access/actor.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { isDomainError } from '../domain-error.js';
import { createKeyward, type Keyward } from '../keyward.js';
import { SecretBox } from '../signing/secrets.js';
import { TRIAL_REFUSALS } from './verified-trial-service.js';

/** Verified trials never restart, and extension codes are counted exactly, once per machine. */

const actor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const DAY = 86_400;

for (const dialect of await testDialects()) {
  describe(`verified trials and extensions (${dialect})`, () => {
    let keyward: Keyward;
    let clock: ReturnType<typeof manualClock>;
    let policyId: number;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      const store = await createTestStore(dialect, { poolSize: 10 });
      clock = manualClock(new Date('2030-01-01T00:00:00Z'));
      keyward = createKeyward({
        store,
        clock,
        secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
        onBackgroundError: (error) => {
          throw error;
        },
      });
      await keyward.signingKeys.load();
      dispose = () => store.dispose();
      const product = await keyward.catalog.createProduct(actor, { name: 'p' });
      policyId = (
        await keyward.catalog.createPolicy(actor, { productId: product.id, name: 'v', allowVm: false })
      ).id;
    });
    afterAll(() => dispose());

    it('offers no trial until the profile has a length; then starts one per machine, once', async () => {
      await expect(
        keyward.verifiedTrials.start(actor, policyId, { fingerprint: 'pc' }),
      ).rejects.toMatchObject({
        details: { reason: TRIAL_REFUSALS.noTrial },
      });
      await keyward.verifiedTrials.setProfile(actor, policyId, { trialSeconds: 7 * DAY });
      const starts = await Promise.all(
        Array.from({ length: 6 }, () => keyward.verifiedTrials.start(actor, policyId, { fingerprint: 'pc' })),
      );
      expect(new Set(starts.map((s) => s.trial.id)).size).toBe(1);
      clock.advance(3 * DAY);
      const later = await keyward.verifiedTrials.start(actor, policyId, { fingerprint: 'pc' });
      expect(later.isNew).toBe(false);
      expect(later.trial.expiresAt).toEqual(new Date('2030-01-08T00:00:00Z'));
      await expect(
        keyward.verifiedTrials.start(actor, policyId, { fingerprint: 'vm', isVm: true }),
      ).rejects.toMatchObject({ code: 'VM_NOT_ALLOWED' });
    });

    it('redeems an online code at most maxUses times, once per machine, however many arrive at once', async () => {
      const extension = await keyward.verifiedTrials.createExtension(actor, {
        policyId,
        isOnline: true,
        isForVerifiedTrials: false,
        lengthSeconds: 5 * DAY,
        redeemableUntil: new Date('2030-02-01T00:00:00Z'),
        customerRef: null,
        maxUses: 3,
      });
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          keyward.verifiedTrials.redeemExtension(actor, {
            policyId,
            fingerprint: `m${i}`,
            code: extension.code,
          }),
        ),
      );
      const refused = results
        .filter((r) => r.status === 'rejected')
        .map((r) => (r as PromiseRejectedResult).reason);
      expect(refused.every(isDomainError)).toBe(true);
      expect(results.length - refused.length).toBe(3);
      expect((await keyward.verifiedTrials.getExtension(extension.id)).useCount).toBe(3);
      expect(refused[0].details.reason).toBe(TRIAL_REFUSALS.extensionUsedUp);
    });

    it('lengthens a verified trial from its end; refuses reuse, expired codes and codes of other policies', async () => {
      const extension = await keyward.verifiedTrials.createExtension(actor, {
        policyId,
        isOnline: true,
        isForVerifiedTrials: true,
        lengthSeconds: 10 * DAY,
        redeemableUntil: new Date('2030-01-20T00:00:00Z'),
        customerRef: 'c',
        maxUses: 0,
      });
      const redeem = (fingerprint: string) =>
        keyward.verifiedTrials.redeemExtension(actor, { policyId, fingerprint, code: extension.code });
      await expect(redeem('no-trial')).rejects.toMatchObject({
        details: { reason: TRIAL_REFUSALS.noVerifiedTrial },
      });
      const { trial } = await redeem('pc');
      expect(trial).toMatchObject({ expiresAt: new Date('2030-01-18T00:00:00Z'), extensionCount: 1 });
      await expect(redeem('pc')).rejects.toMatchObject({
        details: { reason: TRIAL_REFUSALS.extensionAlreadyRedeemed },
      });
      await expect(
        keyward.verifiedTrials.redeemExtension(actor, {
          policyId: policyId + 1000,
          fingerprint: 'pc',
          code: extension.code,
        }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      clock.set(new Date('2030-01-20T00:00:00Z'));
      await keyward.verifiedTrials.start(actor, policyId, { fingerprint: 'late' });
      await expect(redeem('late')).rejects.toMatchObject({
        details: { reason: TRIAL_REFUSALS.extensionExpired },
      });
    });

    it('offline codes are signed and not redeemable online', async () => {
      const extension = await keyward.verifiedTrials.createExtension(actor, {
        policyId,
        isOnline: false,
        isForVerifiedTrials: false,
        lengthSeconds: DAY,
        redeemableUntil: new Date('2031-01-01T00:00:00Z'),
        customerRef: null,
        maxUses: 9,
      });
      expect(extension).toMatchObject({ maxUses: 0, code: expect.stringMatching(/^KWTX1\.[\w-]+\.[\w-]+$/) });
      await expect(
        keyward.verifiedTrials.redeemExtension(actor, { policyId, fingerprint: 'pc', code: extension.code }),
      ).rejects.toMatchObject({ details: { reason: TRIAL_REFUSALS.extensionOffline } });
    });
  });
}
