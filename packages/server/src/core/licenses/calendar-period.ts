import { DomainError } from '../domain-error.js';

/** Units of a calendar period. A month and a year are calendar lengths, not a fixed number of seconds. */
export const PERIOD_UNITS = ['hour', 'day', 'week', 'month', 'year'] as const;
export type PeriodUnit = (typeof PERIOD_UNITS)[number];

/** A length such as "7 day" or "1 month", kept as sold so it can be shown back exactly as it was given. */
export interface CalendarPeriod {
  count: number;
  unit: PeriodUnit;
}

/** Large enough for any licence anyone sells (9999 years), small enough that every result is a valid Date. */
export const MAX_PERIOD_COUNT = 1_000_000;

export function isPeriodUnit(value: unknown): value is PeriodUnit {
  return typeof value === 'string' && (PERIOD_UNITS as readonly string[]).includes(value);
}

/** Calendar arithmetic in UTC: a month after January 31 is the last day of February. */
export function addCalendarPeriod(from: Date, period: CalendarPeriod): Date {
  const { count, unit } = period;
  switch (unit) {
    case 'hour':
      return new Date(from.getTime() + count * 3_600_000);
    case 'day':
      return new Date(from.getTime() + count * 86_400_000);
    case 'week':
      return new Date(from.getTime() + count * 7 * 86_400_000);
    case 'month':
    case 'year': {
      const months = unit === 'year' ? count * 12 : count;
      const date = new Date(from.getTime());
      const day = date.getUTCDate();
      date.setUTCDate(1);
      date.setUTCMonth(date.getUTCMonth() + months);
      const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
      date.setUTCDate(Math.min(day, lastDay));
      return date;
    }
  }
}

/** Refuses periods that are not a whole, positive number of a known unit. */
export function checkCalendarPeriod(period: CalendarPeriod, field: string): CalendarPeriod {
  if (
    !isPeriodUnit(period.unit) ||
    !Number.isSafeInteger(period.count) ||
    period.count < 1 ||
    period.count > MAX_PERIOD_COUNT
  ) {
    throw new DomainError(
      'INVALID_INPUT',
      `${field} is 1 to ${MAX_PERIOD_COUNT} of ${PERIOD_UNITS.join(', ')}`,
      { field },
    );
  }
  return { count: period.count, unit: period.unit };
}

/** Storage form: `7 day`. */
export function periodToText(period: CalendarPeriod): string {
  return `${period.count} ${period.unit}`;
}

export function periodFromText(text: string): CalendarPeriod {
  const [count, unit] = text.split(' ');
  if (!isPeriodUnit(unit) || !/^\d+$/.test(count ?? '')) throw new Error(`"${text}" is not a stored period`);
  return { count: Number(count), unit };
}
