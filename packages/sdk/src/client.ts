import { defaultVerifier, type Ed25519Verifier, parsePublicKey, verifySignature } from './crypto.js';
import { randomNonce, utf8Text } from './encoding.js';
import { ApiError, ClockRollbackError, KeywardError, NetworkError, VerificationError } from './errors.js';
import type { AnsweredRequest, Machine, MachineInfo, SignedAnswer, ValidationResult } from './types.js';

export interface ClientOptions {
  /** The server's base URL, e.g. `https://licensing.example.com`. */
  url: string;
  /** The Ed25519 public key the app embeds (`publicKeyPem` of GET /v1/signing-keys). */
  publicKey: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per attempt; default 10 seconds. */
  timeoutMs?: number;
  /** Extra attempts after network errors and 5xx answers (never after 4xx); default 2. */
  retries?: number;
  /** Delay before the first retry, doubled each time; default 250 ms. */
  retryDelayMs?: number;
  /** Ed25519 implementation; defaults to WebCrypto, or Node's crypto where WebCrypto lacks Ed25519. */
  verifier?: Ed25519Verifier;
  /** The clock; default the system's. */
  now?: () => Date;
  /**
   * How far the server time in a fresh signed answer may be from this clock; default 86,400 seconds (a day:
   * a wrongly set time zone passes, a clock days off does not). 0 turns the check off.
   */
  maxClockSkewSeconds?: number;
}

/** What a signed validation answer must match; a field left out is not checked. */
export interface AnswerExpectation {
  nonce?: string;
  key?: string | null;
  licenseId?: number | null;
  fingerprint?: string | null;
  productId?: number | null;
  features?: string[] | null;
  /** The local time when the answer arrived: its server time must be within `maxClockSkewSeconds`. */
  receivedAt?: Date;
}

export interface ValidateOptions {
  fingerprint?: string;
  productId?: number;
  features?: string[];
}

export interface CheckOutOptions {
  fingerprint?: string;
  ttlSeconds?: number;
  /** Encrypt the file to this machine (needs `fingerprint`). */
  encrypt?: boolean;
  nonce?: string;
}

export interface CheckedOutFile {
  file: string;
  issuedAt: string;
  expiresAt: string;
  isEncrypted: boolean;
}

interface RequestOptions {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  licenseKey?: string;
  body?: unknown;
  idempotencyKey?: string;
}

const SIGNATURE = /^ed25519=([A-Za-z0-9+/]+={0,2})$/;
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 86_400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The native API with the license key as credential. Every validation answer is checked against the
 * embedded public key and must echo the nonce and the request sent with it (key, fingerprint, product,
 * features) and carry a server time near this clock, so neither a forged, a replayed, nor a genuine answer
 * about another license or machine gets through. Network errors and 5xx answers are retried; 4xx never.
 */
