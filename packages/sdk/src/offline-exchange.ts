import { type Ed25519Verifier, verifySignature } from './crypto.js';
import { base64ToText, randomNonce, textToBase64 } from './encoding.js';
import { VerificationError } from './errors.js';
import type { FeatureValue, MachineInfo } from './types.js';

/**
 * The air-gapped exchange (the same format as LimeLM's pkey.manualActivation on a Keyward server): the
 * machine writes a request, someone carries it to a connected place (the CLI's `keyward offline respond`,
 * POST /v1/offline/responses, the dashboard), and carries back a signed response the machine activates from.
 */

const SIGNATURE_CONTEXT = 'keyward-offline-response.v1.';

export interface PendingOfflineRequest {
  type: 'activation' | 'deactivation';
  key: string;
  fingerprint: string;
  nonce: string;
  requestedAt: string;
}

export interface OfflineActivation {
  type: 'activation';
  nonce: string;
  requestedAt: string;
  issuedAt: string;
  license: {
    key: string;
    policyId: number;
    productIds: number[];
    expiresAt: string | null;
    features: Record<string, FeatureValue>;
  };
  machine: {
    id: number;
    fingerprint: string;
    activatedAt: string;
    expiresAt: string | null;
    leaseExpiresAt: string | null;
  };
}

/** Writes an activation request (base64 text, safe to e-mail); keep the pending part to check the answer. */
export function createActivationRequest(
  key: string,
  fingerprint: string,
  now: Date,
  info: MachineInfo = {},
): { request: string; pending: PendingOfflineRequest } {
  const pending: PendingOfflineRequest = {
    type: 'activation',
    key,
    fingerprint,
    nonce: randomNonce(),
    requestedAt: now.toISOString(),
  };
  const doc = { format: 'keyward-offline-request', version: 1, ...pending, ...info };
  return { request: wrap(textToBase64(JSON.stringify(doc))), pending };
}

/** Writes a deactivation request for a machine activated offline; the server answers it with no file. */
export function createDeactivationRequest(
  key: string,
  fingerprint: string,
  machineId: number,
  now: Date,
): { request: string; pending: PendingOfflineRequest } {
  const pending: PendingOfflineRequest = {
    type: 'deactivation',
    key,
    fingerprint,
    nonce: randomNonce(),
    requestedAt: now.toISOString(),
  };
  const doc = { format: 'keyward-offline-request', version: 1, ...pending, machineId };
  return { request: wrap(textToBase64(JSON.stringify(doc))), pending };
}

const wrap = (base64: string) => `${(base64.match(/.{1,76}/g) ?? []).join('\n')}\n`;

const invalid = (message: string, cause?: unknown) =>
  new VerificationError('OFFLINE_RESPONSE_INVALID', `not a genuine Keyward offline response: ${message}`, {
    cause,
  });

/**
 * Checks a response: the signature against the embedded key, then that it answers the pending request
 * (same nonce, key and fingerprint). Returns the activation it grants.
 */
export async function openActivationResponse(
  response: string,
  pending: PendingOfflineRequest,
  publicKeySpki: Uint8Array,
  verifier: Ed25519Verifier,
): Promise<OfflineActivation> {
  let envelope: Record<string, unknown>;
  try {
    envelope = JSON.parse(base64ToText(response)) as Record<string, unknown>;
  } catch (cause) {
    throw invalid('expected base64 of a JSON envelope', cause);
  }
  if (envelope.format !== 'keyward-offline-response' || envelope.algorithm !== 'ed25519') {
    throw invalid('unknown format');
  }
  const payloadText = String(envelope.payload);
  if (
    !(await verifySignature(
      verifier,
      publicKeySpki,
      `${SIGNATURE_CONTEXT}${payloadText}`,
      String(envelope.signature),
    ))
  ) {
    throw new VerificationError(
      'SIGNATURE_INVALID',
      'the offline response is not signed by the license server',
    );
  }
  let payload: OfflineActivation;
  try {
    payload = JSON.parse(base64ToText(payloadText)) as OfflineActivation;
  } catch (cause) {
    throw invalid('the payload is not JSON', cause);
  }
  if (payload.type !== 'activation' || !payload.machine || !payload.license)
    throw invalid('not an activation');
  if (payload.nonce !== pending.nonce) {
    throw new VerificationError('NONCE_MISMATCH', 'the response answers another request');
  }
  if (payload.license.key !== pending.key || payload.machine.fingerprint !== pending.fingerprint) {
    throw new VerificationError('OFFLINE_RESPONSE_INVALID', 'the response is for another license or machine');
  }
  // The server echoes the request's own time too: all of what was asked comes back signed.
  if (Date.parse(payload.requestedAt) !== Date.parse(pending.requestedAt)) {
    throw new VerificationError('OFFLINE_RESPONSE_INVALID', 'the response answers a request of another time');
  }
  return payload;
}

/** Re-checks a stored response's signature (no nonce: the request is long answered). */
export async function reopenActivationResponse(
  response: string,
  publicKeySpki: Uint8Array,
  verifier: Ed25519Verifier,
): Promise<OfflineActivation> {
  const payload = JSON.parse(base64ToText(JSON.parse(base64ToText(response)).payload)) as OfflineActivation;
  return openActivationResponse(
    response,
    {
      type: 'activation',
      key: payload.license?.key,
      fingerprint: payload.machine?.fingerprint,
      nonce: payload.nonce,
      requestedAt: payload.requestedAt,
    },
    publicKeySpki,
    verifier,
  );
}
