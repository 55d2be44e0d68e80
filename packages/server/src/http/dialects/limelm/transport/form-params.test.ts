import { describe, expect, it } from 'vitest';
import { emptyParameters, growthRatio, splitForm } from '../../../../test-support/growth-ratio.js';
import { decodeFormComponent, MAX_PARAMETERS, RequestTooComplex } from '../../../plugins/request-limits.js';
import {
  emptyParams,
  type FormParams,
  formatParamsOf,
  mergeParams,
  parseForm,
  parseFormInto,
} from './form-params.js';

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
    expect(decodeFormComponent(raw)).toBe(decoded);
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

  it('merges a body over a query: body values win, names keep their first position', () => {
    const merged = mergeParams(parseForm('a=1&b=2&t[]=q'), parseForm('b=3&c=4&t[]=x&t[]=y'));
    expect({ ...merged.scalars }).toEqual({ a: '1', b: '3', c: '4' });
    expect(merged.lists.t).toEqual(['x', 'y']);
    expect(merged.order).toEqual(['a', 'b', 't', 'c']);
  });

  it(`takes ${MAX_PARAMETERS} parameters and refuses more with the shared limit`, () => {
    expect(parseForm(emptyParameters(MAX_PARAMETERS)).order).toHaveLength(MAX_PARAMETERS);
    expect(() => parseForm(emptyParameters(MAX_PARAMETERS + 1))).toThrow(RequestTooComplex);
  });

  it('reads the format of a refused body from any number of parameters', () => {
    const params = formatParamsOf(`${emptyParameters(120_000)}&format=rest&%66ormat=json&nojsoncallback=1`);
    expect({ ...params.scalars }).toEqual({ format: 'json', nojsoncallback: '1' });
    expect({ ...formatParamsOf('formats=json&nojsoncallback[]=1&f=1&n').scalars }).toEqual({});
  });
});

/** Counts every read and write of the containers a parse fills: the work done per parameter. */
function countingParams(): { params: FormParams; count: () => number } {
  let operations = 0;
  const count = () => {
    operations++;
  };
  const counted = <T extends object>(target: T): T =>
    new Proxy(target, {
      get: (t, p, r) => {
        count();
        return Reflect.get(t, p, r);
      },
      set: (t, p, v, r) => {
        count();
        return Reflect.set(t, p, v, r);
      },
      has: (t, p) => {
        count();
        return Reflect.has(t, p);
      },
      getOwnPropertyDescriptor: (t, p) => {
        count();
        return Reflect.getOwnPropertyDescriptor(t, p);
      },
    });
  const empty = emptyParams();
  const params = {
    scalars: counted(empty.scalars),
    lists: counted(empty.lists),
    order: counted(empty.order),
  };
  return { params, count: () => operations };
}

describe('form parsing work', () => {
  it('does constant work per parameter, whatever their number (no search of what was read)', () => {
    const perParameter = (n: number) => {
      const { params, count } = countingParams();
      parseFormInto(params, emptyParameters(n), Number.POSITIVE_INFINITY);
      return count() / n;
    };
    const few = perParameter(100);
    expect(perParameter(4_000)).toBeLessThanOrEqual(few * 1.1);
    // Merging a body into a query too.
    const { params, count } = countingParams();
    mergeParams(params, parseForm(emptyParameters(4_000, 'q'), Number.POSITIVE_INFINITY));
    expect(count() / 4_000).toBeLessThanOrEqual(few * 2);
  });

  it('takes time linear in the number of parameters', () => {
    const parse = (text: string) => parseForm(text, Number.POSITIVE_INFINITY);
    expect(growthRatio(emptyParameters, parse, { n: 5_000, factor: 8, reference: splitForm })).toBeLessThan(
      4,
    );
  });
});
