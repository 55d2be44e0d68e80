import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  encodeOfflineRequest,
  OFFLINE_REQUEST_INVALID,
  openOfflineResponse,
  parseOfflineRequest,
  signOfflineResponse,
} from './offline-exchange.js';
import { Signer } from './signing-keys.js';

const now = new Date('2030-03-01T12:00:00Z');
const encode = (doc: object) => Buffer.from(JSON.stringify(doc)).toString('base64');
const valid = {
  format: 'keyward-offline-request',
  version: 1,
  type: 'activation',
  key: 'ABCD-EFGH',
  fingerprint: 'fp-1',
  requestedAt: '2030-03-01T11:00:00.000Z',
  nonce: 'n0nce-123',
};

describe('parseOfflineRequest', () => {
  it('reads each request type', () => {
    expect(parseOfflineRequest(encode(valid), now)).toMatchObject({ type: 'activation', key: 'ABCD-EFGH' });
    expect(parseOfflineRequest(encode({ ...valid, type: 'deactivation', machineId: 4 }), now)).toMatchObject({
      type: 'deactivation',
      machineId: 4,
    });
    expect(
      parseOfflineRequest(encode({ ...valid, type: 'verified-trial', key: undefined, policyId: 2 }), now),
    ).toMatchObject({ type: 'verified-trial', policyId: 2 });
    expect(encodeOfflineRequest({ ...valid, type: 'activation', requestedAt: now } as never)).toMatch(
      /^[A-Za-z0-9+/]+=*$/,
    );
  });

  it.each([
    ['not base64', '<ActivationRequest/>'],
    ['not JSON', Buffer.from('hello').toString('base64')],
    ['a JSON array', encode([1])],
    ['another format', encode({ ...valid, format: 'turboactivate' })],
    ['another version', encode({ ...valid, version: 2 })],
    ['an unknown type', encode({ ...valid, type: 'lease' })],
    ['no key', encode({ ...valid, key: undefined })],
    ['an empty fingerprint', encode({ ...valid, fingerprint: '' })],
    ['a short nonce', encode({ ...valid, nonce: 'abc' })],
    ['a time that is not ISO', encode({ ...valid, requestedAt: 'yesterday' })],
    ['a request older than 30 days', encode({ ...valid, requestedAt: '2030-01-01T00:00:00Z' })],
    ['a request from the future', encode({ ...valid, requestedAt: '2030-03-01T12:30:00Z' })],
    ['a non-boolean isVm', encode({ ...valid, isVm: 'yes' })],
    ['an unknown userPlatform', encode({ ...valid, userPlatform: 'amiga' })],
    ['a deactivation without machine id', encode({ ...valid, type: 'deactivation' })],
    ['too long', 'A'.repeat(20_000)],
  ])('refuses %s', (_name, text) => {
    expect(() => parseOfflineRequest(text, now)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', details: { reason: OFFLINE_REQUEST_INVALID } }),
    );
  });
});

describe('signed responses', () => {
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = new Signer({
    ed25519: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'rsa-2048': rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  const publicPem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('round-trips and detects any change', () => {
    const response = signOfflineResponse(signer, { type: 'activation', nonce: 'n0nce-123' });
    expect(openOfflineResponse(response, publicPem)).toEqual({ type: 'activation', nonce: 'n0nce-123' });
    const envelope = JSON.parse(Buffer.from(response, 'base64').toString());
    expect(envelope).toMatchObject({ format: 'keyward-offline-response', version: 1, algorithm: 'ed25519' });
    const forged = {
      ...envelope,
      payload: Buffer.from('{"type":"activation","nonce":"x"}').toString('base64'),
    };
    expect(() => openOfflineResponse(encode(forged), publicPem)).toThrow(/does not verify/);
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => openOfflineResponse(response, other)).toThrow(/does not verify/);
  });
});
