import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyParameters, growthRatio, splitForm } from '../../test-support/growth-ratio.js';
import {
  assertParameterCount,
  checkJsonShape,
  decodeFormComponent,
  formPairs,
  MAX_JSON_DEPTH,
  MAX_PARAMETERS,
  RequestTooComplex,
} from './request-limits.js';

const refusal = (run: () => unknown): RequestTooComplex | null => {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof RequestTooComplex) return error;
    throw error;
  }
};

describe('form pairs', () => {
  it('splits pairs in order, skips empty pieces, and keeps the text encoded', () => {
    expect(formPairs('a=1&&b&c=x=y&=v&d%5B%5D=%41+')).toEqual([
      ['a', '1'],
      ['b', ''],
      ['c', 'x=y'],
      ['', 'v'],
      ['d%5B%5D', '%41+'],
    ]);
    expect(formPairs('')).toEqual([]);
  });

  it(`takes ${MAX_PARAMETERS} parameters and refuses one more with 413, as the count check does`, () => {
    expect(formPairs(emptyParameters(MAX_PARAMETERS))).toHaveLength(MAX_PARAMETERS);
    expect(() => assertParameterCount(emptyParameters(MAX_PARAMETERS))).not.toThrow();
    // Empty pieces are not parameters.
    expect(() => assertParameterCount(`${emptyParameters(MAX_PARAMETERS)}&&&`)).not.toThrow();
    for (const check of [formPairs, assertParameterCount]) {
      const error = refusal(() => check(emptyParameters(MAX_PARAMETERS + 1)));
      expect(error?.statusCode).toBe(413);
      expect(error?.message).toBe(`the request has more than ${MAX_PARAMETERS} parameters`);
    }
  });

  it('is linear in the number of pairs, with or without "=" in them', () => {
    // Relative to a built-in split of the same text: about 1 when linear, 8 when quadratic.
    const parse = (text: string) => formPairs(text, Number.POSITIVE_INFINITY);
    const options = { n: 10_000, factor: 8, reference: splitForm };
    expect(growthRatio(emptyParameters, parse, options)).toBeLessThan(4);
    expect(growthRatio((n) => 'a&'.repeat(n), parse, options)).toBeLessThan(4);
    // The count check allocates nothing: its plain growth is about 8 when linear, 64 when quadratic.
    const count = (text: string) => assertParameterCount(text, Number.POSITIVE_INFINITY);
    expect(growthRatio(emptyParameters, count, { n: 20_000, factor: 8 })).toBeLessThan(24);
  });
});

describe('form component decoding (browsers and PHP agree)', () => {
  it.each([
    ['a+b', 'a b'],
    ['a%20b', 'a b'],
    ['100%', '100%'],
    ['%zz%4', '%zz%4'],
    ['%C3%BC', 'ü'],
    ['ü+%C3%BC+%', 'ü ü %'],
    ['%FF', '\uFFFD'],
    ['%F0%9F%98%80%', '😀%'],
    ['john@example.com', 'john@example.com'],
  ])('decodes %s as %s', (raw, decoded) => {
    expect(decodeFormComponent(raw)).toBe(decoded);
    // The same as URLSearchParams for encoded text (Node's misreads raw non-ASCII characters).
    if (/^[\x20-\x7e]*$/.test(raw)) expect(new URLSearchParams(`k=${raw}`).get('k')).toBe(decoded);
  });

  it('is linear in the length of malformed text', () => {
    const reference = (text: string) => Buffer.from(text).toString('utf8');
    const options = { n: 20_000, factor: 8, reference };
    expect(growthRatio((n) => '%FF%zz'.repeat(n), decodeFormComponent, options)).toBeLessThan(4);
  });
});

describe('JSON shape', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it(`takes nesting of ${MAX_JSON_DEPTH} levels and refuses one more with 400`, () => {
    expect(() => checkJsonShape(nested(MAX_JSON_DEPTH), 1000)).not.toThrow();
    expect(refusal(() => checkJsonShape(nested(MAX_JSON_DEPTH + 1), 1000))?.statusCode).toBe(400);
    expect(refusal(() => checkJsonShape('{"a":'.repeat(100_000), 1000))?.statusCode).toBe(400);
    // Brackets inside strings, escaped quotes included, are text.
    const text = JSON.stringify({ a: `"${'['.repeat(100)}\\"{` });
    expect(() => checkJsonShape(text, 1000)).not.toThrow();
  });

  it('refuses more values than allowed with 413', () => {
    const array = (n: number) => `[${new Array(n).fill('0').join(',')}]`;
    expect(() => checkJsonShape(array(999), 1000)).not.toThrow();
    expect(refusal(() => checkJsonShape(array(1000), 1000))?.statusCode).toBe(413);
    const object = (n: number) =>
      JSON.stringify(
        Object.fromEntries(
          emptyParameters(n)
            .split('&')
            .map((k) => [k, '']),
        ),
      );
    expect(refusal(() => checkJsonShape(object(1000), 1000))?.statusCode).toBe(413);
    // Commas inside strings are text.
    expect(() => checkJsonShape(JSON.stringify({ a: ','.repeat(5000) }), 10)).not.toThrow();
  });

  it('is linear in the length of the text', () => {
    const check = (text: string) => checkJsonShape(text, Number.POSITIVE_INFINITY);
    expect(growthRatio((n) => `[${'"x",'.repeat(n)}0]`, check, { n: 20_000, factor: 8 })).toBeLessThan(24);
  });
});

describe('every request parser', () => {
  it('lives in a file that reads requests through the shared limits', () => {
    const http = join(import.meta.dirname, '..');
    const files = readdirSync(http, { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    const parsers = files.filter((file) =>
      /addContentTypeParser\(/.test(readFileSync(join(http, file), 'utf8')),
    );
    // The native API's parser is here; each dialect replaces all parsers in its own plugin.
    expect(parsers.sort()).toEqual([
      'dialects/authtool/body-parsers.ts',
      'dialects/cryptolens/plugin.ts',
      'dialects/limelm/limelm-api.ts',
      'payments/payment-webhooks.ts',
      'plugins/request-limits.ts',
      'portal/portal-api.ts',
    ]);
    for (const file of parsers) {
      const text = readFileSync(join(http, file), 'utf8');
      const readsForms = /qs\.parse|URLSearchParams|split\('&'\)/.test(text);
      expect(
        file === 'plugins/request-limits.ts' ||
          /from '[./]+\/(plugins\/)?request-limits\.js'|form-params\.js'/.test(text),
        relative(http, join(http, file)),
      ).toBe(true);
      if (readsForms) expect(text, file).toMatch(/assertParameterCount|formPairs/);
    }
  });
});
