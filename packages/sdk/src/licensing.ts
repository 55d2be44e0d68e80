import { type CheckOutOptions, type ClientOptions, KeywardClient } from './client.js';
import { defaultVerifier, type Ed25519Verifier, parsePublicKey } from './crypto.js';
import { randomNonce } from './encoding.js';
import { ApiError, ClockRollbackError, KeywardError, NetworkError, VerificationError } from './errors.js';
import { checkOutSeat, type FloatingSeat, type SeatOptions } from './floating-seat.js';
import { type LicenseFilePayload, openLicenseFile } from './license-file.js';
import {
  createActivationRequest,
  createDeactivationRequest,
  type OfflineActivation,
  openActivationResponse,
  type PendingOfflineRequest,
  reopenActivationResponse,
} from './offline-exchange.js';
import { type KeyValueStore, MemoryStore } from './storage.js';
import type { Machine, MachineInfo, SignedAnswer, ValidationResult } from './types.js';

const DAY_MS = 86_400_000;

export interface LicensingOptions extends ClientOptions {
  /** This machine's fingerprint (see `machineFingerprint()` of `@keyward/sdk/node`). */
  fingerprint: string;
  /** Where the installation's state lives; default in memory (nothing survives a restart). */
  store?: KeyValueStore;
  /** Name of the entry in the store; default `keyward.license`. */
  storeKey?: string;
  /** Only accept the key for this product (answers and license files must name it). */
  productId?: number;
  /** How far the clock may go back before it counts as rolled back; default 3600 seconds. */
  clockToleranceSeconds?: number;
}

/** TurboActivate's IsGenuineEx in Keyward's words: check online every few days, tolerate outages a while. */
export interface GenuinePolicy {
  /** Days an online answer stays good; within them the app runs without the network. 0 checks every time. */
  daysBetweenChecks: number;
  /** Days after that during which network errors are forgiven. */
  graceDays: number;
}

export type GenuineStatus =
  /** Checked online now, valid. */
  | 'genuine'
  /** Not checked online: the last signed answer (or an air-gapped activation) still covers now. */
  | 'genuine-offline'
  /** A check was due, the server was unreachable, a license file covers now. */
  | 'genuine-license-file'
  /** A check was due, the server was unreachable, the grace period runs. */
  | 'grace'
  | 'not-activated'
  /** The server says the license is not valid (see `code`). */
  | 'invalid'
  /** The server has been unreachable longer than the grace period. */
  | 'grace-expired'
  /** The clock was set back (CLOCK_ROLLBACK), or is far from the server's time (CLOCK_SKEW). */
  | 'clock-rollback'
  /** An answer failed verification: forged, replayed or tampered with. */
  | 'untrusted-answer';

export interface GenuineResult {
  isGenuine: boolean;
  status: GenuineStatus;
  /** A validation code (`REVOKED`, …) or an error code (`NONCE_MISMATCH`, `CLOCK_ROLLBACK`, …). */
  code: string | null;
  checkedOnline: boolean;
  /** Whole days (rounded up) the app may still run without reaching the server; null when unbounded. */
  daysLeft: number | null;
  /** When that runs out. */
  offlineUntil: Date | null;
  /** The server time of the last valid online answer. */
  lastCheckedAt: Date | null;
  validation: ValidationResult | null;
  error: KeywardError | null;
}

interface State {
  version: 1;
  key: string | null;
  fingerprint: string | null;
  machineId: number | null;
  mode: 'online' | 'air-gapped' | null;
  /** The last signed validation answer, exactly as received. */
  answer: SignedAnswer | null;
  /** An air-gapped activation's signed response. */
  offlineResponse: string | null;
  licenseFile: string | null;
  pending: PendingOfflineRequest | null;
  /** The latest clock reading this installation has seen (ISO). */
  lastSeenAt: string | null;
}

const EMPTY: State = {
  version: 1,
  key: null,
  fingerprint: null,
  machineId: null,
  mode: null,
  answer: null,
  offlineResponse: null,
  licenseFile: null,
  pending: null,
  lastSeenAt: null,
};

const daysUntil = (until: Date, now: Date) =>
  Math.max(0, Math.ceil((until.getTime() - now.getTime()) / DAY_MS));

