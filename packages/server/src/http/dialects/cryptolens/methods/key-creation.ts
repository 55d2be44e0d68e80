import { isMethodAllowed } from '../../../../core/access/method-lock.js';
import { mayReachCustomers } from '../../../../core/access/principal.js';
import { hasScope } from '../../../../core/access/scopes.js';
import { isDomainError } from '../../../../core/domain-error.js';
import { type LicenseInput, MAX_BATCH } from '../../../../core/licenses/license-service.js';
import type { Policy } from '../../../../core/model.js';
import { MAX_TRIAL_FINGERPRINT_LENGTH } from '../../../../core/trials/trial-service.js';
import { type CallContext, featureLockOf, type MethodSpec } from '../call-context.js';
import { boundedText, productOf } from '../lookups.js';
import { fail, MESSAGES } from '../messages.js';

const DAY_SECONDS = 86_400;
const DEFAULT_TRIAL_DAYS = 15;
/** A century: longer terms are no licenses' and would leave what dates can hold. */
export const MAX_DAYS = 36_500;
export const MAX_NOTES = 500;
const MAX_CUSTOMER_FIELD = 100;

/** The policy a Cryptolens product's new keys get; core makes the standard ones for a product without any. */
async function policyOf(ctx: CallContext, productId: number, kind: 'regular' | 'trial'): Promise<Policy> {
  try {
    return await ctx.keyward.standardPolicies.policyFor(ctx.actor, productId, kind);
  } catch (error) {
    if (isDomainError(error) && error.code === 'NOT_FOUND') return fail(MESSAGES.productNotFound);
    throw error;
  }
}

export function notesOf(ctx: CallContext): string | null {
  const notes = ctx.params.nullableString('Notes');
  if (notes !== null && notes.length > MAX_NOTES) return fail(MESSAGES.notesTooLong);
  return notes;
}

/** F1…F8 map to the policy's features named f1…f8; a flag the policy does not define can only be false. */
function flagsOf(ctx: CallContext, policy: Policy): Record<string, boolean> {
  const features: Record<string, boolean> = {};
  for (let n = 1; n <= 8; n++) {
    if (!ctx.params.has(`F${n}`)) continue;
    const value = ctx.params.bool(`F${n}`, false);
    const field = policy.featureFields.find((f) => f.name.toLowerCase() === `f${n}`);
    if (field) features[field.name] = value;
    else if (value) fail(MESSAGES.invalidInput);
  }
  return features;
}

export const machineCodes = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** NewCustomer and AddOrUseExistingCustomer need the AddCustomer permission too. */
function newCustomerOf(ctx: CallContext) {
  const { params, token } = ctx;
  const isNew = params.bool('NewCustomer', false);
  const reuseByEmail = params.bool('AddOrUseExistingCustomer', false);
  if (!isNew && !reuseByEmail) return null;
  if (params.id('CustomerId') !== null) return fail(MESSAGES.invalidInput);
  const mayAdd =
    hasScope(token.scopes, 'customers:write') &&
    isMethodAllowed(ctx.principal, 'customer/addcustomer') &&
    mayReachCustomers(ctx.principal);
  if (!mayAdd) return fail(MESSAGES.addCustomerPermission);
  const name = params.string('Name');
  const email = params.nullableString('Email');
  const company = params.nullableString('CompanyName');
  if (name.length > MAX_CUSTOMER_FIELD) return fail(MESSAGES.customerNameTooLong);
  if (email !== null && email.length > MAX_CUSTOMER_FIELD) return fail(MESSAGES.customerEmailTooLong);
  if (company !== null && company.length > MAX_CUSTOMER_FIELD) return fail(MESSAGES.customerCompanyTooLong);
  return { name, email, company, reuseByEmail: reuseByEmail && !isNew };
}

/**
 * key/CreateKey: NoOfKeys licenses on the product's regular policy. Period days set the expiry (0 makes a
 * perpetual license), MaxNoOfMachines overrides the seat limit (absent inherits the policy's), Block creates
 * them suspended. With NewCustomer they get a new customer — or, with AddOrUseExistingCustomer, the one with
 * that email — in the same transaction.
 */