export class KeywardClient {
  private readonly baseUrl: string;
  private readonly publicKey: Uint8Array;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.publicKey = parsePublicKey(options.publicKey);
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (!fetchFn) throw new KeywardError('UNSUPPORTED', 'no fetch in this runtime; pass the `fetch` option');
    this.fetchFn = fetchFn;
  }

  /** Validates a key online. The answer is verified; an invalid license is a result (`valid: false`). */
  async validate(key: string, scope: ValidateOptions = {}): Promise<ValidationResult> {
    return (await this.validateSigned(key, scope)).result;
  }

  /** Like validate, also returning the signed answer as received, for later offline re-checks. */
  async validateSigned(
    key: string,
    scope: ValidateOptions = {},
  ): Promise<{ result: ValidationResult; answer: SignedAnswer }> {
    const nonce = randomNonce();
    const { bytes, response } = await this.send({
      method: 'POST',
      path: '/v1/licenses/actions/validate-key',
      body: { key, nonce, ...scope },
    });
    const answer: SignedAnswer = {
      body: this.decode(bytes, response),
      signature: SIGNATURE.exec(response.headers.get('keyward-signature') ?? '')?.[1] ?? '',
    };
    // Everything this request said must come back signed: an answer about another key, machine, product
    // or feature list, or another request, or another time, is not an answer to this one.
    const result = await this.verifyAnswer(answer, {
      nonce,
      key,
      licenseId: null,
      fingerprint: scope.fingerprint ?? null,
      productId: scope.productId ?? null,
      features: scope.features ?? null,
      receivedAt: this.now(),
    });
    return { result, answer };
  }

  /**
   * Checks a signed validation answer: the signature against the embedded key, then every field of
   * `expected` against what the server signed (the nonce, the echoed request, the machine it describes, its
   * time). A bare string is the nonce alone. Works offline on stored answers (leave out nonce and time).
   */
  async verifyAnswer(
    answer: SignedAnswer,
    expected: AnswerExpectation | string = {},
  ): Promise<ValidationResult> {
    const want = typeof expected === 'string' ? { nonce: expected } : expected;
    const verifier = this.options.verifier ?? (await defaultVerifier());
    if (
      !answer.signature ||
      !(await verifySignature(verifier, this.publicKey, answer.body, answer.signature))
    ) {
      throw new VerificationError('SIGNATURE_INVALID', 'the answer is not signed by the license server');
    }
    let result: ValidationResult;
    try {
      result = JSON.parse(answer.body) as ValidationResult;
    } catch (cause) {
      throw new VerificationError('BAD_ANSWER', 'the signed answer is not JSON', { cause });
    }
    if (
      typeof result.valid !== 'boolean' ||
      typeof result.code !== 'string' ||
      typeof result.ts !== 'string'
    ) {
      throw new VerificationError('BAD_ANSWER', 'the signed answer lacks valid, code or ts');
    }
    if (want.nonce !== undefined && result.nonce !== want.nonce) {
      throw new VerificationError('NONCE_MISMATCH', 'the answer belongs to another request (replayed)');
    }
    this.checkBinding(result, want);
    if (want.receivedAt !== undefined) this.checkServerTime(result.ts, want.receivedAt);
    return result;
  }

  /** The echoed request and the machine the answer describes must be the ones asked about. */
  private checkBinding(result: ValidationResult, want: AnswerExpectation): void {
    const asked: (keyof AnsweredRequest)[] = ['key', 'licenseId', 'fingerprint', 'productId', 'features'];
    if (asked.every((field) => want[field] === undefined)) return;
    const echoed = result.request as Partial<AnsweredRequest> | undefined;
    const mismatch = (what: string) =>
      new VerificationError('ANSWER_MISMATCH', `the signed answer is about ${what} than was asked`);
    if (typeof echoed !== 'object' || echoed === null) {
      throw new VerificationError(
        'ANSWER_MISMATCH',
        'the signed answer does not say which request it answers',
      );
    }
    for (const field of asked) {
      const value = want[field];
      if (value !== undefined && JSON.stringify(echoed[field] ?? null) !== JSON.stringify(value)) {
        throw mismatch(`another ${field}`);
      }
    }
    if (want.fingerprint !== undefined && result.machine && result.machine.fingerprint !== want.fingerprint) {
      throw mismatch('another machine');
    }
  }

  /** Throws CLOCK_SKEW when a server time (an answer's `ts`, a file's `issuedAt`) is too far from `now`. */
  checkServerTime(ts: string, receivedAt: Date): void {
    const maxSkewMs = (this.options.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS) * 1000;
    const skewMs = Math.abs(Date.parse(ts) - receivedAt.getTime());
    if (maxSkewMs > 0 && !(skewMs <= maxSkewMs)) {
      throw new ClockRollbackError(
        'CLOCK_SKEW',
        `the server's time ${ts} is ${Math.round(skewMs / 1000)} s from this clock (${receivedAt.toISOString()}): set the clock right`,
        { details: { serverTime: ts, localTime: receivedAt.toISOString() } },
      );
    }
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  /** Activates a machine (takes a seat; floating policies lease one). Already active: the same machine. */
  async activate(key: string, fingerprint: string, info: MachineInfo = {}): Promise<Machine> {
    return this.json<Machine>({
      method: 'POST',
      path: '/v1/machines',
      licenseKey: key,
      body: { fingerprint, ...info },
      // A retried activation must not take a second seat.
      idempotencyKey: `activate-${randomNonce()}`,
    });
  }

  /** Keeps a machine alive and renews its floating lease. */
  async heartbeat(key: string, machineId: number, leaseSeconds?: number): Promise<Machine> {
    return this.json<Machine>({
      method: 'POST',
      path: `/v1/machines/${machineId}/actions/heartbeat`,
      licenseKey: key,
      body: leaseSeconds === undefined ? {} : { leaseSeconds },
    });
  }

  /** Frees the machine's seat. */
  async deactivate(key: string, machineId: number): Promise<void> {
    await this.send({ method: 'DELETE', path: `/v1/machines/${machineId}`, licenseKey: key });
  }

  /** Checks out a signed offline license file (see license-file.ts to read it). */
  async checkOutLicenseFile(key: string, options: CheckOutOptions = {}): Promise<CheckedOutFile> {
    return this.json<CheckedOutFile>({
      method: 'POST',
      path: '/v1/licenses/actions/check-out',
      licenseKey: key,
      body: options,
    });
  }

  /** Answers an offline request through the API (for a connected helper machine holding the key). */
  async respondToOfflineRequest(key: string, request: string): Promise<{ response: string | null }> {
    return this.json({ method: 'POST', path: '/v1/offline/responses', licenseKey: key, body: { request } });
  }

  private async json<T>(options: RequestOptions): Promise<T> {
    const { bytes, response } = await this.send(options);
    try {
      return JSON.parse(this.decode(bytes, response)) as T;
    } catch (cause) {
      throw new KeywardError('BAD_ANSWER', 'the answer is not JSON', { status: response.status, cause });
    }
  }

  private decode(bytes: Uint8Array, response: Response): string {
    try {
      return utf8Text(bytes);
    } catch (cause) {
      throw new KeywardError('BAD_ANSWER', 'the answer is not UTF-8 text', {
        status: response.status,
        cause,
      });
    }
  }

  private async send(options: RequestOptions): Promise<{ bytes: Uint8Array; response: Response }> {
    const retries = this.options.retries ?? 2;
    let delay = this.options.retryDelayMs ?? 250;
    for (let attempt = 0; ; attempt++) {
      let failure: KeywardError;
      try {
        const response = await this.attempt(options);
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (response.ok) return { bytes, response };
        failure = this.refusal(response, bytes);
        // A 4xx answer is final: the same request would be refused again.
        if (response.status < 500) throw failure;
      } catch (error) {
        if (error instanceof ApiError && (error.status ?? 0) < 500) throw error;
        failure =
          error instanceof KeywardError
            ? error
            : new NetworkError('NETWORK_ERROR', `the license server is unreachable: ${String(error)}`, {
                cause: error,
              });
      }
      if (attempt >= retries) {
        if (failure instanceof ApiError) throw failure;
        throw failure instanceof NetworkError
          ? failure
          : new NetworkError('NETWORK_ERROR', failure.message, { cause: failure });
      }
      await sleep(delay);
      delay *= 2;
    }
  }

  private async attempt(options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.licenseKey !== undefined) headers.authorization = `License ${options.licenseKey}`;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 10_000);
    try {
      const response = await this.fetchFn(`${this.baseUrl}${options.path}`, {
        method: options.method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: controller.signal,
      });
      // Read the body inside the timeout too.
      const bytes = await response.arrayBuffer();
      return new Response(response.status === 204 ? null : bytes, {
        status: response.status,
        headers: response.headers,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private refusal(response: Response, bytes: Uint8Array): ApiError {
    let error: { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown } = {};
    try {
      error = (JSON.parse(utf8Text(bytes)) as { error?: typeof error }).error ?? {};
    } catch {
      // Not Keyward's envelope (a proxy's error page): the status speaks.
    }
    const code =
      typeof error.code === 'string' ? error.code : response.status >= 500 ? 'UNAVAILABLE' : 'BAD_ANSWER';
    return new ApiError(code, typeof error.message === 'string' ? error.message : `HTTP ${response.status}`, {
      status: response.status,
      requestId: typeof error.requestId === 'string' ? error.requestId : response.headers.get('x-request-id'),
      details:
        typeof error.details === 'object' && error.details !== null
          ? (error.details as Record<string, unknown>)
          : {},
    });
  }
}