/** When a valid answer stops vouching: the license's or the machine's activation's expiry, if any. */
function expiryOf(result: ValidationResult): Date | null {
  const ends = [result.license?.expiresAt, result.machine?.expiresAt]
    .filter((d): d is string => typeof d === 'string')
    .map((d) => Date.parse(d))
    .filter((t) => !Number.isNaN(t));
  return ends.length > 0 ? new Date(Math.min(...ends)) : null;
}

const isOutage = (error: unknown) =>
  error instanceof NetworkError || (error instanceof ApiError && (error.status ?? 0) >= 500);

/**
 * Licensing for one installation: activate a key on this machine, decide at each start whether the app may
 * run (online, or offline within the vendor's rules), license files, air-gapped activation, floating seats.
 * Whatever grants the right to run is signed by the server and re-checked on every read.
 */
export class Licensing {
  readonly client: KeywardClient;
  private readonly store: KeyValueStore;
  private readonly storeKey: string;
  private readonly publicKey: Uint8Array;
  private readonly now: () => Date;
  private readonly toleranceMs: number;

  constructor(private readonly options: LicensingOptions) {
    if (!options.fingerprint) throw new KeywardError('INVALID_INPUT', 'give the machine fingerprint');
    this.client = new KeywardClient(options);
    this.publicKey = parsePublicKey(options.publicKey);
    this.store = options.store ?? new MemoryStore();
    this.storeKey = options.storeKey ?? 'keyward.license';
    this.now = options.now ?? (() => new Date());
    this.toleranceMs = (options.clockToleranceSeconds ?? 3600) * 1000;
  }

  get fingerprint(): string {
    return this.options.fingerprint;
  }

  /** The key and machine this installation is activated with, if any. */
  async activation(): Promise<{
    key: string;
    machineId: number | null;
    mode: 'online' | 'air-gapped';
  } | null> {
    const state = await this.load();
    return state.key && state.mode ? { key: state.key, machineId: state.machineId, mode: state.mode } : null;
  }

  /**
   * Activates the key on this machine (a seat is taken; an already active machine keeps its seat), then
   * validates it with a signed, nonce-checked answer that becomes the installation's proof for offline runs.
   */
  async activate(
    key: string,
    info: MachineInfo = {},
  ): Promise<{ machine: Machine; validation: ValidationResult }> {
    const state = await this.load();
    this.observeClock(state);
    const machine = await this.client.activate(key, this.fingerprint, info);
    const { result, answer } = await this.client.validateSigned(key, this.scope());
    await this.save({
      ...state,
      key,
      fingerprint: this.fingerprint,
      machineId: machine.id,
      mode: 'online',
      answer,
      offlineResponse: null,
    });
    return { machine, validation: result };
  }

  /** Validates online now (signed and nonce-checked) and keeps the answer. */
  async validate(): Promise<ValidationResult> {
    const state = await this.load();
    if (!state.key) throw new KeywardError('NOT_ACTIVATED', 'no key is activated on this installation');
    this.observeClock(state);
    const { result, answer } = await this.client.validateSigned(state.key, this.scope());
    await this.save({ ...state, answer });
    return result;
  }

