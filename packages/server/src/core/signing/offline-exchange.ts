import { createPublicKey, verify } from 'node:crypto';
import { DomainError } from '../domain-error.js';
import { PLATFORMS, type Platform } from '../model.js';
import type { Signer } from './signing-keys.js';

/**
 * Keyward's offline exchange: an app that cannot reach the server writes a request (base64 of a JSON
 * document), someone carries it to a connected back office, the server answers with a response signed by
 * its Ed25519 key, and the app checks that response with the public key it embeds. The README of the LimeLM
 * dialect documents the format byte by byte for client implementations.
 */

export const OFFLINE_REQUEST_FORMAT = 'keyward-offline-request';
export const OFFLINE_RESPONSE_FORMAT = 'keyward-offline-response';
export const OFFLINE_FORMAT_VERSION = 1;
/** The signature covers this text followed by the response's base64 payload. */
export const OFFLINE_SIGNATURE_CONTEXT = 'keyward-offline-response.v1.';
/** Offline requests travel by e-mail and USB stick: they stay good for 30 days. */
export const OFFLINE_REQUEST_MAX_AGE_SECONDS = 30 * 86_400;
/** …and may come from a clock up to 10 minutes ahead. */
export const OFFLINE_REQUEST_MAX_SKEW_SECONDS = 600;
export const OFFLINE_REQUEST_MAX_LENGTH = 16_384;

export const OFFLINE_REQUEST_TYPES = ['activation', 'deactivation', 'verified-trial'] as const;
export type OfflineRequestType = (typeof OFFLINE_REQUEST_TYPES)[number];

interface OfflineRequestBase {
  fingerprint: string;
  requestedAt: Date;
  nonce: string;
}
export interface OfflineActivationRequest extends OfflineRequestBase {
  type: 'activation';
  key: string;
  name?: string | undefined;
  platform?: string | undefined;
  isVm?: boolean | undefined;
  username?: string | undefined;
  userPlatform?: Platform | undefined;
}
export interface OfflineDeactivationRequest extends OfflineRequestBase {
  type: 'deactivation';
  key: string;
  machineId: number;
}
export interface OfflineTrialRequest extends OfflineRequestBase {
  type: 'verified-trial';
  policyId: number;
  platform?: string | undefined;
  isVm?: boolean | undefined;
}
export type OfflineRequest = OfflineActivationRequest | OfflineDeactivationRequest | OfflineTrialRequest;

export const OFFLINE_REQUEST_INVALID = 'OFFLINE_REQUEST_INVALID';

