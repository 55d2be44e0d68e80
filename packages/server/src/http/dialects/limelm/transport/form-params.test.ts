import { describe, expect, it } from 'vitest';
import { decodeComponent, parseForm } from './form-params.js';

describe('PHP-style form parsing', () => {
  it.each([
    ['a+b', 'a b'],
    ['a%20b', 'a b'],
    ['100%', '100%'],
    ['%zz%4', '%zz%4'],
    ['%C3%BC', 'ü'],
    ['ü', 'ü'],
    ['%FF', '\uFFFD'],
    ['john@example.com', 'john@example.com'],
  ])('decodes %s as %s', (raw, decoded) => {
    expect(decodeComponent(raw)).toBe(decoded);
  });

  it('reads lists with [] and [N] in order, and plain keys last-wins', () => {
    const params = parseForm('a=1&a=2&t[]=x&t[5]=y&t%5B%5D=z&&=ignored&flag&__proto__=p&deep[a][b]=d');
    expect(Object.entries(params.scalars)).toEqual([
      ['a', '2'],
      ['flag', ''],
      ['__proto__', 'p'],
    ]);
    expect(params.lists.t).toEqual(['x', 'y', 'z']);
    expect(params.lists.deep).toEqual(['d']);
    expect(params.order).toEqual(['a', 't', 'flag', '__proto__', 'deep']);
    expect(Object.getPrototypeOf(params.scalars)).toBeNull();
  });
});
