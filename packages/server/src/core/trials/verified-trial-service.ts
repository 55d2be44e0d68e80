import { randomBytes } from 'node:crypto';
import type { Actor } from '../access/actor.js';
import { assertScope, type Principal } from '../access/principal.js';
import { canReachPolicy } from '../catalog/policy-reach.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { generateLicenseKey } from '../licenses/license-key.js';
import { checkFingerprint, machineIp } from '../machines/machine-identity.js';
import type { Policy } from '../model.js';
import type { Paged } from '../paged.js';
import type { Repositories, Store } from '../ports.js';
import type { Signer } from '../signing/signing-keys.js';
import { stripUndefined } from '../strip-undefined.js';
import type { PolicyProfile, TrialExtension, VerifiedTrial } from './trial-model.js';

/** Online extension codes look like license keys: easy to type, 28 random characters (140 bits). */
export const ONLINE_EXTENSION_FORMAT = 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX';
/** Offline extension codes: `KWTX1.<base64url payload>.<base64url Ed25519 signature>`. */
export const OFFLINE_EXTENSION_PREFIX = 'KWTX1.';
/** The signature covers this text followed by the base64url payload, so it cannot pass for another message. */
export const OFFLINE_EXTENSION_CONTEXT = 'keyward-trial-extension.v1.';
export const MAX_TRIAL_SECONDS = 100 * 365 * 86_400;

export const TRIAL_REFUSALS = {
  noTrial: 'NO_TRIAL',
  extensionExpired: 'EXTENSION_EXPIRED',
  extensionUsedUp: 'EXTENSION_USED_UP',
  extensionAlreadyRedeemed: 'EXTENSION_ALREADY_REDEEMED',
  extensionOffline: 'EXTENSION_OFFLINE',
  noVerifiedTrial: 'NO_VERIFIED_TRIAL',
} as const;

export interface TrialMachine {
  fingerprint: string;
  ip?: string | null | undefined;
  platform?: string | null | undefined;
  isVm?: boolean | undefined;
}

export interface ExtensionInput {
  policyId: number;
  isOnline: boolean;
  isForVerifiedTrials: boolean;
  lengthSeconds: number;
  redeemableUntil: Date;
  customerRef: string | null;
  /** 0 = unlimited; ignored for offline codes, which cannot be counted. */
  maxUses: number;
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

const defaultProfile = (policyId: number): PolicyProfile => ({
  policyId,
  trialSeconds: 0,
  whereIsKey: null,
  buyUrl: null,
});

/**
 * Trials before purchase: each policy's profile (trial length, where-is-my-key text, buy link), verified
 * trials recorded per machine so they never restart, and extension codes with exact use counts.
 */
export class VerifiedTrialService {
  constructor(private readonly deps: { store: Store; clock: Clock; signer: () => Signer }) {}

  private async policy(tx: Repositories, policyId: number): Promise<Policy> {
    const policy = await tx.policies.findById(policyId);
    if (!policy)
      throw new DomainError('NOT_FOUND', `policy ${policyId} does not exist`, { field: 'policyId' });
    return policy;
  }

  async getProfile(policyId: number): Promise<PolicyProfile> {
    await this.policy(this.deps.store, policyId);
    return (await this.deps.store.policyProfiles.find(policyId)) ?? defaultProfile(policyId);
  }

