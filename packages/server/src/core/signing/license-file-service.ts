import type { Actor } from '../access/actor.js';
import { assertScope } from '../access/principal.js';
import { appReadableFeatures } from '../catalog/app-readable-features.js';
import type { Clock } from '../clock.js';
import { DomainError, type ErrorCode } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import { checkFingerprint } from '../machines/machine-identity.js';
import { effectiveRules, type License } from '../model.js';
import type { Store } from '../ports.js';
import type { ValidationCode } from '../validation/validation-codes.js';
import type { ValidationService } from '../validation/validation-service.js';
import { sealLicenseFile } from './license-file.js';
import type { Signer } from './signing-keys.js';

/** Apps holding only their key may take files for at most 30 days; the vendor's tokens for up to a year. */
export const LICENSE_FILE_MAX_TTL_SECONDS = { license: 30 * 86_400, token: 365 * 86_400 } as const;
export const LICENSE_FILE_MIN_TTL_SECONDS = 60;
export const LICENSE_FILE_DEFAULT_TTL_SECONDS = 7 * 86_400;

/** Why no file is issued, in the error catalog's words (the validation code travels in the details). */
const REFUSAL: Record<Exclude<ValidationCode, 'VALID'>, ErrorCode> = {
  NOT_FOUND: 'LICENSE_NOT_FOUND',
  REVOKED: 'LICENSE_REVOKED',
  SUSPENDED: 'LICENSE_SUSPENDED',
  PRODUCT_MISMATCH: 'PRODUCT_MISMATCH',
  NOT_STARTED: 'FORBIDDEN',
  EXPIRED: 'LICENSE_EXPIRED',
  FEATURE_MISSING: 'FORBIDDEN',
  NO_MACHINE: 'MACHINE_NOT_FOUND',
  FINGERPRINT_MISMATCH: 'MACHINE_NOT_FOUND',
  ACTIVATION_EXPIRED: 'MACHINE_NOT_FOUND',
  LEASE_EXPIRED: 'MACHINE_NOT_FOUND',
  TOO_MANY_MACHINES: 'MACHINE_LIMIT_REACHED',
};

export interface LicenseFileRequest {
  fingerprint?: string | undefined;
  productId?: number | undefined;
  ttlSeconds?: number | undefined;
  /** Encrypt the payload to the machine (needs the fingerprint). */
  encrypt?: boolean | undefined;
  /** Echoed in the payload, so an app can tie a file to the check-out it asked for. */
  nonce?: string | undefined;
  /** Who asks decides the longest time-to-live allowed. */
  callerKind: 'license' | 'token';
}

export interface IssuedLicenseFile {
  file: string;
  issuedAt: Date;
  expiresAt: Date;
  isEncrypted: boolean;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const earliest = (...dates: (Date | null)[]) =>
  new Date(Math.min(...dates.filter((d): d is Date => d !== null).map((d) => d.getTime())));

/**
 * Checks out an offline license file: the license is validated exactly as online (the same ValidationService
 * decides and records the outcome), and only a valid license gets a file. The file never outlives the
 * license, the machine's activation or its floating lease.
 */
export class LicenseFileService {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      validation: ValidationService;
      signer: () => Signer;
    },
  ) {}

  async checkOut(actor: Actor, license: License, request: LicenseFileRequest): Promise<IssuedLicenseFile> {
    assertScope(actor.principal, 'licenses:validate');
    const maxTtl = LICENSE_FILE_MAX_TTL_SECONDS[request.callerKind];
    const ttlSeconds = request.ttlSeconds ?? Math.min(LICENSE_FILE_DEFAULT_TTL_SECONDS, maxTtl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < LICENSE_FILE_MIN_TTL_SECONDS || ttlSeconds > maxTtl) {
      throw new DomainError(
        'INVALID_INPUT',
        `ttlSeconds must be between ${LICENSE_FILE_MIN_TTL_SECONDS} and ${maxTtl} for this credential`,
        { field: 'ttlSeconds' },
      );
    }
    // A fingerprint no machine could hold is bad input, refused before validation records an outcome.
    if (request.fingerprint !== undefined) checkFingerprint(request.fingerprint);
    if (request.encrypt && !request.fingerprint) {
      throw new DomainError('INVALID_INPUT', 'an encrypted file is bound to a machine: give fingerprint', {
        field: 'fingerprint',
      });
    }
    const validation = await this.deps.validation.validateLicense(actor, license, {
      fingerprint: request.fingerprint,
      productId: request.productId,
    });
    const { outcome, at } = validation;
    if (!outcome.valid) {
      const code = REFUSAL[outcome.code as Exclude<ValidationCode, 'VALID'>];
      throw new DomainError(code, `no license file: ${outcome.detail}`, { validationCode: outcome.code });
    }
    const current = validation.license ?? license;
    const maxMachines = validation.policy ? effectiveRules(current, validation.policy).maxMachines : 0;
    // A license limited to some machines is valid on those machines only, and so is its file: it names one
    // of them (validation above found it active), and apps accept it on that machine alone. Without a
    // limit, a file that names no machine is valid anywhere, and says so (`license.maxMachines` 0).
    if (maxMachines > 0 && !request.fingerprint) {
      throw new DomainError(
        'INVALID_INPUT',
        'this license is node-locked: a license file names its machine, give the fingerprint of an activated machine',
        { field: 'fingerprint', maxMachines },
      );
    }
    const machine = request.fingerprint
      ? (validation.machines.find((m) => m.fingerprint === request.fingerprint) ?? null)
      : null;
    const expiresAt = earliest(
      new Date(at.getTime() + ttlSeconds * 1000),
      current.expiresAt,
      machine?.expiresAt ?? null,
      machine?.leaseExpiresAt ?? null,
    );
    const payload = {
      type: 'license-file',
      issuedAt: at.toISOString(),
      expiresAt: expiresAt.toISOString(),
      ttlSeconds,
      nonce: request.nonce ?? null,
      validation: { valid: outcome.valid, code: outcome.code },
      license: {
        id: current.id,
        key: current.key,
        policyId: current.policyId,
        productIds: current.productIds,
        // 0: no machine limit, so a file without a machine is valid anywhere; otherwise `machine` is set.
        maxMachines,
        expiresAt: iso(current.expiresAt),
        features: await appReadableFeatures(this.deps.store, current),
      },
      machine: machine
        ? {
            id: machine.id,
            fingerprint: machine.fingerprint,
            activatedAt: machine.createdAt.toISOString(),
            expiresAt: iso(machine.expiresAt),
            leaseExpiresAt: iso(machine.leaseExpiresAt),
          }
        : null,
    };
    const file = sealLicenseFile(
      this.deps.signer(),
      payload,
      request.encrypt && request.fingerprint
        ? { licenseKey: current.key, fingerprint: request.fingerprint }
        : undefined,
    );
    // The audit log shows who took a license offline, for how long (the validation was logged already).
    await this.deps.store.events.append(
      newEvent(
        'license.file_checked_out',
        actor,
        at,
        {
          licenseId: current.id,
          productId: validation.policy?.productId ?? null,
          machineId: machine?.id ?? null,
        },
        { expiresAt: expiresAt.toISOString(), ttlSeconds, isEncrypted: request.encrypt === true },
      ),
    );
    return { file, issuedAt: at, expiresAt, isEncrypted: request.encrypt === true };
  }
}
