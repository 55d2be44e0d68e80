import { describe, expect, it } from 'vitest';
import { DEFAULT_KEY_FORMAT, generateLicenseKey, randomSlotCount } from './license-key.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

describe('generateLicenseKey', () => {
  it('fills the default format XXXXX-XXXXX-XXXXX-XXXXX', () => {
    expect(DEFAULT_KEY_FORMAT).toBe('XXXXX-XXXXX-XXXXX-XXXXX');
    const key = generateLicenseKey();
    expect(key).toHaveLength(23);
    expect(key).toMatch(/^[A-HJ-NP-Z2-9]{5}(-[A-HJ-NP-Z2-9]{5}){3}$/);
  });

  it.each([
    ['ACME-XXXX-XXXX-XXXX-XXXX', /^ACME(-[A-HJ-NP-Z2-9]{4}){4}$/, 24],
    ['XXXXXXXXXXXXXXXX', /^[A-HJ-NP-Z2-9]{16}$/, 16],
    ['xX.XX_0Ox', /^x[A-HJ-NP-Z2-9]\.[A-HJ-NP-Z2-9]{2}_0Ox$/, 9],
    ['', /^$/, 0],
  ])('keeps everything but X in %j', (format, pattern, length) => {
    const key = generateLicenseKey(format);
    expect(key).toMatch(pattern);
    expect(key).toHaveLength(length);
  });

  it('draws every character of the alphabet and nothing else (no 0, O, 1, I)', () => {
    const drawn = new Set(generateLicenseKey('X'.repeat(20_000)));
    expect([...drawn].sort().join('')).toBe([...ALPHABET].sort().join(''));
  });

  it('gives a different key each time', () => {
    const keys = new Set(Array.from({ length: 500 }, () => generateLicenseKey()));
    expect(keys.size).toBe(500);
  });

  it('does not repeat one character for a whole key', () => {
    const keys = Array.from({ length: 50 }, () => generateLicenseKey('X'.repeat(16)));
    expect(keys.filter((key) => new Set(key).size === 1)).toEqual([]);
  });
});

describe('randomSlotCount', () => {
  it.each([
    [DEFAULT_KEY_FORMAT, 20],
    ['ACME-XXXX-XXXX', 8],
    ['xxxx-XXXX', 4],
    ['', 0],
    ['NO-SLOTS', 0],
  ])('%j has %i slots', (format, count) => {
    expect(randomSlotCount(format)).toBe(count);
  });
});
