import { describe, expect, it } from 'vitest';
import { Params } from './params.js';

describe('Params: the leniency the SDKs need', () => {
  it('matches names in any case; the body overrides the query; the first spelling in one source wins', () => {
    const params = Params.from({ productid: '1', Key: 'query-key' }, { KEY: 'body-key', key: 'later' });
    expect(params.int('ProductId', 0)).toBe(1);
    expect(params.string('Key')).toBe('body-key');
  });

  it.each([
    ['True', true],
    ['true', true],
    ['1', true],
    ['False', false],
    ['false', false],
    ['0', false],
    ['', true],
    ['None', true],
    ['null', true],
    ['yes', true],
  ])('reads the boolean %j (default true) as %s', (text, expected) => {
    expect(Params.from({ Sign: text }).bool('Sign', true)).toBe(expected);
  });

  it.each([
    ['42', 42],
    ['-7', -7],
    ['+3', 3],
    [' 5 ', 5],
    ['', 9],
    ['null', 9],
    ['None', 9],
    ['1.5', 9],
    ['2147483647', 2_147_483_647],
    ['2147483648', 9],
    ['-2147483649', 9],
    ['99999999999999999999', 9],
  ])('reads the integer %j (default 9) as %s', (text, expected) => {
    expect(Params.from({ n: text }).int('n', 9)).toBe(expected);
  });

  it('turns the SDKs placeholders for nothing into absence', () => {
    const params = Params.from({ a: 'null', b: 'None', c: '', d: 'undefined', e: 'x' });
    for (const name of ['a', 'b', 'c', 'd']) expect(params.raw(name)).toBeUndefined();
    expect(params.nullableString('e')).toBe('x');
    expect(params.string('a', 'fallback')).toBe('fallback');
  });

  it.each([
    ['1', 'StringSign'],
    ['StringSign', 'StringSign'],
    ['stringsign', 'StringSign'],
    ['0', 'LinqSign'],
    ['LinqSign', 'LinqSign'],
    ['', 'LinqSign'],
    ['2', 'LinqSign'],
  ])('reads SignMethod %j as %s', (text, expected) => {
    expect(Params.from({ signmethod: text }).signMethod()).toBe(expected);
  });

  it('reads ids only in 1…2147483647', () => {
    expect(Params.from({ id: '0' }).id('id')).toBeNull();
    expect(Params.from({ id: '-1' }).id('id')).toBeNull();
    expect(Params.from({ id: '2147483647' }).id('id')).toBe(2_147_483_647);
    expect(Params.from({ id: '12' }).id('ID')).toBe(12);
  });

  it('takes the first of repeated query values and ignores nested values', () => {
    const params = Params.from({ Key: ['first', 'second'], nested: { a: 1 }, n: 5, b: true });
    expect(params.string('Key')).toBe('first');
    expect(params.raw('nested')).toBeUndefined();
    expect(params.int('n', 0)).toBe(5);
    expect(params.bool('b', false)).toBe(true);
  });
});
