import { describe, expect, it } from 'vitest';
import { hasScope, SCOPES, type Scope } from './scopes.js';

describe('SCOPES', () => {
  it('starts with * and lists each scope once, as resource:action', () => {
    expect(SCOPES[0]).toBe('*');
    expect(new Set(SCOPES).size).toBe(SCOPES.length);
    expect(SCOPES.slice(1).filter((s) => !/^[a-z-]+:(read|write|validate)$/.test(s))).toEqual([]);
  });
});

describe('hasScope', () => {
  const rows: [string, string[], Scope, boolean][] = [
    ['* grants everything', ['*'], 'tokens:write', true],
    ['* among others', ['licenses:read', '*'], 'machines:write', true],
    ['the exact scope', ['licenses:read', 'machines:read'], 'machines:read', true],
    ['write does not imply read', ['licenses:write'], 'licenses:read', false],
    ['read does not imply write', ['licenses:read'], 'licenses:write', false],
    ['read does not imply validate', ['licenses:read'], 'licenses:validate', false],
    ['no scopes', [], 'products:read', false],
    ['a resource name is no wildcard', ['licenses'], 'licenses:read', false],
    ['a prefix wildcard is not understood', ['licenses:*'], 'licenses:read', false],
    ['scopes are case-sensitive', ['LICENSES:READ'], 'licenses:read', false],
    ['a similar resource', ['data-objects:read'], 'products:read', false],
  ];

  it.each(rows)('%s', (_name, granted, needed, expected) => {
    expect(hasScope(granted, needed)).toBe(expected);
  });
});
