import type { Actor } from '../../../core/access/actor.js';
import type { Principal } from '../../../core/access/principal.js';
import type { ApiTokenRecord } from '../../../core/access/token-ports.js';
import { isDomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import type { LicenseView } from '../../../core/licenses/license-view.js';
import type { License, Machine, Policy, Product } from '../../../core/model.js';
import type { TrialExtension } from '../../../core/trials/trial-model.js';
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
 * One method call: the caller's token, its parameters, and lookups that answer in LimeLM's words. Core's read
 * use cases decide what the token's product or license lock reaches; a target out of reach is reported exactly
 * like a missing one, as LimeLM's "doesn't exist or you don't have access to it" messages say.
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

  /** The key named by `param` as the view every surface renders from, if the token reaches it. */
  async license(param = 'pkey_id', notFound = LIMELM_ERRORS.pkeyIdNotFound): Promise<LicenseView> {
    const id = parseId(this.params.text(param));
    const view = id === null ? null : await this.keyward.licenses.findView(this.principal, id);
    if (!view) throw notFound();
    return view;
  }

  /**
   * The key named by `param`, read as the view every surface renders from: core asks licenses:read and
   * answers a key out of reach as a missing one.
   */
  async readLicense(param = 'pkey_id'): Promise<LicenseView> {
    const id = parseId(this.params.text(param));
    if (id === null) throw LIMELM_ERRORS.pkeyIdNotFound();
    try {
      return await this.keyward.licenses.view(this.principal, id);
    } catch (error) {
      if (isDomainError(error) && error.code === 'LICENSE_NOT_FOUND') throw LIMELM_ERRORS.pkeyIdNotFound();
      throw error;
    }
  }

  /** The license with this key, if the token reaches it. */
  licenseByKey(key: string): Promise<License | null> {
    return this.keyward.licenses.findByKey(this.principal, key);
  }

  /** The views of these keys, as lists show them; keys the token does not reach are left out. */
  views(licenses: License[]): Promise<LicenseView[]> {
    return this.keyward.licenses.viewsOf(this.principal, licenses);
  }

  async policyById(
    id: number | null,
    notFound: () => LimeLmError = LIMELM_ERRORS.versionNotFound,
  ): Promise<Policy> {
    const policy = id === null ? null : await this.keyward.catalog.findPolicy(this.principal, id);
    if (!policy) throw notFound();
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
    const product = id === null ? null : await this.keyward.catalog.findProduct(this.principal, id);
    if (!product) throw LIMELM_ERRORS.productNotFound();
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
    const machine = id === null ? null : await this.keyward.machines.findActivation(this.principal, id);
    if (!machine) throw LIMELM_ERRORS.activationNotFound();
    return machine;
  }

  /**
   * The extension named by `ext_id`, within reach: read (core asks policies:read), or found for a change,
   * whose use case asks its own scope.
   */
  async trialExtension(use: 'read' | 'change'): Promise<TrialExtension> {
    const raw = this.params.text('ext_id');
    if (raw === undefined) throw LIMELM_ERRORS.missingId('ext_id');
    const id = parseId(raw);
    const trials = this.keyward.verifiedTrials;
    const extension =
      id === null
        ? null
        : use === 'read'
          ? await trials.readExtension(this.principal, id)
          : await trials.findExtension(this.principal, id);
    if (!extension) throw LIMELM_ERRORS.extensionNotFound();
    return extension;
  }

  /** Catalog-wide methods are closed to tokens locked to one license. */
  assertCatalogWide(): void {
    if (this.token.licenseId !== null)
      throw LIMELM_ERRORS.invalidApiKey('this key is locked to one product key');
  }
}
