/**
 * Verifying Keyward webhooks. Each delivery carries `Keyward-Signature: t=<unix seconds>,v1=<hex>`, where the
 * hex is HMAC-SHA256 over `<t>.<raw body>` keyed with the endpoint's secret (`whsec_…`, shown once when the
 * endpoint is created). Verify the raw body exactly as received, before parsing it. Uses Web Crypto only, so
 * it runs in Node 20+, browsers, Deno, Bun and edge workers alike. Self-contained: no other SDK module.
 */

/** The header a delivery's signature arrives in (HTTP header names are case-insensitive). */
export const WEBHOOK_SIGNATURE_HEADER = 'keyward-signature';

/** Deliveries older or newer than this are refused, so a captured request cannot be replayed later. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** The JSON body of a delivery. */
export interface WebhookEvent {
  /** The event's id in Keyward's event log; a retried delivery repeats it. */
  id: number;
  /** E.g. `license.created`, `machine.activated`, `license.expiring_soon`. */
  type: string;
  createdAt: string;
  licenseId: number | null;
  productId: number | null;
  machineId: number | null;
  code: string | null;
  via: string | null;
  data: Record<string, unknown>;
  /** The license the event concerns, as it is when delivered; null when none (or deleted). */
  license: {
    id: number;
    key: string;
    productIds: number[];
    policyId: number;
    customerId: number | null;
    email: string | null;
    status: 'active' | 'suspended' | 'revoked' | 'expired';
    expiresAt: string | null;
  } | null;
}

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

export interface VerifyWebhookOptions {
  /** The raw body as received: a string, or its bytes. */
  payload: string | Uint8Array;
  /** The Keyward-Signature header's value. */
  signature: string | null | undefined;
  /** The endpoint's secret. Several may be given while a rotated secret is being rolled out. */
  secret: string | string[];
  toleranceSeconds?: number;
  /** The current time, for tests; default the clock. */
  now?: Date;
}

const encoder = new TextEncoder();

function parseHeader(header: string): { timestamp: number; signatures: string[] } {
  let timestamp = Number.NaN;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 1) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    // Unknown schemes (a future v2) are ignored, so old verifiers keep working alongside new ones.
    else if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return { timestamp, signatures };
}

async function hmacHex(secret: string, message: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new WebhookSignatureError('Web Crypto is not available in this runtime');
  const key = await subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await subtle.sign('HMAC', key, message as Uint8Array<ArrayBuffer>));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares without an early exit, so timing tells nothing about how much of a guess was right. */
function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Checks a delivery's signature and age, then parses it. Throws WebhookSignatureError when the header is
 * missing or malformed, the timestamp is outside the tolerance, or no signature matches a secret.
 */
export async function verifyWebhook(options: VerifyWebhookOptions): Promise<WebhookEvent> {
  const { payload, signature } = options;
  if (!signature) throw new WebhookSignatureError('the Keyward-Signature header is missing');
  const { timestamp, signatures } = parseHeader(signature);
  if (!Number.isFinite(timestamp) || signatures.length === 0)
    throw new WebhookSignatureError('the Keyward-Signature header is malformed');
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance)
    throw new WebhookSignatureError('the delivery is too old or from the future (check the clock)');
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const signed = concat(encoder.encode(`${timestamp}.`), body);
  const secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s === ''))
    throw new WebhookSignatureError('no webhook secret was given');
  for (const secret of secrets) {
    const expected = await hmacHex(secret, signed);
    if (signatures.some((candidate) => timingSafeEqual(candidate, expected))) {
      const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
      return JSON.parse(text) as WebhookEvent;
    }
  }
  throw new WebhookSignatureError('the signature does not match');
}

/** Like verifyWebhook, as a yes or no. */
export async function isValidWebhook(options: VerifyWebhookOptions): Promise<boolean> {
  try {
    await verifyWebhook(options);
    return true;
  } catch (error) {
    if (error instanceof WebhookSignatureError || error instanceof SyntaxError) return false;
    throw error;
  }
}

/** Signs a payload the way Keyward does: for tests of a receiver. */
export async function signWebhookPayload(
  secret: string,
  payload: string,
  timestampSeconds: number,
): Promise<string> {
  const mac = await hmacHex(secret, encoder.encode(`${timestampSeconds}.${payload}`));
  return `t=${timestampSeconds},v1=${mac}`;
}
