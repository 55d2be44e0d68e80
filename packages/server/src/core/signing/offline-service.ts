import type { Actor } from '../access/actor.js';
import { assertProductAccess, assertScope, policyNotFound } from '../access/principal.js';
import { appReadableFeatures } from '../catalog/app-readable-features.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { MachineService } from '../machines/machine-service.js';
import type { License, Machine } from '../model.js';
import type { Store } from '../ports.js';
import type { VerifiedTrial } from '../trials/trial-model.js';
import type { VerifiedTrialService } from '../trials/verified-trial-service.js';
import {
  type OfflineActivationRequest,
  type OfflineDeactivationRequest,
  type OfflineRequest,
  type OfflineTrialRequest,
  parseOfflineRequest,
  signOfflineResponse,
} from './offline-exchange.js';
import type { Signer } from './signing-keys.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * Activation, deactivation and verified trials for machines without internet, through the offline exchange
 * (offline-exchange.ts). The rules are the online ones: the same MachineService and trial service decide.
 * Surfaces parse the request first and check the caller may reach its license; a trial's policy is checked here.
 */
export class OfflineService {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      machines: MachineService;
      verifiedTrials: VerifiedTrialService;
      signer: () => Signer;
    },
  ) {}

  parse(raw: string): OfflineRequest {
    return parseOfflineRequest(raw, this.deps.clock.now());
  }

  async activate(
    actor: Actor,
    license: License,
    request: OfflineActivationRequest,
  ): Promise<{ response: string; machine: Machine }> {
    assertScope(actor.principal, 'machines:write');
    const result = await this.deps.machines.activate(actor, license.id, {
      fingerprint: request.fingerprint,
      name: request.name ?? null,
      platform: request.platform ?? null,
      isVm: request.isVm,
      username: request.username ?? null,
      userPlatform: request.userPlatform,
    });
    const { machine } = result;
    const active = result.license;
    const response = signOfflineResponse(this.deps.signer(), {
      type: 'activation',
      nonce: request.nonce,
      requestedAt: request.requestedAt.toISOString(),
      issuedAt: this.deps.clock.now().toISOString(),
      license: {
        key: active.key,
        policyId: active.policyId,
        productIds: active.productIds,
        expiresAt: iso(active.expiresAt),
        features: await appReadableFeatures(this.deps.store, active),
      },
      machine: {
        id: machine.id,
        fingerprint: machine.fingerprint,
        activatedAt: machine.createdAt.toISOString(),
        expiresAt: iso(machine.expiresAt),
        leaseExpiresAt: iso(machine.leaseExpiresAt),
      },
    });
    return { response, machine };
  }

  /** The machine must be the request's own: same license, same fingerprint, still active. */
  async deactivate(actor: Actor, license: License, request: OfflineDeactivationRequest): Promise<void> {
    assertScope(actor.principal, 'machines:write');
    const machine = await this.deps.store.machines.findById(request.machineId);
    if (
      !machine ||
      machine.licenseId !== license.id ||
      machine.fingerprint !== request.fingerprint ||
      machine.deactivatedAt
    ) {
      throw new DomainError('MACHINE_NOT_FOUND', 'no active machine of this license matches the request');
    }
    await this.deps.machines.deactivate(actor, machine.id);
  }

  async startVerifiedTrial(
    actor: Actor,
    request: OfflineTrialRequest,
  ): Promise<{ response: string; trial: VerifiedTrial }> {
    assertScope(actor.principal, 'machines:write');
    // A trial belongs to no license, so a license key credential has nothing to answer it with.
    if (actor.principal.kind === 'license')
      throw new DomainError('FORBIDDEN', 'verified trials are answered with a token');
    const policy = await this.deps.store.policies.findById(request.policyId);
    if (!policy) throw policyNotFound(request.policyId);
    assertProductAccess(actor.principal, policy.productId);
    const { trial } = await this.deps.verifiedTrials.start(actor, request.policyId, {
      fingerprint: request.fingerprint,
      platform: request.platform ?? null,
      isVm: request.isVm,
    });
    const response = signOfflineResponse(this.deps.signer(), {
      type: 'verified-trial',
      nonce: request.nonce,
      requestedAt: request.requestedAt.toISOString(),
      issuedAt: this.deps.clock.now().toISOString(),
      trial: {
        id: trial.id,
        policyId: trial.policyId,
        fingerprint: trial.fingerprint,
        startedAt: trial.startedAt.toISOString(),
        expiresAt: trial.expiresAt.toISOString(),
      },
    });
    return { response, trial };
  }
}