  /**
   * May the app run now? Online at most every `daysBetweenChecks` days; when a check is due and the server is
   * unreachable, a license file or the grace period lets it run on. Never throws for licensing outcomes.
   */
  async isGenuine(policy: GenuinePolicy): Promise<GenuineResult> {
    const now = this.now();
    const state = await this.load();
    const base = { checkedOnline: false, daysLeft: null, offlineUntil: null, validation: null, error: null };
    if (!state.key || !state.mode) {
      return {
        ...base,
        isGenuine: false,
        status: 'not-activated',
        code: 'NOT_ACTIVATED',
        lastCheckedAt: null,
      };
    }
    const stored = await this.storedAnswer(state);
    const lastCheckedAt = stored?.result.valid ? new Date(stored.result.ts) : null;
    const refuse = (status: GenuineStatus, code: string | null, error: KeywardError | null = null) => ({
      ...base,
      isGenuine: false,
      status,
      code,
      lastCheckedAt,
      error,
    });
    try {
      this.observeClock(state, stored ? [new Date(stored.result.ts)] : []);
    } catch (error) {
      return refuse('clock-rollback', 'CLOCK_ROLLBACK', error as KeywardError);
    }

    if (state.mode === 'air-gapped') {
      const activation = await this.storedOfflineActivation(state);
      if (!activation) return refuse('untrusted-answer', 'SIGNATURE_INVALID');
      const ends = [activation.license.expiresAt, activation.machine.expiresAt]
        .filter((d): d is string => d !== null)
        .map((d) => new Date(d));
      const until = ends.length > 0 ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
      if (until && until <= now) return refuse('invalid', 'EXPIRED');
      await this.save(state);
      return {
        ...base,
        isGenuine: true,
        status: 'genuine-offline',
        code: 'VALID',
        daysLeft: until ? daysUntil(until, now) : null,
        offlineUntil: until,
        lastCheckedAt: new Date(activation.issuedAt),
      };
    }

    const windowMs = (policy.daysBetweenChecks + policy.graceDays) * DAY_MS;
    // The last answer vouches for the license only until it (or this machine's activation) expires.
    const signedUntil = stored?.result.valid ? expiryOf(stored.result) : null;
    const offlineLimit = (from: Date) =>
      new Date(Math.min(from.getTime() + windowMs, signedUntil?.getTime() ?? Number.POSITIVE_INFINITY));
    if (stored && !stored.result.valid) {
      // The server's last word was "not valid": only a new online answer can change that.
    } else if (
      lastCheckedAt &&
      now.getTime() < lastCheckedAt.getTime() + policy.daysBetweenChecks * DAY_MS &&
      (!signedUntil || now < signedUntil)
    ) {
      await this.save(state);
      const offlineUntil = offlineLimit(lastCheckedAt);
      return {
        ...base,
        isGenuine: true,
        status: 'genuine-offline',
        code: stored?.result.code ?? 'VALID',
        daysLeft: daysUntil(offlineUntil, now),
        offlineUntil,
        lastCheckedAt,
        validation: stored?.result ?? null,
      };
    }

    try {
      const { result, answer } = await this.client.validateSigned(state.key, this.scope());
      await this.save({ ...state, answer });
      if (!result.valid)
        return { ...refuse('invalid', result.code), checkedOnline: true, validation: result };
      const checkedAt = new Date(result.ts);
      const until = expiryOf(result);
      const offlineUntil = new Date(
        Math.min(checkedAt.getTime() + windowMs, until?.getTime() ?? Number.POSITIVE_INFINITY),
      );
      return {
        isGenuine: true,
        status: 'genuine',
        code: result.code,
        checkedOnline: true,
        // Just checked: the server's time is the authoritative now.
        daysLeft: daysUntil(offlineUntil, checkedAt),
        offlineUntil,
        lastCheckedAt: checkedAt,
        validation: result,
        error: null,
      };
    } catch (error) {
      if (error instanceof VerificationError) return refuse('untrusted-answer', error.code, error);
      if (error instanceof ClockRollbackError) return refuse('clock-rollback', error.code, error);
      if (!isOutage(error)) {
        const failure = error as KeywardError;
        return refuse('invalid', failure.code ?? null, failure instanceof KeywardError ? failure : null);
      }
      const outage = error as KeywardError;
      if (stored && !stored.result.valid) return refuse('invalid', stored.result.code, outage);
      if (signedUntil && now >= signedUntil) return refuse('invalid', 'EXPIRED', outage);
      const file = state.licenseFile ? await this.fileCovering(state, now) : null;
      if (file) {
        await this.save(state);
        const until = new Date(file.expiresAt);
        return {
          ...base,
          isGenuine: true,
          status: 'genuine-license-file',
          code: 'VALID',
          daysLeft: daysUntil(until, now),
          offlineUntil: until,
          lastCheckedAt,
          error: outage,
        };
      }
      const offlineUntil = lastCheckedAt ? offlineLimit(lastCheckedAt) : null;
      if (!offlineUntil || now >= offlineUntil) {
        return { ...refuse('grace-expired', outage.code, outage), offlineUntil };
      }
      await this.save(state);
      return {
        ...base,
        isGenuine: true,
        status: 'grace',
        code: outage.code,
        daysLeft: daysUntil(offlineUntil, now),
        offlineUntil,
        lastCheckedAt,
        error: outage,
      };
    }
  }

