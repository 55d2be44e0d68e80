import { DomainError } from '../domain-error.js';

/** `+ 22 days`, `-3 months`, `+1 year`: a signed amount of minutes, hours, days, months or years. */
const RELATIVE = /^\s*([+-])\s*(\d{1,6})\s*(minute|hour|day|month|year)s?\s*$/i;

export interface RelativeTime {
  sign: 1 | -1;
  amount: number;
  unit: 'minute' | 'hour' | 'day' | 'month' | 'year';
}

/** Parses a relative time; the sign is required so `22 days` is not silently read as a future date. */
export function parseRelativeTime(text: string): RelativeTime {
  const match = RELATIVE.exec(text);
  if (!match) {
    throw new DomainError(
      'INVALID_INPUT',
      `"${text.slice(0, 50)}" is not a relative time like "+ 22 days" (the sign is required)`,
      { field: 'relativeDefault' },
    );
  }
  return {
    sign: match[1] === '-' ? -1 : 1,
    amount: Number(match[2]),
    unit: (match[3] as string).toLowerCase() as RelativeTime['unit'],
  };
}

/** Calendar arithmetic in UTC: a month after January 31 is the last day of February. */
export function applyRelativeTime(from: Date, text: string): Date {
  const { sign, amount, unit } = parseRelativeTime(text);
  const n = sign * amount;
  const date = new Date(from.getTime());
  switch (unit) {
    case 'minute':
      return new Date(date.getTime() + n * 60_000);
    case 'hour':
      return new Date(date.getTime() + n * 3_600_000);
    case 'day':
      return new Date(date.getTime() + n * 86_400_000);
    case 'month':
    case 'year': {
      const months = unit === 'year' ? n * 12 : n;
      const day = date.getUTCDate();
      date.setUTCDate(1);
      date.setUTCMonth(date.getUTCMonth() + months);
      const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
      date.setUTCDate(Math.min(day, lastDay));
      return date;
    }
  }
}
