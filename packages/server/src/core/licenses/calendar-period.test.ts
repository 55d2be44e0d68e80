import { describe, expect, it } from 'vitest';
import {
  addCalendarPeriod,
  type CalendarPeriod,
  checkCalendarPeriod,
  periodFromText,
  periodToText,
} from './calendar-period.js';

describe('addCalendarPeriod', () => {
  const cases: Array<[string, CalendarPeriod, string]> = [
    ['2030-01-31T12:00:00Z', { count: 36, unit: 'hour' }, '2030-02-02T00:00:00.000Z'],
    ['2030-01-31T12:00:00Z', { count: 7, unit: 'day' }, '2030-02-07T12:00:00.000Z'],
    ['2030-01-31T12:00:00Z', { count: 2, unit: 'week' }, '2030-02-14T12:00:00.000Z'],
    // Calendar months: clamped to the last day of a shorter month.
    ['2030-01-31T12:00:00Z', { count: 1, unit: 'month' }, '2030-02-28T12:00:00.000Z'],
    ['2032-01-31T12:00:00Z', { count: 1, unit: 'month' }, '2032-02-29T12:00:00.000Z'],
    ['2030-03-31T00:00:00Z', { count: 1, unit: 'month' }, '2030-04-30T00:00:00.000Z'],
    ['2030-11-15T08:30:00Z', { count: 3, unit: 'month' }, '2031-02-15T08:30:00.000Z'],
    ['2032-02-29T00:00:00Z', { count: 1, unit: 'year' }, '2033-02-28T00:00:00.000Z'],
    ['2030-06-01T00:00:00Z', { count: 9999, unit: 'year' }, '+012029-06-01T00:00:00.000Z'],
  ];
  it.each(cases)('%s + %o = %s', (from, period, expected) => {
    expect(addCalendarPeriod(new Date(from), period).toISOString()).toBe(expected);
  });
});

describe('checkCalendarPeriod', () => {
  it('keeps whole positive counts of known units', () => {
    expect(checkCalendarPeriod({ count: 9999, unit: 'year' }, 'validity')).toEqual({
      count: 9999,
      unit: 'year',
    });
  });
  it.each([
    { count: 0, unit: 'day' },
    { count: 1.5, unit: 'day' },
    { count: -1, unit: 'hour' },
    { count: 1, unit: 'minute' },
    { count: 1_000_001, unit: 'hour' },
  ])('refuses %o naming the field', (period) => {
    expect(() => checkCalendarPeriod(period as CalendarPeriod, 'validity')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'validity' } }),
    );
  });
});

describe('period text', () => {
  it('round-trips through its storage form', () => {
    expect(periodToText({ count: 7, unit: 'day' })).toBe('7 day');
    expect(periodFromText('7 day')).toEqual({ count: 7, unit: 'day' });
    expect(() => periodFromText('7 fortnight')).toThrow();
  });
});
