import { describe, expect, it } from 'vitest';
import { isDomainError } from '../domain-error.js';
import { checkFingerprint, checkMachineIdentity, checkMachineName, machineIp } from './machine-identity.js';

describe('what a machine may call itself', () => {
  const fingerprints: [string, boolean][] = [
    ['3f9a0c1d', true],
    ['00:1A:2B:3C:4D:5E', true],
    ['DESKTOP 42', true],
    ['Büro-PC', true],
    ['', true],
    ['a,b', false],
    ['a[b', false],
    ['a]b', false],
    ['a\nb', false],
    ['a\u0000b', false],
    ['a\u007Fb', false],
    ['a\u200Bb', false],
    ['a\u2028b', false],
    ['a\u2029b', false],
  ];
  for (const [fingerprint, isAllowed] of fingerprints) {
    it(`${JSON.stringify(fingerprint)} is ${isAllowed ? 'allowed' : 'refused'} as a fingerprint`, () => {
      if (isAllowed) expect(() => checkFingerprint(fingerprint)).not.toThrow();
      else {
        const error = (() => {
          try {
            checkFingerprint(fingerprint);
          } catch (e) {
            return e;
          }
        })();
        expect(isDomainError(error) && error.code).toBe('INVALID_INPUT');
      }
    });
  }

  it('a friendly name may hold commas and brackets, not invisible characters', () => {
    expect(() => checkMachineName('Acme, Inc. [laptop]')).not.toThrow();
    expect(() => checkMachineName(null)).not.toThrow();
    expect(() => checkMachineName('a\rb')).toThrow(/control characters/);
  });

  it('keeps only IP literals as the address a machine was seen from', () => {
    expect(machineIp('203.0.113.9')).toBe('203.0.113.9');
    expect(machineIp('2001:db8::1')).toBe('2001:db8::1');
    expect(machineIp('[pwn')).toBeNull();
    expect(machineIp('1.1.1.1,2.2.2.2')).toBeNull();
    expect(machineIp(undefined)).toBeNull();
    expect(checkMachineIdentity({ fingerprint: 'pc', ip: 'x]y' })).toEqual({ fingerprint: 'pc', ip: null });
  });
});
