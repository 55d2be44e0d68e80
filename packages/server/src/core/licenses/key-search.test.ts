import { describe, expect, it } from 'vitest';
import { keySearch, keySearchForm } from './key-search.js';

describe('keySearchForm', () => {
  it.each([
    ['JNQN5-DZ45R-ABCDE-FGHJK', 'JNQN5DZ45RABCDEFGHJK'],
    ['jnqn5-dz45r', 'JNQN5DZ45R'],
    ['ab cd-ef', 'ABCDEF'],
    ['a_b%c\\d', 'A_B%C\\D'],
    // Only ASCII letters change case, as in the databases' column.
    ['é-ß-straße', 'éßSTRAßE'],
    ['tab\there', 'TAB\tHERE'],
  ])('%j → %j', (text, form) => {
    expect(keySearchForm(text)).toBe(form);
  });
});

describe('keySearch', () => {
  it.each([
    ['dz45r', { form: 'DZ45R', match: 'contains' }],
    [' JNQN5-DZ45R ', { form: 'JNQN5DZ45R', match: 'contains' }],
    ['abc', { form: 'ABC', match: 'contains' }],
    ['a-b', { form: 'AB', match: 'prefix' }],
    ['j', { form: 'J', match: 'prefix' }],
    ['-é-', { form: 'é', match: 'prefix' }],
  ])('%j asks for %j', (fragment, asked) => {
    expect(keySearch(fragment)).toEqual(asked);
  });

  it.each(['', '   ', '---', ' - - '])('%j asks for nothing', (fragment) => {
    expect(keySearch(fragment)).toBeNull();
  });
});
