import { DomainError } from '../domain-error.js';
import type { FeatureField, FeatureValue } from '../model.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** `Date` rolls 2026-02-30 over to March 2; a feature date must name a day that exists. */
function isCalendarDate(raw: string): boolean {
  const [year = 0, month = 0, day = 0] = raw.slice(0, 10).split('-').map(Number);
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

function invalid(field: FeatureField, raw: unknown): never {
  throw new DomainError('FEATURE_INVALID', `feature "${field.name}" expects a ${field.type}`, {
    feature: field.name,
    type: field.type,
    value: typeof raw === 'string' ? raw.slice(0, 100) : raw,
  });
}

/** Strictly converts a value to a field's type; strings that spell the value exactly are accepted. */
export function coerceFeatureValue(field: FeatureField, raw: unknown): FeatureValue {
  switch (field.type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      return invalid(field, raw);
    case 'integer': {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
      return invalid(field, raw);
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 1) return true;
      if (raw === 'false' || raw === '0' || raw === 0) return false;
      return invalid(field, raw);
    case 'date': {
      const match = typeof raw === 'string' ? ISO_DATE.exec(raw) : null;
      if (typeof raw !== 'string' || !match) return invalid(field, raw);
      // A date-time without an offset is UTC like a bare date, not the server's local time.
      const date = new Date(match[1] !== undefined && match[4] === undefined ? `${raw}Z` : raw);
      if (Number.isNaN(date.getTime()) || !isCalendarDate(raw)) return invalid(field, raw);
      return date.toISOString();
    }
  }
}

/**
 * Builds a license's feature values from what a caller gave: each value checked against its field, unknown
 * names refused, required fields without a default demanded.
 */
export function resolveFeatures(
  fields: FeatureField[],
  given: Record<string, unknown>,
  existing: Record<string, FeatureValue> = {},
): Record<string, FeatureValue> {
  const result: Record<string, FeatureValue> = { ...existing };
  for (const [name, raw] of Object.entries(given)) {
    const field = fields.find((f) => f.name === name);
    if (!field)
      throw new DomainError('FEATURE_INVALID', `unknown feature "${name}"`, {
        feature: name,
        reason: 'UNKNOWN',
      });
    if (raw === null) delete result[name];
    else result[name] = coerceFeatureValue(field, raw);
  }
  for (const field of fields) {
    if (field.isRequired && !Object.hasOwn(result, field.name) && field.defaultValue === null) {
      throw new DomainError('FEATURE_INVALID', `feature "${field.name}" is required`, {
        feature: field.name,
        reason: 'REQUIRED',
      });
    }
  }
  return result;
}