  async setProfile(
    actor: Actor,
    policyId: number,
    changes: Partial<Omit<PolicyProfile, 'policyId'>>,
  ): Promise<PolicyProfile> {
    assertScope(actor.principal, 'policies:write');
    const { trialSeconds } = changes;
    if (
      trialSeconds !== undefined &&
      !(Number.isInteger(trialSeconds) && trialSeconds >= 0 && trialSeconds <= MAX_TRIAL_SECONDS)
    ) {
      throw new DomainError('INVALID_INPUT', 'trialSeconds is 0 (no trial) up to 100 years', {
        field: 'trialSeconds',
      });
    }
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const policy = await this.policy(tx, policyId);
      const current = (await tx.policyProfiles.find(policyId)) ?? defaultProfile(policyId);
      const profile = await tx.policyProfiles.upsert({ ...current, ...stripUndefined(changes), policyId });
      await tx.events.append(
        newEvent(
          'policy.profile_updated',
          actor,
          now,
          { productId: policy.productId },
          { policyId, changes },
        ),
      );
      return profile;
    });
  }

  /**
   * Starts the machine's verified trial of the policy, or returns the one it already has: a machine's trial
   * never restarts, which is what makes it "verified".
   */
  async start(
    actor: Actor,
    policyId: number,
    machine: TrialMachine,
  ): Promise<{ trial: VerifiedTrial; isNew: boolean }> {
    assertScope(actor.principal, 'machines:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const policy = await this.policy(tx, policyId);
      const existing = await tx.verifiedTrials.find(policyId, machine.fingerprint);
      if (existing) return { trial: existing, isNew: false };
      checkFingerprint(machine.fingerprint);
      const profile = (await tx.policyProfiles.find(policyId)) ?? defaultProfile(policyId);
      if (profile.trialSeconds === 0) {
        throw new DomainError('CONFLICT', 'the policy offers no trial', { reason: TRIAL_REFUSALS.noTrial });
      }
      if (machine.isVm && !policy.allowVm) {
        throw new DomainError('VM_NOT_ALLOWED', 'the policy may not be used inside a virtual machine');
      }
      const trial = await tx.verifiedTrials.insertIfMissing({
        policyId,
        fingerprint: machine.fingerprint,
        ip: machineIp(machine.ip),
        platform: machine.platform ?? null,
        isVm: machine.isVm ?? false,
        startedAt: now,
        expiresAt: addSeconds(now, profile.trialSeconds),
        extensionCount: 0,
      });
      await tx.events.append(
        newEvent(
          'trial.started',
          actor,
          now,
          { productId: policy.productId },
          { policyId, trialId: trial.id },
        ),
      );
      return { trial, isNew: true };
    });
  }

  /**
   * A page of the verified trials of these policies (null: all of them), for a caller holding policies:read.
   * The caller names the policies it reaches (catalog.reachablePolicyIds).
   */
  async searchTrials(
    principal: Principal | null,
    filter: { policyIds: number[] | null; startedFrom?: Date | undefined; startedBefore?: Date | undefined },
    page: { offset: number; limit: number },
  ): Promise<Paged<VerifiedTrial>> {
    assertScope(principal, 'policies:read');
    return this.deps.store.verifiedTrials.search(filter, page);
  }

  async createExtension(actor: Actor, input: ExtensionInput): Promise<TrialExtension> {
    assertScope(actor.principal, 'policies:write');
    const now = this.deps.clock.now();
    if (
      !(
        Number.isInteger(input.lengthSeconds) &&
        input.lengthSeconds >= 1 &&
        input.lengthSeconds <= MAX_TRIAL_SECONDS
      )
    ) {
      throw new DomainError('INVALID_INPUT', 'an extension lengthens a trial by 1 second to 100 years', {
        field: 'lengthSeconds',
      });
    }
    if (input.redeemableUntil <= now) {
      throw new DomainError('INVALID_INPUT', 'the code must stay redeemable past now', {
        field: 'redeemableUntil',
      });
    }
    if (!(Number.isInteger(input.maxUses) && input.maxUses >= 0 && input.maxUses <= 2_000_000_000)) {
      throw new DomainError('INVALID_INPUT', 'maxUses is 0 (unlimited) or more', { field: 'maxUses' });
    }
    return this.deps.store.transaction(async (tx) => {
      const policy = await this.policy(tx, input.policyId);
      const code = input.isOnline ? await this.uniqueOnlineCode(tx) : this.offlineCode(input);
      const extension = await tx.trialExtensions.insert({
        ...input,
        code,
        maxUses: input.isOnline ? input.maxUses : 0,
        useCount: 0,
        createdAt: now,
      });
      await tx.events.append(
        newEvent(
          'trial_extension.created',
          actor,
          now,
          { productId: policy.productId },
          { policyId: policy.id, extensionId: extension.id, isOnline: extension.isOnline },
        ),
      );
      return extension;
    });
  }

  private async uniqueOnlineCode(tx: Repositories): Promise<string> {
    for (;;) {
      const code = generateLicenseKey(ONLINE_EXTENSION_FORMAT);
      if (!(await tx.trialExtensions.findByCode(code))) return code;
    }
  }

  /** The terms travel in the code, signed, so an app holding the public key checks it without the server. */
  private offlineCode(input: ExtensionInput): string {
    const payload = Buffer.from(
      JSON.stringify({
        policyId: input.policyId,
        lengthSeconds: input.lengthSeconds,
        redeemableUntil: input.redeemableUntil.toISOString(),
        isForVerifiedTrials: input.isForVerifiedTrials,
        serial: randomBytes(12).toString('base64url'),
      }),
    ).toString('base64url');
    const signature = Buffer.from(
      this.deps.signer().signEd25519(`${OFFLINE_EXTENSION_CONTEXT}${payload}`),
      'base64',
    ).toString('base64url');
    return `${OFFLINE_EXTENSION_PREFIX}${payload}.${signature}`;
  }

  async getExtension(id: number): Promise<TrialExtension> {
    const extension = await this.deps.store.trialExtensions.findById(id);
    if (!extension) throw new DomainError('NOT_FOUND', `trial extension ${id} does not exist`);
    return extension;
  }

  /** An extension of a policy the caller reaches (policy-reach.ts); null otherwise, as for a missing one. */
  async findExtension(principal: Principal | null, id: number): Promise<TrialExtension | null> {
    const { store } = this.deps;
    const extension = await store.trialExtensions.findById(id);
    const policy = extension && (await store.policies.findById(extension.policyId));
    return policy && (await canReachPolicy(store, principal, policy)) ? extension : null;
  }

  /** The extension, read with policies:read by a caller reaching its policy; null otherwise, as for a missing one. */
  async readExtension(principal: Principal | null, id: number): Promise<TrialExtension | null> {
    assertScope(principal, 'policies:read');
    return this.findExtension(principal, id);
  }

  /** The policy's extension with this code, read with policies:read within reach; null otherwise. */
  async readExtensionByCode(
    principal: Principal | null,
    policyId: number,
    code: string,
  ): Promise<TrialExtension | null> {
    assertScope(principal, 'policies:read');
    const extension = await this.deps.store.trialExtensions.findByCode(code);
    if (!extension || extension.policyId !== policyId) return null;
    return this.findExtension(principal, extension.id);
  }

  /** The policy's extensions (of one customer when named), read with policies:read; none out of reach. */
  async listExtensions(
    principal: Principal | null,
    policyId: number,
    customerRef?: string,
  ): Promise<TrialExtension[]> {
    assertScope(principal, 'policies:read');
    const policy = await this.deps.store.policies.findById(policyId);
    if (!policy || !(await canReachPolicy(this.deps.store, principal, policy))) return [];
    return this.deps.store.trialExtensions.list({ policyId, customerRef });
  }

  async deleteExtension(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'policies:write');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const extension = await tx.trialExtensions.findById(id);
      if (!extension || !(await tx.trialExtensions.delete(id))) {
        throw new DomainError('NOT_FOUND', `trial extension ${id} does not exist`);
      }
      const policy = await this.policy(tx, extension.policyId);
      await tx.events.append(
        newEvent('trial_extension.deleted', actor, now, { productId: policy.productId }, { extensionId: id }),
      );
    });
  }

  /**
   * Redeems an online code for a machine: counted exactly (one conditional update), once per machine. A
   * machine with a verified trial gets it lengthened (from its end, or from now if it ended); codes for
   * unverified trials only count the use, the app lengthens its local trial itself.
   */
  async redeemExtension(
    actor: Actor,
    input: { policyId: number; fingerprint: string; code: string },
  ): Promise<{ extension: TrialExtension; trial: VerifiedTrial | null }> {
    assertScope(actor.principal, 'machines:write');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const extension = await tx.trialExtensions.findByCode(input.code);
      if (!extension || extension.policyId !== input.policyId) {
        throw new DomainError('NOT_FOUND', 'no trial extension of this policy has this code');
      }
      const refuse = (reason: string, message: string): never => {
        throw new DomainError('CONFLICT', message, { reason });
      };
      if (!extension.isOnline)
        refuse(TRIAL_REFUSALS.extensionOffline, 'offline codes are checked by the app, not redeemed');
      if (extension.redeemableUntil <= now) refuse(TRIAL_REFUSALS.extensionExpired, 'the code has expired');
      const trial = await tx.verifiedTrials.find(input.policyId, input.fingerprint);
      if (extension.isForVerifiedTrials && !trial) {
        throw new DomainError('NOT_FOUND', 'the machine has no verified trial of this policy', {
          reason: TRIAL_REFUSALS.noVerifiedTrial,
        });
      }
      if (!(await tx.trialExtensions.addRedemption(extension.id, input.fingerprint, now)))
        refuse(TRIAL_REFUSALS.extensionAlreadyRedeemed, 'this machine already redeemed the code');
      if (!(await tx.trialExtensions.countUse(extension.id)))
        refuse(TRIAL_REFUSALS.extensionUsedUp, 'the code has been used up');
      const extended = trial
        ? await tx.verifiedTrials.update(trial.id, {
            expiresAt: addSeconds(trial.expiresAt > now ? trial.expiresAt : now, extension.lengthSeconds),
            extensionCount: trial.extensionCount + 1,
          })
        : null;
      const policy = await this.policy(tx, input.policyId);
      await tx.events.append(
        newEvent(
          'trial.extended',
          actor,
          now,
          { productId: policy.productId },
          { extensionId: extension.id, trialId: extended?.id ?? null },
        ),
      );
      return { extension: { ...extension, useCount: extension.useCount + 1 }, trial: extended };
    });
  }
}
