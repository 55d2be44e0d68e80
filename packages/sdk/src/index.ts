export {
  type AnswerExpectation,
  type CheckedOutFile,
  type CheckOutOptions,
  type ClientOptions,
  DEFAULT_MAX_CLOCK_SKEW_SECONDS,
  KeywardClient,
  type ValidateOptions,
} from './client.js';
export { type Ed25519Verifier, parsePublicKey } from './crypto.js';
export {
  ApiError,
  ClockRollbackError,
  isKeywardError,
  KeywardError,
  type KeywardErrorCode,
  NetworkError,
  SDK_ERROR_CODES,
  type SdkErrorCode,
  SERVER_ERROR_CODES,
  type ServerErrorCode,
  VerificationError,
} from './errors.js';
export { checkOutSeat, FloatingSeat, type SeatLoss, type SeatOptions } from './floating-seat.js';
export { type LicenseFilePayload, openLicenseFile } from './license-file.js';
export {
  type GenuinePolicy,
  type GenuineResult,
  type GenuineStatus,
  Licensing,
  type LicensingOptions,
} from './licensing.js';
export {
  createActivationRequest,
  createDeactivationRequest,
  type OfflineActivation,
  openActivationResponse,
  type PendingOfflineRequest,
} from './offline-exchange.js';
export { type KeyValueStore, MemoryStore, WebStorageStore } from './storage.js';
export {
  type AnsweredRequest,
  type FeatureValue,
  type License,
  type Machine,
  type MachineInfo,
  type SignedAnswer,
  VALIDATION_CODES,
  type ValidationCode,
  type ValidationResult,
} from './types.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  isValidWebhook,
  signWebhookPayload,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  type WebhookEvent,
  WebhookSignatureError,
} from './webhooks.js';
