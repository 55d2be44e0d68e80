import { type CalendarPeriod, isPeriodUnit, PERIOD_UNITS } from '../../../core/licenses/calendar-period.js';
import type { KeyKind } from '../../../core/licenses/key-issuing-service.js';
import { AuthToolFailure } from './failures.js';

/** A create request, checked: what AuthTool documents, in the order its fields are documented. */
export interface CreateRequest {
  kind: KeyKind;
  quantity: number;
  packageIds: number[];
  validity: CalendarPeriod;
  activateCount?: number;
  endDate?: Date;
  alias: string | null;
  isCleanable: boolean;
}

const MAX_PACKAGES = 100;
const MAX_ALIAS_LENGTH = 100;
const MAX_ID = 2_147_483_647;

const invalid = (message: string) => new AuthToolFailure(422, message);

/** JSON numbers, and digit strings as form bodies send them. Anything else (fractions, `1e3`) is refused. */
function wholeNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' && /^\s*\d{1,16}\s*$/.test(value)) return Number(value);
  return null;
}

function integerIn(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = body[field];
  if (value === undefined || value === null || value === '') throw invalid(`${field} is required`);
  const n = wholeNumber(value);
  if (n === null || n < min || n > max) throw invalid(`${field} must be an integer from ${min} to ${max}`);
  return n;
}

function packageIds(body: Record<string, unknown>): number[] {
  const value = body.packageIds;
  if (value === undefined || value === null) throw invalid('packageIds is required');
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PACKAGES) {
    throw invalid(`packageIds must be a list of 1 to ${MAX_PACKAGES} package ids`);
  }
  const ids = value.map(wholeNumber);
  if (ids.some((id) => id === null || id < 1 || id > MAX_ID)) {
    throw invalid('packageIds must hold package ids (positive integers)');
  }
  return [...new Set(ids as number[])];
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * ISO 8601 calendar dates and date-times. A date alone is midnight UTC, and so is a date-time without an
 * offset: the server's own time zone must not change what a key's end date means. Impossible dates
 * (February 30, hour 24, second 60) are refused rather than rolled over.
 */
export function parseIsoDate(text: string): Date | null {
  const m = ISO_8601.exec(text.trim());
  if (!m) return null;
  const part = (index: number) => Number(m[index] ?? 0);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map(part) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(utc);
  // Date.UTC reads years 0-99 as 1900-1999, and rolls February 30 over into March: both are refused.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return null;
  }
  let offsetMinutes = 0;
  if (m[9]) {
    const hours = Number(m[10]);
    const minutes = Number(m[11]);
    if (hours > 23 || minutes > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return new Date(utc - offsetMinutes * 60_000);
}

function endDate(body: Record<string, unknown>, now: Date): Date {
  const value = body.endDate;
  if (value === undefined || value === null || value === '') throw invalid('endDate is required');
  const date = typeof value === 'string' ? parseIsoDate(value) : null;
  if (!date) throw invalid('endDate must be an ISO 8601 date, e.g. 2030-12-31T23:59:59Z');
  if (date <= now) throw invalid('endDate must be a future date');
  return date;
}

function alias(body: Record<string, unknown>): string | null {
  const value = body.alias;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim().length > MAX_ALIAS_LENGTH) {
    throw invalid(`alias must be text of at most ${MAX_ALIAS_LENGTH} characters`);
  }
  return value.trim() === '' ? null : value.trim();
}

/** true/false, and the spellings form bodies and PHP use for them: 1/0, "1"/"0", "true"/"false". */
function isCleanable(body: Record<string, unknown>): boolean {
  const value = body.isCleanable;
  if (value === undefined || value === null || value === '') return false;
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'false') return false;
  throw invalid('isCleanable must be a boolean');
}

/** Checks a create request; the first invalid field, in documented order, names the 422 answer. */
export function parseCreateRequest(body: unknown, kind: KeyKind, now: Date): CreateRequest {
  const fields: Record<string, unknown> = body === undefined ? {} : (body as Record<string, unknown>);
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw invalid('The request body must be a JSON object');
  }
  const quantity = integerIn(fields, 'quantity', 1, 999);
  const packages = packageIds(fields);
  const duration = integerIn(fields, 'duration', 1, 9999);
  const unit = fields.unit;
  if (!isPeriodUnit(unit)) throw invalid(`unit must be one of ${PERIOD_UNITS.join(', ')}`);
  const multi =
    kind === 'multi-activation'
      ? { activateCount: integerIn(fields, 'activateCount', 2, 9_999_999), endDate: endDate(fields, now) }
      : {};
  return {
    kind,
    quantity,
    packageIds: packages,
    validity: { count: duration, unit },
    ...multi,
    alias: alias(fields),
    isCleanable: isCleanable(fields),
  };
}
