import type { LicenseRelations } from '../../../core/licenses/license-service.js';
import type { LicenseView } from '../../../core/licenses/license-view.js';
import type { License, Machine } from '../../../core/model.js';
import { evaluateLicense } from '../../../core/validation/evaluate-license.js';
import type { ValidationOutcome } from '../../../core/validation/validation-codes.js';
import type { Answer, CallContext } from './call-context.js';
import { featureLockOf } from './call-context.js';
import { toCryptolensLicense } from './license-object.js';
import { type LinqLicenseJson, linqSign, linqSignJson } from './linq-sign.js';
import { licenseStatusOf, metadataOf } from './metadata.js';
import { stringSign } from './string-sign.js';

/** ModelVersion: 1 is the original, 2 adds FriendlyName, 3 adds Reseller, FloatingExpires and all seats. */
export function modelVersionOf(ctx: CallContext): 1 | 2 | 3 {
  const version = ctx.params.int('ModelVersion', 1);
  return version >= 3 ? 3 : version === 2 ? 2 : 1;
}

/** What a license object shows: the license's view, and its customer, reseller and data objects. */
export interface ShownLicense {
  view: LicenseView;
  relations: LicenseRelations;
}

/** What the object of a license just read or written shows, read through core in one round. */
export async function shownLicense(ctx: CallContext, license: License): Promise<ShownLicense> {
  const [view, relations] = await Promise.all([
    ctx.keyward.licenses.viewOf(ctx.principal, license),
    ctx.keyward.licenses.relationsOf(ctx.principal, license),
  ]);
  return { view, relations };
}

/**
 * Core's verdict on a license as its view shows it, for answers that did not validate (Activate's metadata,
 * GetCustomerLicenses): the same rules as every validation, at the view's instant.
 */
export function verdictOf(view: LicenseView, scope: { productId?: number } = {}): ValidationOutcome {
  return evaluateLicense({
    license: view.license,
    policy: view.policy,
    machines: [...view.seatHolders, ...view.lapsedLeases],
    scope,
    now: view.now,
  });
}

/**
 * The answer of Activate and GetKey: the license in the requested SignMethod and ModelVersion, signed at the
 * view's instant when asked, with metadata when asked. `outcome` is core's verdict on the license (GetKey
 * already has it from the validation service); without it the view is evaluated here.
 */
export async function licenseAnswer(
  ctx: CallContext,
  { view, relations }: ShownLicense,
  options: { productId: number; currentMachine: Machine | null; outcome?: ValidationOutcome },
): Promise<Answer> {
  const { params } = ctx;
  const lock = featureLockOf(ctx.token);
  const fieldsToReturn = lock > 0 ? lock : Math.max(0, params.int('FieldsToReturn', 0));
  const isSigned = params.bool('Sign', false);
  const signer = ctx.keyward.signingKeys.getSigner();
  const license = toCryptolensLicense(view, relations, {
    productId: options.productId,
    modelVersion: modelVersionOf(ctx),
    fieldsToReturn,
    currentMachine: options.currentMachine,
  });
  // Off the event loop, and reused only for identical bytes (Signer.signRsaSha256Async).
  const signRsa = isSigned ? (bytes: Buffer) => signer.signRsaSha256Async(bytes) : null;
  const signed =
    params.signMethod() === 'StringSign'
      ? await stringSign(license, signRsa)
      : await linqSign(license, signRsa);
  if (!params.bool('Metadata', false)) return signed;
  const metadata = metadataOf({
    status: licenseStatusOf(options.outcome ?? verdictOf(view, { productId: options.productId }), view),
    seats: view,
    floatingTimeInterval: Math.max(0, params.int('FloatingTimeInterval', 0)),
    fieldsToReturn,
    now: view.now,
    signSha512: isSigned ? (bytes) => signer.signRsaSha512(bytes) : null,
  });
  return { ...signed, metadata };
}

/** A license object as back-office lists show it (GetKeys, GetCustomerLicenses): unsigned, every field shown. */
export function listedLicense(
  { view, relations }: ShownLicense,
  options: { productId: number; modelVersion: 1 | 3 },
): LinqLicenseJson {
  return linqSignJson(
    toCryptolensLicense(view, relations, { ...options, fieldsToReturn: 0, currentMachine: null }),
  );
}