  /** Frees this machine's seat on the server and forgets the activation. */
  async deactivate(): Promise<void> {
    const state = await this.load();
    if (!state.key || state.machineId === null) {
      throw new KeywardError('NOT_ACTIVATED', 'no machine is activated on this installation');
    }
    await this.client.deactivate(state.key, state.machineId);
    await this.save({ ...EMPTY, lastSeenAt: state.lastSeenAt });
  }

  /**
   * Checks out a signed license file for this machine (encrypted to it by default) and keeps it: when an
   * online check is due and the server is unreachable, the file lets the app run until it expires.
   */
  async checkOutLicenseFile(
    options: Omit<CheckOutOptions, 'fingerprint' | 'nonce'> = {},
  ): Promise<LicenseFilePayload> {
    const state = await this.load();
    if (!state.key) throw new KeywardError('NOT_ACTIVATED', 'no key is activated on this installation');
    this.observeClock(state);
    const nonce = randomNonce();
    const { file } = await this.client.checkOutLicenseFile(state.key, {
      fingerprint: this.fingerprint,
      encrypt: options.encrypt ?? true,
      nonce,
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
      ...(this.options.productId === undefined ? {} : { productId: this.options.productId }),
    });
    const payload = await this.openFile(file, state.key);
    // The file must answer this very request: its nonce, this machine, issued about now.
    if (payload.nonce !== nonce) {
      throw new VerificationError('NONCE_MISMATCH', 'the license file was issued for another request');
    }
    if (payload.machine?.fingerprint !== this.fingerprint) {
      throw new VerificationError('LICENSE_FILE_MISMATCH', 'the license file does not name this machine');
    }
    this.client.checkServerTime(payload.issuedAt, this.now());
    await this.save({ ...state, licenseFile: file });
    return payload;
  }

  /**
   * Verifies a license file without the network: signature, license and machine, expiry, and the clock
   * (earlier than the file's issue time or than any time seen before: CLOCK_ROLLBACK). Without `file`, the
   * stored one. A file given here is kept when it verifies.
   */
  async verifyLicenseFile(file?: string, key?: string): Promise<LicenseFilePayload> {
    const state = await this.load();
    const text = file ?? state.licenseFile;
    if (!text) throw new KeywardError('NOT_ACTIVATED', 'no license file is stored');
    const now = this.now();
    const payload = await this.openFile(text, key ?? state.key ?? undefined);
    this.observeClock(state, [new Date(payload.issuedAt)]);
    if (new Date(payload.expiresAt) <= now) {
      throw new KeywardError('LICENSE_FILE_EXPIRED', `the license file expired at ${payload.expiresAt}`, {
        details: { expiresAt: payload.expiresAt },
      });
    }
    const next = file ? { ...state, licenseFile: file, key: state.key ?? payload.license.key } : state;
    if (file && !next.mode) {
      next.mode = 'online';
      next.fingerprint = this.fingerprint;
      next.machineId = payload.machine?.id ?? null;
    }
    await this.save(next);
    return payload;
  }

  /** Writes an air-gapped activation request for this machine; carry it to the vendor or a connected PC. */
  async createOfflineActivationRequest(key: string, info: MachineInfo = {}): Promise<string> {
    const state = await this.load();
    this.observeClock(state);
    const { request, pending } = createActivationRequest(key, this.fingerprint, this.now(), info);
    await this.save({ ...state, pending });
    return request;
  }

  /** Activates from the signed response to the pending request. */
  async activateFromOfflineResponse(response: string): Promise<OfflineActivation> {
    const state = await this.load();
    if (state.pending?.type !== 'activation') {
      throw new KeywardError('NOT_ACTIVATED', 'no offline activation request is pending on this machine');
    }
    this.observeClock(state);
    const activation = await openActivationResponse(
      response,
      state.pending,
      this.publicKey,
      await this.verifier(),
    );
    await this.save({
      ...state,
      key: activation.license.key,
      fingerprint: this.fingerprint,
      machineId: activation.machine.id,
      mode: 'air-gapped',
      offlineResponse: response,
      answer: null,
      pending: null,
    });
    return activation;
  }