function invalid(message: string): never {
  throw new DomainError('INVALID_INPUT', `not a Keyward offline request: ${message}`, {
    reason: OFFLINE_REQUEST_INVALID,
  });
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function text(doc: Record<string, unknown>, name: string, max: number, optional: true): string | undefined;
function text(doc: Record<string, unknown>, name: string, max: number, optional?: false): string;
function text(doc: Record<string, unknown>, name: string, max: number, optional = false): string | undefined {
  const value = doc[name];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    return invalid(`"${name}" must be a text of 1 to ${max} characters`);
  return value;
}

function positiveId(doc: Record<string, unknown>, name: string): number {
  const value = doc[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647)
    return invalid(`"${name}" must be a positive whole number`);
  return value;
}

/** Reads and checks a request; anything that is not exactly this format is INVALID_INPUT (reason above). */
export function parseOfflineRequest(raw: string, now: Date): OfflineRequest {
  const compact = raw.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length > OFFLINE_REQUEST_MAX_LENGTH || !BASE64.test(compact))
    invalid('expected base64 text');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(compact, 'base64').toString('utf8'));
  } catch {
    return invalid('the base64 text does not hold JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('expected a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.format !== OFFLINE_REQUEST_FORMAT || d.version !== OFFLINE_FORMAT_VERSION)
    invalid(`"format" must be "${OFFLINE_REQUEST_FORMAT}" and "version" ${OFFLINE_FORMAT_VERSION}`);
  const type = d.type;
  if (!OFFLINE_REQUEST_TYPES.includes(type as OfflineRequestType))
    invalid(`"type" must be one of ${OFFLINE_REQUEST_TYPES.join(', ')}`);
  const requestedText = text(d, 'requestedAt', 40);
  const requestedAt = new Date(requestedText);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(requestedText) || Number.isNaN(requestedAt.getTime()))
    invalid('"requestedAt" must be an ISO-8601 instant');
  const age = (now.getTime() - requestedAt.getTime()) / 1000;
  if (age > OFFLINE_REQUEST_MAX_AGE_SECONDS) invalid('the request is older than 30 days; make a new one');
  if (age < -OFFLINE_REQUEST_MAX_SKEW_SECONDS) invalid('"requestedAt" lies in the future');
  const base = { fingerprint: text(d, 'fingerprint', 1024), requestedAt, nonce: text(d, 'nonce', 200) };
  if (base.nonce.length < 8) invalid('"nonce" must have at least 8 characters');
  const isVm = d.isVm;
  if (isVm !== undefined && typeof isVm !== 'boolean') invalid('"isVm" must be true or false');
  switch (type as OfflineRequestType) {
    case 'activation': {
      const userPlatform = d.userPlatform;
      if (userPlatform !== undefined && !PLATFORMS.includes(userPlatform as Platform))
        invalid(`"userPlatform" must be one of ${PLATFORMS.join(', ')}`);
      return {
        type: 'activation',
        ...base,
        key: text(d, 'key', 200),
        name: text(d, 'name', 255, true),
        platform: text(d, 'platform', 100, true),
        isVm: isVm as boolean | undefined,
        username: text(d, 'username', 200, true),
        userPlatform: userPlatform as Platform | undefined,
      };
    }
    case 'deactivation':
      return {
        type: 'deactivation',
        ...base,
        key: text(d, 'key', 200),
        machineId: positiveId(d, 'machineId'),
      };
    case 'verified-trial':
      return {
        type: 'verified-trial',
        ...base,
        policyId: positiveId(d, 'policyId'),
        platform: text(d, 'platform', 100, true),
        isVm: isVm as boolean | undefined,
      };
  }
}

/** Writes a request the way apps do (reference for SDKs and tests). */
export function encodeOfflineRequest(request: OfflineRequest): string {
  const { requestedAt, ...rest } = request;
  const doc = {
    format: OFFLINE_REQUEST_FORMAT,
    version: OFFLINE_FORMAT_VERSION,
    ...rest,
    requestedAt: requestedAt.toISOString(),
  };
  return Buffer.from(JSON.stringify(doc)).toString('base64');
}

/** Signs a response payload: base64 of `{format, version, algorithm, payload, signature}`. */
export function signOfflineResponse(signer: Signer, payload: Record<string, unknown>): string {
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64');
  const envelope = {
    format: OFFLINE_RESPONSE_FORMAT,
    version: OFFLINE_FORMAT_VERSION,
    algorithm: 'ed25519',
    payload: encoded,
    signature: signer.signEd25519(`${OFFLINE_SIGNATURE_CONTEXT}${encoded}`),
  };
  return Buffer.from(JSON.stringify(envelope)).toString('base64');
}

/** Checks a response with the server's Ed25519 public key (PEM) and returns its payload; throws if forged. */
export function openOfflineResponse(response: string, publicKeyPem: string): Record<string, unknown> {
  const envelope = JSON.parse(Buffer.from(response, 'base64').toString('utf8')) as Record<string, unknown>;
  if (envelope.format !== OFFLINE_RESPONSE_FORMAT || envelope.algorithm !== 'ed25519')
    throw new Error('not a Keyward offline response');
  const payload = String(envelope.payload);
  const isGenuine = verify(
    null,
    Buffer.from(`${OFFLINE_SIGNATURE_CONTEXT}${payload}`),
    createPublicKey(publicKeyPem),
    Buffer.from(String(envelope.signature), 'base64'),
  );
  if (!isGenuine) throw new Error('the offline response signature does not verify');
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Record<string, unknown>;
}
