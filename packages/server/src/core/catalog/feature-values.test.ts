import { describe, expect, it } from 'vitest';
import { aFeatureField } from '../../test-support/domain-fixtures.js';
import { DomainError } from '../domain-error.js';
import type { FeatureType, FeatureValue } from '../model.js';
import { coerceFeatureValue, resolveFeatures } from './feature-values.js';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

const INVALID = Symbol('invalid');

const rows: [FeatureType, unknown, FeatureValue | typeof INVALID][] = [
  ['string', 'gold', 'gold'],
  ['string', '', ''],
  ['string', 42, '42'],
  ['string', true, 'true'],
  ['string', null, INVALID],
  ['string', { a: 1 }, INVALID],
  ['string', ['a'], INVALID],
  ['integer', 5, 5],
  ['integer', -12, -12],
  ['integer', '42', 42],
  ['integer', ' 7 ', 7],
  ['integer', '-3', -3],
  ['integer', 1.5, INVALID],
  ['integer', '1.5', INVALID],
  ['integer', '1e3', INVALID],
  ['integer', '0x10', INVALID],
  ['integer', '', INVALID],
  ['integer', Number.MAX_SAFE_INTEGER + 1, INVALID],
  ['integer', '9007199254740993', INVALID],
  ['integer', Number.NaN, INVALID],
  ['integer', true, INVALID],
  ['boolean', true, true],
  ['boolean', false, false],
  ['boolean', 'true', true],
  ['boolean', '1', true],
  ['boolean', 1, true],
  ['boolean', 'false', false],
  ['boolean', '0', false],
  ['boolean', 0, false],
  ['boolean', 'yes', INVALID],
  ['boolean', 'TRUE', INVALID],
  ['boolean', 2, INVALID],
  ['date', '2026-05-01', '2026-05-01T00:00:00.000Z'],
  ['date', '2024-02-29', '2024-02-29T00:00:00.000Z'],
  ['date', '2026-05-01T10:30:00Z', '2026-05-01T10:30:00.000Z'],
  ['date', '2026-05-01T10:30:00.250Z', '2026-05-01T10:30:00.250Z'],
  ['date', '2026-05-01T10:30:00+02:00', '2026-05-01T08:30:00.000Z'],
  ['date', '2026-05-01T10:30-0500', '2026-05-01T15:30:00.000Z'],
  ['date', '2026-05-01T10:30', '2026-05-01T10:30:00.000Z'],
  ['date', '2026-05-01T10:30:15', '2026-05-01T10:30:15.000Z'],
  ['date', '2026-02-30', INVALID],
  ['date', '2023-02-29T00:00:00Z', INVALID],
  ['date', '2026-04-31', INVALID],
  ['date', '2026-13-01', INVALID],
  ['date', '2026-01-01T25:00Z', INVALID],
  ['date', '01/05/2026', INVALID],
  ['date', 'tomorrow', INVALID],
  ['date', 1_767_225_600_000, INVALID],
];

describe('coerceFeatureValue', () => {
  it.each(rows)('%s from %j', (type, raw, expected) => {
    const field = aFeatureField({ name: 'f', type });
    if (expected === INVALID) {
      const error = refusal(() => coerceFeatureValue(field, raw));
      expect([error.code, error.details['feature'], error.details['type']]).toEqual([
        'FEATURE_INVALID',
        'f',
        type,
      ]);
    } else {
      expect(coerceFeatureValue(field, raw)).toBe(expected);
    }
  });

  it('reads a date-time without an offset as UTC whatever the server time zone', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      // Sanity: the zone really changed for this process, so the row below would catch local parsing.
      expect(new Date('2026-01-01T10:00').toISOString()).toBe('2026-01-01T15:00:00.000Z');
      expect(coerceFeatureValue(aFeatureField({ type: 'date' }), '2026-01-01T10:00')).toBe(
        '2026-01-01T10:00:00.000Z',
      );
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('names the field and its type, and cuts long values in the refusal', () => {
    const error = refusal(() => coerceFeatureValue(aFeatureField({ name: 'seats' }), 'x'.repeat(500)));
    expect(error.message).toBe('feature "seats" expects a integer');
    expect(error.details).toEqual({ feature: 'seats', type: 'integer', value: 'x'.repeat(100) });
  });
});

describe('resolveFeatures', () => {
  const fields = [
    aFeatureField({ name: 'seats', type: 'integer' }),
    aFeatureField({ name: 'pro', type: 'boolean', isRequired: true, defaultValue: false }),
    aFeatureField({ name: 'edition', type: 'string', isRequired: true }),
  ];

  it('converts each given value to its field type', () => {
    expect(resolveFeatures(fields, { seats: '5', pro: 'true', edition: 'gold' })).toEqual({
      seats: 5,
      pro: true,
      edition: 'gold',
    });
  });

  it('keeps existing values that are not given, and null removes one', () => {
    expect(resolveFeatures(fields, { seats: null, pro: '0' }, { seats: 3, edition: 'gold' })).toEqual({
      pro: false,
      edition: 'gold',
    });
  });

  it('leaves a required field with a default unset', () => {
    expect(resolveFeatures(fields, { edition: 'gold' })).toEqual({ edition: 'gold' });
  });

  it('refuses an unknown name', () => {
    const error = refusal(() => resolveFeatures(fields, { edition: 'gold', colour: 'red' }));
    expect([error.code, error.message, error.details]).toEqual([
      'FEATURE_INVALID',
      'unknown feature "colour"',
      { feature: 'colour', reason: 'UNKNOWN' },
    ]);
  });

  it('refuses a wrongly typed value', () => {
    const error = refusal(() => resolveFeatures(fields, { edition: 'gold', seats: 'many' }));
    expect([error.code, error.details['feature']]).toEqual(['FEATURE_INVALID', 'seats']);
  });

  it('demands a required field without a default, also when null removes it', () => {
    for (const [given, existing] of [
      [{}, {}],
      [{ edition: null }, { edition: 'gold' }],
    ] as const) {
      const error = refusal(() => resolveFeatures(fields, given, existing));
      expect([error.code, error.message, error.details]).toEqual([
        'FEATURE_INVALID',
        'feature "edition" is required',
        { feature: 'edition', reason: 'REQUIRED' },
      ]);
    }
  });

  it('demands a required field whose name is also an Object member', () => {
    const error = refusal(() =>
      resolveFeatures([aFeatureField({ name: 'constructor', isRequired: true })], {}),
    );
    expect([error.code, error.details]).toEqual([
      'FEATURE_INVALID',
      { feature: 'constructor', reason: 'REQUIRED' },
    ]);
  });

  it('does not change the existing values it was given', () => {
    const existing = { seats: 3 };
    resolveFeatures(fields, { seats: 4, edition: 'gold' }, existing);
    expect(existing).toEqual({ seats: 3 });
  });
});