  /**
   * Ends an air-gapped activation: forgets it here and returns the request that frees the seat on the server
   * (`keyward offline respond` or POST /v1/offline/responses).
   */
  async createOfflineDeactivationRequest(): Promise<string> {
    const state = await this.load();
    if (!state.key || state.machineId === null) {
      throw new KeywardError('NOT_ACTIVATED', 'no machine is activated on this installation');
    }
    const { request } = createDeactivationRequest(state.key, this.fingerprint, state.machineId, this.now());
    await this.save({ ...EMPTY, lastSeenAt: state.lastSeenAt });
    return request;
  }

  /** Takes a floating seat for this machine and keeps it (see FloatingSeat). */
  checkOutSeat(key: string, options: SeatOptions = {}): Promise<FloatingSeat> {
    return checkOutSeat(this.client, key, this.fingerprint, {
      productId: this.options.productId,
      ...options,
    });
  }

  private scope() {
    return {
      fingerprint: this.fingerprint,
      ...(this.options.productId === undefined ? {} : { productId: this.options.productId }),
    };
  }

  private verifier(): Promise<Ed25519Verifier> {
    return this.options.verifier ? Promise.resolve(this.options.verifier) : defaultVerifier();
  }

  /**
   * The clock must not be earlier than the latest reading this installation saw, nor than times the server
   * signed; then the reading is remembered (saved with the state).
   */
  private observeClock(state: State, signedTimes: Date[] = []): void {
    const now = this.now();
    const seen = [state.lastSeenAt ? new Date(state.lastSeenAt) : null, ...signedTimes].filter(
      (d): d is Date => d !== null && !Number.isNaN(d.getTime()),
    );
    const latest = Math.max(0, ...seen.map((d) => d.getTime()));
    if (now.getTime() < latest - this.toleranceMs) {
      throw new ClockRollbackError(
        'CLOCK_ROLLBACK',
        `the clock reads ${now.toISOString()}, before ${new Date(latest).toISOString()} seen earlier`,
      );
    }
    const last = state.lastSeenAt ? new Date(state.lastSeenAt).getTime() : 0;
    if (now.getTime() > last) state.lastSeenAt = now.toISOString();
  }

  /** The stored answer if it still verifies and is this installation's (same key, machine and product). */
  private async storedAnswer(state: State): Promise<{ result: ValidationResult } | null> {
    if (!state.answer) return null;
    try {
      const result = await this.client.verifyAnswer(state.answer, {
        key: state.key,
        fingerprint: this.fingerprint,
        productId: this.options.productId ?? null,
      });
      if (result.license && result.license.key !== state.key) return null;
      if (result.valid && result.machine?.fingerprint !== this.fingerprint) return null;
      return { result };
    } catch {
      return null;
    }
  }

  private async storedOfflineActivation(state: State): Promise<OfflineActivation | null> {
    if (!state.offlineResponse) return null;
    try {
      const activation = await reopenActivationResponse(
        state.offlineResponse,
        this.publicKey,
        await this.verifier(),
      );
      return activation.machine.fingerprint === this.fingerprint && activation.license.key === state.key
        ? activation
        : null;
    } catch {
      return null;
    }
  }

  private async fileCovering(state: State, now: Date): Promise<LicenseFilePayload | null> {
    try {
      const payload = await this.openFile(state.licenseFile as string, state.key ?? undefined);
      if (new Date(payload.issuedAt).getTime() > now.getTime() + this.toleranceMs) return null;
      return new Date(payload.expiresAt) > now && payload.validation.valid ? payload : null;
    } catch {
      return null;
    }
  }

  private async openFile(file: string, key: string | undefined): Promise<LicenseFilePayload> {
    return openLicenseFile(file, this.publicKey, await this.verifier(), {
      ...(key === undefined ? {} : { key }),
      fingerprint: this.fingerprint,
      ...(this.options.productId === undefined ? {} : { productId: this.options.productId }),
    });
  }

  private async load(): Promise<State> {
    const raw = await this.store.get(this.storeKey);
    if (!raw) return { ...EMPTY };
    try {
      const parsed = JSON.parse(raw) as State;
      return parsed?.version === 1 ? { ...EMPTY, ...parsed } : { ...EMPTY };
    } catch {
      return { ...EMPTY };
    }
  }

  private async save(state: State): Promise<void> {
    await this.store.set(this.storeKey, JSON.stringify(state));
  }
}
