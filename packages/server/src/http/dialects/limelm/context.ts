import type { Actor } from '../../../core/actor.js';
import type { Keyward } from '../../../core/keyward.js';
import type { License, Machine, Policy, Product } from '../../../core/model.js';
import { holdsSeat } from '../../../core/model.js';
import { canAccessLicense, canAccessProduct, type Principal } from '../../../core/principal.js';
import type { ApiTokenRecord } from '../../../core/token-ports.js';
import type { TrialExtension } from '../../../core/trial-model.js';
import { LIMELM_ERRORS, type LimeLmError } from './errors.js';
import type { Params } from './transport/params.js';

const MAX_ID = 2_147_483_647;

/** Ids are opaque strings to LimeLM clients (spec §1.2); Keyward's are positive integers. */
export function parseId(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return null;
  const id = Number(value);
  return id >= 1 && id <= MAX_ID ? id : null;
}

/**
 * One method call: the caller's token, its parameters, and lookups that answer in LimeLM's words. A target
 * the token's product or license lock does not reach is reported exactly like a missing one, as LimeLM's
 * "doesn't exist or you don't have access to it" messages say.
 */
export class MethodContext {
  readonly principal: Principal;

  constructor(
    readonly keyward: Keyward,
    readonly token: ApiTokenRecord,
    readonly params: Params,
    readonly actor: Actor,
  ) {
    this.principal = { kind: 'token', token };
  }

  now(): Date {
    return this.keyward.clock.now();
  }

  async license(param = 'pkey_id', notFound = LIMELM_ERRORS.pkeyIdNotFound): Promise<License> {
    const id = parseId(this.params.text(param));
    const license = id === null ? null : await this.keyward.store.licenses.findById(id);
    if (!license || !canAccessLicense(this.principal, license)) throw notFound();
    return license;
  }

  /** The license with this key, if the token reaches it. */
  async licenseByKey(key: string): Promise<License | null> {
    const license = await this.keyward.store.licenses.findByKey(key);
    return license && canAccessLicense(this.principal, license) ? license : null;
  }

  /** A token locked to one license reaches only that license's policy. */
  canReachPolicy(policy: Policy, lockedLicense: License | null): boolean {
    if (!canAccessProduct(this.principal, policy.productId)) return false;
    return this.token.licenseId === null || lockedLicense?.policyId === policy.id;
  }

  private async lockedLicense(): Promise<License | null> {
    return this.token.licenseId === null ? null : this.keyward.store.licenses.findById(this.token.licenseId);
  }

  async policyById(
    id: number | null,
    notFound: () => LimeLmError = LIMELM_ERRORS.versionNotFound,
  ): Promise<Policy> {
    const policy = id === null ? null : await this.keyward.store.policies.findById(id);
    if (!policy || !this.canReachPolicy(policy, await this.lockedLicense())) throw notFound();
    return policy;
  }

  /** The version (policy) named by `param`: 108 when absent, 109 when missing or out of reach. */
  async policy(param = 'version_id'): Promise<Policy> {
    const raw = this.params.text(param);
    if (raw === undefined) throw LIMELM_ERRORS.missingId('version id');
    return this.policyById(parseId(raw));
  }

  /** Like policy(), but undefined when the parameter is absent. */
  async optionalPolicy(param = 'version_id'): Promise<Policy | undefined> {
    return this.params.text(param) === undefined ? undefined : this.policy(param);
  }

  async product(param = 'prod_id'): Promise<Product> {
    const raw = this.params.text(param);
    if (raw === undefined) throw LIMELM_ERRORS.missingId('product id');
    const id = parseId(raw);
    const product = id === null ? null : await this.keyward.store.products.findById(id);
    if (!product || !canAccessProduct(this.principal, product.id) || this.token.licenseId !== null)
      throw LIMELM_ERRORS.productNotFound();
    return product;
  }

  async optionalProduct(param = 'prod_id'): Promise<Product | undefined> {
    return this.params.text(param) === undefined ? undefined : this.product(param);
  }

  /** An active machine ("activation") of a license the token reaches. */
  async activation(param = 'act_id'): Promise<Machine> {
    const raw = this.params.text(param);
    if (raw === undefined) throw LIMELM_ERRORS.missingId('act_id');
    const id = parseId(raw);
    const machine = id === null ? null : await this.keyward.store.machines.findById(id);
    const license = machine ? await this.keyward.store.licenses.findById(machine.licenseId) : null;
    if (!machine || machine.deactivatedAt || !license || !canAccessLicense(this.principal, license))
      throw LIMELM_ERRORS.activationNotFound();
    return machine;
  }

  async trialExtension(param = 'ext_id'): Promise<TrialExtension> {
    const raw = this.params.text(param);
    if (raw === undefined) throw LIMELM_ERRORS.missingId('ext_id');
    const id = parseId(raw);
    const extension = id === null ? null : await this.keyward.store.trialExtensions.findById(id);
    if (!extension) throw LIMELM_ERRORS.extensionNotFound();
    await this.policyById(extension.policyId, LIMELM_ERRORS.extensionNotFound);
    return extension;
  }

  /** Machines holding a seat right now: LimeLM's "used activations". */
  async activeMachines(license: License): Promise<Machine[]> {
    const now = this.now();
    return (await this.keyward.store.machines.listActive(license.id)).filter((m) => holdsSeat(m, now));
  }

  /** Catalog-wide methods are closed to tokens locked to one license. */
  assertCatalogWide(): void {
    if (this.token.licenseId !== null)
      throw LIMELM_ERRORS.invalidApiKey('this key is locked to one product key');
  }
}
