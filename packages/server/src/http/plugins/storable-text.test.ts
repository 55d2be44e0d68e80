import { describe, expect, it } from 'vitest';
import { findUnstorable } from './storable-text.js';

describe('text no database can store faithfully', () => {
  it('names where the first NUL or lone surrogate sits, however deep', () => {
    expect(findUnstorable('a\u0000b', 'querystring')).toBe('querystring');
    expect(findUnstorable({ key: 'K', data: { items: ['ok', { name: 'x\ud800' }] } }, 'body')).toBe(
      'body.data.items.1.name',
    );
    expect(findUnstorable({ ok: { ['bad\u0000key']: 1 } }, 'body')).toBe('body.ok.(a key)');
  });

  it('finds nothing in storable text, paired surrogates included', () => {
    expect(findUnstorable({ key: 'K', emoji: '😀', list: [1, null, true, 'é'] }, 'body')).toBeNull();
    expect(findUnstorable(undefined, 'params')).toBeNull();
  });

  it('walks a value nested past any stack depth', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorable(deep, 'body')?.startsWith('body.0.0.0')).toBe(true);
  });
});
