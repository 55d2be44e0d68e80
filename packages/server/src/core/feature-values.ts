import { DomainError } from './domain-error.js';
import type { FeatureField, FeatureValue } from './model.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

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
      if (typeof raw !== 'string' || !ISO_DATE.test(raw)) return invalid(field, raw);
      const date = new Date(raw);
      if (Number.isNaN(date.getTime())) return invalid(field, raw);
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
    if (!field) throw new DomainError('FEATURE_INVALID', `unknown feature "${name}"`, { feature: name });
    if (raw === null) delete result[name];
    else result[name] = coerceFeatureValue(field, raw);
  }
  for (const field of fields) {
    if (field.isRequired && result[field.name] === undefined && field.defaultValue === null) {
      throw new DomainError('FEATURE_INVALID', `feature "${field.name}" is required`, {
        feature: field.name,
      });
    }
  }
  return result;
}
