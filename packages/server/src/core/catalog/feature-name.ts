import { DomainError } from '../domain-error.js';

/**
 * The one rule for a feature field's name, on every surface and every way in (native API, dialects,
 * imports). A name is a key that apps look values up by and that every surface shows (dashboard, LimeLM XML,
 * license files), so it holds only words of letters, digits, `_`, `.` and `-` separated by single spaces
 * ("seats", "updates_expire", "your feature"): no markup, quotes, separators or invisible characters.
 */
export const MAX_FEATURE_NAME_LENGTH = 100;

/** The rule as a JSON-schema pattern (Unicode-aware, as Ajv reads patterns) for the API's documentation. */
export const FEATURE_NAME_PATTERN = '^[\\p{L}\\p{N}_.\\-]+(?: [\\p{L}\\p{N}_.\\-]+)*$';

const FEATURE_NAME = new RegExp(FEATURE_NAME_PATTERN, 'u');

export const FEATURE_NAME_RULE = `a feature name has 1 to ${MAX_FEATURE_NAME_LENGTH} characters: letters, digits, "_", "." and "-", in words separated by single spaces`;

export function isFeatureName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_FEATURE_NAME_LENGTH && FEATURE_NAME.test(name);
}

/** Refuses a name outside the rule with INVALID_INPUT on `field`. */
export function checkFeatureName(name: string, field = 'name'): void {
  if (!isFeatureName(name)) {
    throw new DomainError('INVALID_INPUT', FEATURE_NAME_RULE, { field });
  }
}
