import type { License } from '../../../../core/model.js';
import type { Answer, CallContext, MethodSpec } from '../call-context.js';
import { licenseOf } from '../lookups.js';
import { fail, MESSAGES } from '../messages.js';
import { MAX_DAYS, notesOf } from './key-creation.js';

const DAY_SECONDS = 86_400;

/** A method that changes one license found by ProductId + Key and answers the plain envelope. */
function licenseChange(
  work: (ctx: CallContext, license: License) => Promise<Answer | undefined>,
): MethodSpec {
  return {
    scopes: ['licenses:write'],
    async run(ctx) {
      const { license } = await licenseOf(ctx);
      return (await work(ctx, license)) ?? {};
    },
  };
}

/** key/ExtendLicense: NoOfDays (may be negative) from the current expiry, or from now if it has passed. */
export const extendLicense = licenseChange(async (ctx, { id }) => {
  const days = ctx.params.int('NoOfDays', 0);
  if (Math.abs(days) > MAX_DAYS) return fail(MESSAGES.invalidInput);
  await ctx.keyward.licenses.extend(ctx.actor, id, { seconds: days * DAY_SECONDS });
  return undefined;
});

/** The feature field behind F<n>: the policy's field named f<n> (any case). */
async function featureName(ctx: CallContext, license: License): Promise<string> {
  const feature = ctx.params.int('Feature', 0);
  if (feature < 1 || feature > 8) return fail(MESSAGES.invalidInput);
  const policy = await ctx.keyward.catalog.getPolicy(license.policyId);
  const field = policy.featureFields.find((f) => f.name.toLowerCase() === `f${feature}`);
  if (!field) return fail(MESSAGES.invalidInput);
  return field.name;
}

export const addFeature = licenseChange(async (ctx, license) => {
  const name = await featureName(ctx, license);
  await ctx.keyward.licenses.update(ctx.actor, license.id, { features: { [name]: true } });
  return undefined;
});

export const removeFeature = licenseChange(async (ctx, license) => {
  const name = await featureName(ctx, license);
  await ctx.keyward.licenses.update(ctx.actor, license.id, { features: { [name]: false } });
  return undefined;
});

export const changeNotes = licenseChange(async (ctx, { id }) => {
  await ctx.keyward.licenses.update(ctx.actor, id, { notes: notesOf(ctx) });
  return undefined;
});

/** key/BlockKey and UnblockKey suspend and reinstate; a revoked license stays blocked either way. */
export const blockKey = licenseChange(async (ctx, { id }) => {
  await ctx.keyward.licenses.suspend(ctx.actor, id);
  return undefined;
});

export const unblockKey = licenseChange(async (ctx, { id }) => {
  await ctx.keyward.licenses.reinstate(ctx.actor, id);
  return undefined;
});

/** key/MachineLockLimit: the seat limit of this license (0 = no node-locking). */
export const machineLockLimit = licenseChange(async (ctx, { id }) => {
  const limit = ctx.params.int('NumberOfMachines', -1);
  if (limit < 0) return fail(MESSAGES.invalidInput);
  await ctx.keyward.licenses.update(ctx.actor, id, { overrides: { maxMachines: limit } });
  return undefined;
});

/**
 * key/ChangeCustomer: CustomerId 0 or an unknown customer dissociates, and the message says so. Naming a
 * customer on a license is a change of the license (licenses:write), as in the native API.
 */
export const changeCustomer = licenseChange(async (ctx, { id }) => {
  const asked = ctx.params.id('CustomerId');
  const customerId =
    asked !== null && (await ctx.keyward.customers.exists(ctx.principal, asked)) ? asked : null;
  await ctx.keyward.licenses.update(ctx.actor, id, { customerId });
  return customerId !== null ? undefined : { message: MESSAGES.customerDissociated };
});

/** key/ChangeReseller: like ChangeCustomer, for resellers. */
export const changeReseller = licenseChange(async (ctx, { id }) => {
  const resellerId = ctx.params.id('ResellerId');
  const reseller = resellerId === null ? null : await ctx.keyward.resellers.find(ctx.principal, resellerId);
  await ctx.keyward.licenses.update(ctx.actor, id, { resellerId: reseller?.id ?? null });
  return reseller ? undefined : { message: MESSAGES.resellerDissociated };
});

/**
 * key/TrialActivation: switches trial activation. Core decides the term it restarts in the same transaction
 * (a license without a term of its own gets the Period the client was shown).
 */
export const trialActivation = licenseChange(async (ctx, { id }) => {
  await ctx.keyward.licenses.setTrialActivation(ctx.actor, id, ctx.params.bool('Enabled', false));
  return undefined;
});