export const createKey: MethodSpec = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const { params } = ctx;
    const productId = await productOf(ctx);
    const notes = notesOf(ctx);
    const count = params.int('NoOfKeys', 1);
    const period = params.int('Period', 0);
    if (count < 1 || count > MAX_BATCH || period < 0 || period > MAX_DAYS) return fail(MESSAGES.invalidInput);
    const newCustomer = newCustomerOf(ctx);
    const customerId = params.id('CustomerId');
    const resellerId = params.id('ResellerId');
    if (resellerId !== null && !(await ctx.keyward.resellers.find(ctx.principal, resellerId))) {
      return fail(MESSAGES.invalidInput);
    }
    const policy = await policyOf(ctx, productId, 'regular');
    const now = ctx.keyward.clock.now();
    const input: LicenseInput = {
      customerId,
      notes,
      resellerId,
      features: flagsOf(ctx, policy),
      isSuspended: params.bool('Block', false),
      hasTrialActivation: params.bool('TrialActivation', false),
      allowedMachines: machineCodes(params.string('AllowedMachines')),
      ...(params.has('Period')
        ? period > 0
          ? {
              expiresAt: new Date(now.getTime() + period * DAY_SECONDS * 1000),
              termSeconds: period * DAY_SECONDS,
            }
          : { expiresAt: null }
        : {}),
      ...(params.has('MaxNoOfMachines')
        ? { overrides: { maxMachines: Math.max(0, params.int('MaxNoOfMachines', 0)) } }
        : {}),
    };
    let assignedCustomerId: number | null = null;
    const licenses = await ctx.keyward.licenses
      .createMany(
        ctx.actor,
        policy.id,
        Array.from({ length: count }, () => input),
        newCustomer
          ? async (tx, created, _policy, at) => {
              const assigned = await ctx.keyward.customers.assignToNewLicenses(tx, ctx.actor, at, created, {
                ...newCustomer,
                name: newCustomer.name,
              });
              assignedCustomerId = assigned.customer.id;
              return assigned.licenses;
            }
          : undefined,
      )
      .catch((error: unknown) => {
        // Core decides who may name a customer; only the wording of "no such customer" is the vendor's.
        if (isDomainError(error) && error.code === 'NOT_FOUND' && error.details.field === 'customerId')
          return fail(MESSAGES.customerNotFound);
        throw error;
      });
    return {
      key: licenses[0]?.key,
      ...(count > 1 ? { keys: licenses.map((l) => l.key) } : {}),
      ...(assignedCustomerId !== null ? { customerId: assignedCustomerId } : {}),
    };
  },
};

/**
 * key/CreateTrialKey: the machine's trial key — the existing one while it is still a trial, else a new
 * time-limited key node-locked to the machine. It lasts 15 days, or the token's feature lock in days.
 */
export const createTrialKey: MethodSpec = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const productId = await productOf(ctx);
    const machineCode = ctx.params.nullableString('MachineCode');
    if (machineCode === null || machineCode.trim() === '') return fail(MESSAGES.machineCodeNull);
    if (machineCode.length > MAX_TRIAL_FINGERPRINT_LENGTH) return fail(MESSAGES.machineCodeTooLong);
    const lock = featureLockOf(ctx.token);
    const days = lock > 0 ? lock : DEFAULT_TRIAL_DAYS;
    if (days > MAX_DAYS) return fail(MESSAGES.invalidInput);
    await policyOf(ctx, productId, 'trial');
    try {
      const { license } = await ctx.keyward.trials.trialFor(ctx.actor, {
        productId,
        fingerprint: machineCode,
        name: boundedText(ctx, 'FriendlyName', 1024),
        durationSeconds: days * DAY_SECONDS,
      });
      return { key: license.key };
    } catch (error) {
      if (isDomainError(error) && error.code === 'CONFLICT') return fail(MESSAGES.trialUsed);
      throw error;
    }
  },
};

/**
 * key/CreateKeyFromTemplate: one license from a license template (managed through the native API). A token
 * with a feature lock may only use the template whose id it names; core refuses one whose product or key
 * locks exclude the template ("Access denied.").
 */
export const createKeyFromTemplate: MethodSpec = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const templateId = ctx.params.id('LicenseTemplateId');
    const lock = featureLockOf(ctx.token);
    if (lock > 0 && lock !== templateId) return fail(MESSAGES.templateFeatureLock);
    const template =
      templateId === null ? null : await ctx.keyward.licenseTemplates.find(ctx.principal, templateId);
    if (!template) return fail(MESSAGES.templateNotFound);
    const license = await ctx.keyward.licenseTemplates.createLicense(ctx.actor, template.id);
    return { key: license.key, rawResponse: null };
  },
};
