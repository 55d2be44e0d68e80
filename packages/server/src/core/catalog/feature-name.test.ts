import { describe, expect, it } from 'vitest';
import { DomainError } from '../domain-error.js';
import { checkFeatureName, isFeatureName, MAX_FEATURE_NAME_LENGTH } from './feature-name.js';

describe('feature names', () => {
  it.each([
    ['seats', true],
    ['updates_expire', true],
    ['v1.2-beta', true],
    ['your feature', true],
    ['F1', true],
    ['édition', true],
    ['機能', true],
    ['x'.repeat(MAX_FEATURE_NAME_LENGTH), true],
    ['', false],
    [' ', false],
    [' seats', false],
    ['seats ', false],
    ['two  spaces', false],
    ['x'.repeat(MAX_FEATURE_NAME_LENGTH + 1), false],
    ['<img src=x onerror=alert(1)>', false],
    ['a"b', false],
    ["a'b", false],
    ['a,b', false],
    ['a=b', false],
    ['a&b', false],
    ['a/b', false],
    ['tab\there', false],
    ['line\nbreak', false],
    ['nul\u0000', false],
    ['rtl\u202eoverride', false],
    ['zero\u200bwidth', false],
  ])('%j is a feature name: %s', (name, expected) => {
    expect(isFeatureName(name)).toBe(expected);
  });

  it('refuses with INVALID_INPUT on the field named, without echoing the name', () => {
    try {
      checkFeatureName('<b>x</b>', 'featureFields');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'featureFields' } });
      expect((error as Error).message).not.toContain('<b>');
    }
  });
});
