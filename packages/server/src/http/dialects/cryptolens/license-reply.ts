import { evaluateLicense } from '../../../core/evaluate-license.js';
import type { License, Machine, Policy } from '../../../core/model.js';
import type { ValidationOutcome } from '../../../core/validation-codes.js';
import type { Answer, CallContext } from './call-context.js';
import { featureLockOf } from './call-context.js';
import { type LicenseFacts, toCryptolensLicense } from './license-object.js';
import { linqSign } from './linq-sign.js';
import { seatHolders } from './lookups.js';
import { licenseStatusOf, metadataOf } from './metadata.js';
import { stringSign } from './string-sign.js';

/** ModelVersion: 1 is the original, 2 adds FriendlyName, 3 adds Reseller, FloatingExpires and all seats. */
export function modelVersionOf(ctx: CallContext): 1 | 2 | 3 {
  const version = ctx.params.int('ModelVersion', 1);
  return version >= 3 ? 3 : version === 2 ? 2 : 1;
}

/** Reads what the license object shows; one query each, in parallel. */
export async function loadFacts(
  ctx: CallContext,
  license: License,
  now: Date,
  known: { policy?: Policy; machines?: Machine[] } = {},
): Promise<LicenseFacts> {
  const { store } = ctx.keyward;
  const [policy, machines, customer, dataObjects, reseller] = await Promise.all([
    known.policy ?? store.policies.findById(license.policyId),
    known.machines ?? seatHolders(ctx, license, now),
    license.customerId !== null ? store.customers.findById(license.customerId) : null,
    store.dataObjects.list({ ownerType: 'license', ownerId: license.id }),
    license.resellerId != null ? store.resellers.findById(license.resellerId) : null,
  ]);
  return { license, policy: policy as Policy, machines, customer, dataObjects, reseller };
}

/**
 * The answer of Activate and GetKey: the license in the requested SignMethod and ModelVersion, signed when
 * asked, with metadata when asked. `outcome` is core's verdict on the license (GetKey already has it from
 * the validation service); without it the license is evaluated here.
 */
export async function licenseAnswer(
  ctx: CallContext,
  facts: LicenseFacts,
  options: { productId: number; currentMachine: Machine | null; now: Date; outcome?: ValidationOutcome },
): Promise<Answer> {
  const { params } = ctx;
  const lock = featureLockOf(ctx.token);
  const fieldsToReturn = lock > 0 ? lock : Math.max(0, params.int('FieldsToReturn', 0));
  const isSigned = params.bool('Sign', false);
  const signer = ctx.keyward.signingKeys.getSigner();
  const license = toCryptolensLicense(facts, {
    productId: options.productId,
    modelVersion: modelVersionOf(ctx),
    fieldsToReturn,
    currentMachine: options.currentMachine,
    signDate: options.now,
  });
  // Off the event loop, and reused only for identical bytes (Signer.signRsaSha256Async).
  const signRsa = isSigned ? (bytes: Buffer) => signer.signRsaSha256Async(bytes) : null;
  const signed =
    params.signMethod() === 'StringSign'
      ? await stringSign(license, signRsa)
      : await linqSign(license, signRsa);
  if (!params.bool('Metadata', false)) return signed;
  const outcome =
    options.outcome ??
    evaluateLicense({
      license: facts.license,
      policy: facts.policy,
      machines: facts.machines,
      scope: { productId: options.productId },
      now: options.now,
    });
  const metadata = metadataOf({
    status: licenseStatusOf(outcome, facts.license, facts.policy, options.now),
    machines: facts.machines,
    floatingTimeInterval: Math.max(0, params.int('FloatingTimeInterval', 0)),
    fieldsToReturn,
    now: options.now,
    signSha512: isSigned ? (bytes) => signer.signRsaSha512(bytes) : null,
  });
  return { ...signed, metadata };
}
