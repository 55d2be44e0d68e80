import { describe, expect, it } from 'vitest';
import { isExpired as isLicenseExpired } from '../licenses/license-status.js';
import { activationStatus } from './activation-status.js';

const now = new Date('2030-01-10T00:00:00Z');
const before = new Date('2030-01-05T00:00:00Z');
const after = new Date('2030-01-20T00:00:00Z');
const later = new Date('2030-02-01T00:00:00Z');

describe('activationStatus', () => {
  const rows: Array<
    [string, { license: Date | null; machine: Date | null; deactivated?: Date; lease?: Date }, object]
  > = [
    [
      'no expiry anywhere',
      { license: null, machine: null },
      { expiresAt: null, isExpired: false, isActive: true },
    ],
    [
      "the license's expiry when the machine has none",
      { license: after, machine: null },
      { expiresAt: after, isExpired: false, isActive: true },
    ],
    [
      "the machine's own validity when earlier",
      { license: later, machine: after },
      { expiresAt: after, isExpired: false, isActive: true },
    ],
    [
      "the license's expiry when earlier",
      { license: after, machine: later },
      { expiresAt: after, isExpired: false, isActive: true },
    ],
    [
      'expired by its own validity',
      { license: later, machine: before },
      { expiresAt: before, isExpired: true, isActive: false },
    ],
    [
      'expired with the license',
      { license: before, machine: later },
      { expiresAt: before, isExpired: true, isActive: false },
    ],
    [
      'deactivated (reset)',
      { license: null, machine: null, deactivated: before },
      { expiresAt: null, isExpired: false, isActive: false },
    ],
    [
      'a lapsed floating lease',
      { license: null, machine: null, lease: before },
      { expiresAt: null, isExpired: false, isActive: false },
    ],
  ];
  it.each(rows)('%s', (_name, input, expected) => {
    const status = activationStatus(
      { expiresAt: input.license },
      {
        expiresAt: input.machine,
        deactivatedAt: input.deactivated ?? null,
        leaseExpiresAt: input.lease ?? null,
      },
      now,
    );
    expect(status).toEqual(expected);
  });
});

describe('isLicenseExpired', () => {
  it('is expired from its expiry instant on', () => {
    expect(isLicenseExpired({ expiresAt: now }, now)).toBe(true);
    expect(isLicenseExpired({ expiresAt: after }, now)).toBe(false);
    expect(isLicenseExpired({ expiresAt: null }, now)).toBe(false);
  });
});
