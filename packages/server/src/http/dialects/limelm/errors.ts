import { TOKEN_REFUSALS } from '../../../core/access/token-limits.js';
import { FEATURE_FIELD_REFUSALS } from '../../../core/catalog/feature-field-service.js';
import { FEATURE_NAME_RULE } from '../../../core/catalog/feature-name.js';
import { type DomainError, type ErrorCode, isDomainError } from '../../../core/domain-error.js';
import { LICENSE_CHANGE_REFUSALS } from '../../../core/licenses/license-change-checks.js';
import { OFFLINE_REQUEST_INVALID } from '../../../core/signing/offline-exchange.js';
import { TRIAL_REFUSALS } from '../../../core/trials/verified-trial-service.js';

/** A failure in LimeLM's terms: a numeric code and its message, answered with HTTP 200 (spec §1.3–1.4). */
export class LimeLmError extends Error {
  override readonly name = 'LimeLmError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const fail = (code: number, message: string) => new LimeLmError(code, message);

/**
 * The vendor's codes with the vendor's words (spec §3, seed), and Keyward's own codes 190–199 for refusals
 * the vendor has no documented code for (README, "Error codes"). Where one code has several texts, the one
 * matching the method is chosen at the call.
 */
export const LIMELM_ERRORS = {
  pkeyIdNotFound: () => fail(1, 'Invalid pkey_id - product key not found.'),
  pkeyNotFound: () => fail(1, 'Product key not found.'),
  invalidApiKey: (detail?: string) => fail(100, detail ? `Invalid API Key: ${detail}` : 'Invalid API Key'),
  methodNotFound: (method: string) => fail(101, `Method "${method}" not found`),
  versionIdInvalid: () => fail(103, 'Product version id is invalid.'),
  revoked: () => fail(105, 'Product key has been revoked.'),
  maxComputers: () => fail(106, 'This product key has been used on the max number of computers.'),
  missingId: (what: string) => fail(108, `The ${what} is missing.`),
  versionNotFound: () => fail(109, "The version doesn't exist or you don't have access to it."),
  productNotFound: () => fail(109, "The product doesn't exist or you don't have access to it."),
  noActivity: () => fail(109, 'No activity results found for the parameters specified.'),
  activationsLeft: (n: number) => fail(110, `You only have ${n} activations left in your plan.`),
  noActivationsLeft: () => fail(111, 'You have no more activations left in your plan.'),
  emailMissing: () => fail(112, 'The email address is missing.'),
  featureCountMismatch: () => fail(116, 'There must be equal amount of features as feature values.'),
  featureRequired: (name: string) =>
    fail(117, `You must enter a value for the feature "${name}". It's a required feature.`),
  dormant: () => fail(118, 'Your account is in dormant mode. Re-enable your account.'),
  pkeyMissing: () => fail(119, 'The product key is missing.'),
  actsBelowUsed: () =>
    fail(120, 'The number of activations allowed must be greater than or equal to the used activations.'),
  lengthMissing: () => fail(121, 'You must specify the length of the trial using the "length" parameter.'),
  expiresInvalid: () => fail(122, 'You must specify an "expires" date that is greater than today.'),
  activationRequestInvalid: () => fail(124, 'Activation request XML is missing or invalid.'),
  trialRequestInvalid: () => fail(124, 'Verified trial request XML is missing or invalid.'),
  featureNameInvalid: () =>
    fail(125, `The "name" parameter must exist and follow the rule: ${FEATURE_NAME_RULE}.`),
  nameInvalid: () =>
    fail(125, 'The "name" parameter must exist and it must be less than 255 characters long.'),
  featureExists: () => fail(126, 'Please enter a new feature name (FeatureName already exists).'),
  productExists: () => fail(126, 'Please enter a new product name (ProductName already exists).'),
  featureNotFound: () => fail(127, "The feature doesn't exist or you don't have access to it."),
  activationNotFound: () => fail(128, "The activation doesn't exist or you don't have access to it."),
  extensionNotFound: () => fail(135, "The trial extension doesn't exist or you don't have access to it."),
  noExtensions: () => fail(136, 'No trial extensions were found for the customer ID.'),
  unavailable: (detail?: string) =>
    fail(142, detail ? `Service currently unavailable: ${detail}` : 'Service currently unavailable'),
  noTrialPermission: () =>
    fail(
      143,
      'You do not have permission to view or manually activate verified trials or the ability to create, edit, and delete trial extensions. Contact your account administrator(s).',
    ),
  extensionMissing: () => fail(144, 'The trial extension is missing.'),
  kindChangeWithActivations: () =>
    fail(
      153,
      "You can't change from a TurboActivate key to a TurboFloat key (or vice versa) when the key has existing activations. Remove the existing activations from the key or don't change the key type.",
    ),
  addressLimit: (max: number) =>
    fail(
      164,
      max === 1
        ? 'An API key must be used by a single device.'
        : `An API key must be used by ${max} devices.`,
    ),
  addressRefused: (detail: string) => fail(164, `This API key may not be used from this address: ${detail}.`),
  postOnly: () => fail(168, 'LimeLM web API only supports POST over HTTPS.'),
  // Keyward's own codes.
  invalidParameter: (detail: string) => fail(190, `Invalid parameter: ${detail}`),
  noDeactivationsLeft: () => fail(191, 'This product key has no deactivations left.'),
  expired: () => fail(192, 'Product key has expired.'),
  vmNotAllowed: () => fail(193, 'This product key cannot be used inside a virtual machine.'),
  usernameNotAllowed: () => fail(194, 'This user is not allowed to use the product key.'),
  noTrial: () => fail(195, 'This version does not offer a trial.'),
  extensionRefused: (detail: string) => fail(196, `The trial extension cannot be redeemed: ${detail}`),
} as const;

export const invalidParameter = LIMELM_ERRORS.invalidParameter;

/** What a method says for failures whose wording depends on the method. */
export interface ErrorContext {
  /** NOT_FOUND from core (a version, product, feature, extension the method looked up). */
  notFound?: () => LimeLmError;
  /** The token lacks the method's scope (trial methods answer 143). */
  scopeRefused?: () => LimeLmError;
  /** An offline request core could not read. */
  badRequest?: () => LimeLmError;
}

const reasonOf = (error: DomainError) => error.details.reason;

/** Every core failure code in LimeLM terms; the compiler checks the table is complete. */
const DOMAIN_ERRORS: Record<ErrorCode, (error: DomainError, context: ErrorContext) => LimeLmError> = {
  INVALID_INPUT: (e, c) =>
    reasonOf(e) === OFFLINE_REQUEST_INVALID && c.badRequest ? c.badRequest() : invalidParameter(e.message),
  UNAUTHENTICATED: () => LIMELM_ERRORS.invalidApiKey(),
  FORBIDDEN: (e, c) => {
    switch (reasonOf(e)) {
      case TOKEN_REFUSALS.dormant:
        return LIMELM_ERRORS.dormant();
      case TOKEN_REFUSALS.clientAddressLimit:
        return LIMELM_ERRORS.addressLimit(Number(e.details.maxClientAddresses));
      case TOKEN_REFUSALS.activationAllowance: {
        const remaining = Number(e.details.remaining);
        return remaining > 0 ? LIMELM_ERRORS.activationsLeft(remaining) : LIMELM_ERRORS.noActivationsLeft();
      }
    }
    if (e.details.scope !== undefined) return c.scopeRefused?.() ?? LIMELM_ERRORS.invalidApiKey(e.message);
    return LIMELM_ERRORS.invalidApiKey(e.message);
  },
  NOT_FOUND: (e, c) => {
    if (reasonOf(e) === TRIAL_REFUSALS.noVerifiedTrial) return LIMELM_ERRORS.extensionRefused(e.message);
    return c.notFound?.() ?? LIMELM_ERRORS.invalidParameter(e.message);
  },
  CONFLICT: (e) => {
    switch (reasonOf(e)) {
      case LICENSE_CHANGE_REFUSALS.seatsBelowUsed:
        return LIMELM_ERRORS.actsBelowUsed();
      case LICENSE_CHANGE_REFUSALS.kindChangeWithMachines:
        return LIMELM_ERRORS.kindChangeWithActivations();
      case FEATURE_FIELD_REFUSALS.exists:
        return LIMELM_ERRORS.featureExists();
      case TRIAL_REFUSALS.noTrial:
        return LIMELM_ERRORS.noTrial();
    }
    return LIMELM_ERRORS.extensionRefused(e.message);
  },
  LICENSE_NOT_FOUND: () => LIMELM_ERRORS.pkeyNotFound(),
  LICENSE_REVOKED: () => LIMELM_ERRORS.revoked(),
  // LimeLM's revocation can be undone, so it is Keyward's suspension (README): both read as "revoked".
  LICENSE_SUSPENDED: () => LIMELM_ERRORS.revoked(),
  LICENSE_EXPIRED: () => LIMELM_ERRORS.expired(),
  PRODUCT_MISMATCH: () => LIMELM_ERRORS.versionIdInvalid(),
  MACHINE_LIMIT_REACHED: () => LIMELM_ERRORS.maxComputers(),
  MACHINE_NOT_FOUND: () => LIMELM_ERRORS.activationNotFound(),
  DEACTIVATION_LIMIT_REACHED: () => LIMELM_ERRORS.noDeactivationsLeft(),
  VM_NOT_ALLOWED: () => LIMELM_ERRORS.vmNotAllowed(),
  USERNAME_NOT_ALLOWED: () => LIMELM_ERRORS.usernameNotAllowed(),
  FEATURE_INVALID: (e) => {
    if (reasonOf(e) === 'REQUIRED') return LIMELM_ERRORS.featureRequired(String(e.details.feature));
    if (reasonOf(e) === 'UNKNOWN') return LIMELM_ERRORS.featureNotFound();
    return invalidParameter(e.message);
  },
  IDEMPOTENCY_CONFLICT: (e) => LIMELM_ERRORS.unavailable(e.message),
  RATE_LIMITED: (e) => LIMELM_ERRORS.unavailable(e.message),
  UNAVAILABLE: (e) => LIMELM_ERRORS.unavailable(e.message),
};

export function toLimeLmError(error: unknown, context: ErrorContext = {}): LimeLmError | null {
  if (error instanceof LimeLmError) return error;
  if (isDomainError(error)) return DOMAIN_ERRORS[error.code](error, context);
  return null;
}
