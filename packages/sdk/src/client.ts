import { defaultVerifier, type Ed25519Verifier, parsePublicKey, verifySignature } from './crypto.js';
import { randomNonce, utf8Text } from './encoding.js';
import { ApiError, KeywardError, NetworkError, VerificationError } from './errors.js';
import type { Machine, MachineInfo, SignedAnswer, ValidationResult } from './types.js';

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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The native API with the license key as credential. Every validation answer is checked against the
 * embedded public key and must echo the nonce sent with it, so neither a forged nor a replayed answer gets
 * through. Network errors and 5xx answers are retried; 4xx answers never are.
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
    const result = await this.verifyAnswer(answer, nonce);
    return { result, answer };
  }

  /**
   * Checks a signed validation answer: the signature against the embedded key and, when `expectedNonce` is
   * given, that the answer is the one to that request. Works offline on stored answers.
   */
  async verifyAnswer(answer: SignedAnswer, expectedNonce?: string): Promise<ValidationResult> {
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
    if (expectedNonce !== undefined && result.nonce !== expectedNonce) {
      throw new VerificationError('NONCE_MISMATCH', 'the answer belongs to another request (replayed)');
    }
    return result;
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
