import type { FeatureField, FeatureType, FeatureValue } from '../../../core/model.js';
import { limeDateTime, parseLimeDate } from './dates.js';
import { LIMELM_ERRORS } from './errors.js';
import type { Params } from './transport/params.js';

/** LimeLM's field type names. `checkbox` is a guess: the vendor's API name for that type is unknown. */
export const LIME_TYPE: Record<FeatureType, string> = {
  string: 'string',
  integer: 'int',
  date: 'date_time',
  boolean: 'checkbox',
};

/** A missing or unknown type is `string`, as feature.add documents. */
export function typeFromLime(text: string | undefined): FeatureType {
  const found = Object.entries(LIME_TYPE).find(([, name]) => name === text?.toLowerCase());
  return (found?.[0] as FeatureType | undefined) ?? 'string';
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 'checked', 'y']);

/**
 * Molds a text into the field's type, as LimeLM does with values that do not fit ("a best guess"): an
 * integer field takes the leading whole number (`12abc` → 12, `3.7` → 3, `yes` → 1, other text → 0,
 * clamped to ±2^53); a checkbox is on for true/1/yes/on/checked; a date takes any date or date-time the API reads.
 * Null means "no value": an empty text, or a date that cannot be read.
 */
export function moldFeatureValue(field: FeatureField, raw: string): FeatureValue | null {
  const text = raw.trim();
  if (text === '') return null;
  switch (field.type) {
    case 'string':
      return raw;
    case 'integer': {
      const match = /^[+-]?\d+/.exec(text);
      if (!match) return TRUE_WORDS.has(text.toLowerCase()) ? 1 : 0;
      const n = Number(match[0]);
      return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
    }
    case 'boolean':
      return TRUE_WORDS.has(text.toLowerCase());
    case 'date': {
      const parsed = parseLimeDate(text);
      return parsed ? parsed.date.toISOString() : null;
    }
  }
}

/** A stored value the way LimeLM shows it. */
export function formatFeatureValue(type: FeatureType, value: FeatureValue): string {
  if (type === 'date' && typeof value === 'string') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : limeDateTime(date);
  }
  return String(value);
}

/**
 * `feature_name[]` with `feature_value[]`, paired by position; 116 when the counts differ. Undefined when
 * neither was sent.
 */
export function featurePairs(params: Params): Array<[string, string]> | undefined {
  const names = params.list('feature_name');
  const values = params.list('feature_value');
  if (names === undefined && values === undefined) return undefined;
  if ((names?.length ?? 0) !== (values?.length ?? 0)) throw LIMELM_ERRORS.featureCountMismatch();
  return (names ?? []).map((name, i) => [name.trim(), (values ?? [])[i] as string]);
}

/**
 * Feature values for core from name/value pairs, molded to each field's type. An empty value clears the
 * field (null); core then refuses a required field left without value or default (117). Unknown names: 127.
 */
export function featureChanges(
  fields: FeatureField[],
  pairs: Array<[string, string]>,
): Record<string, FeatureValue | null> {
  const changes: Record<string, FeatureValue | null> = {};
  for (const [name, raw] of pairs) {
    const field = fields.find((f) => f.name === name);
    if (!field) throw LIMELM_ERRORS.featureNotFound();
    changes[name] = moldFeatureValue(field, raw);
  }
  return changes;
}
