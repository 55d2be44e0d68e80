import { describe, expect, it } from 'vitest';
import {
  type KeyRecord,
  MAX_SEARCH_QUERY_DEPTH,
  MAX_SEARCH_QUERY_LENGTH,
  parseOrderBy,
  parseSearchQuery,
  QueryError,
} from './search-query.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const record: KeyRecord = {
  ID: 7,
  Key: 'ABCDE-FGHIJ',
  Notes: 'vip customer',
  Created: new Date('2025-06-01T00:00:00Z'),
  Expires: new Date('2027-01-01T00:00:00Z'),
  Period: 30,
  F1: true,
  F2: false,
  F3: false,
  F4: false,
  F5: false,
  F6: false,
  F7: false,
  F8: false,
  Block: false,
  TrialActivation: false,
  MaxNoOfMachines: 2,
  GlobalId: 7,
  CustomerId: null,
  ResellerId: null,
  AllowedMachines: '',
};

describe('SearchQuery subset', () => {
  it.each([
    ['', true],
    ['ID == 7', true],
    ['id = 7', true],
    ['ID != 7', false],
    ['ID > 6 && ID < 8', true],
    ['ID >= 8 || Period <= 30', true],
    ['Key == "ABCDE-FGHIJ"', true],
    ['Key.StartsWith("ABC")', true],
    ['Key.EndsWith("XYZ")', false],
    ['Notes.Contains("vip")', true],
    ['Notes.Contains("VIP")', false],
    ['F1', true],
    ['!F1', false],
    ['F1 == true and not_a_field', 'error'],
    ['F2 == false && !(Block || TrialActivation)', true],
    ['CustomerId == null', true],
    ['Expires > DateTime(2026,12,31)', true],
    ['Expires < DateTime.Now', false],
    ['Created >= DateTime(2025, 6, 1, 0, 0, 0)', true],
    ['Created < DateTime.Today', true],
    ['DateTime(2025,2,30) < Created', 'error'],
    ['Expires > DateTime(2025,2,30)', 'error'],
    ['ID ==', 'error'],
    ['(ID == 7', 'error'],
    ['Key.Reverse()', 'error'],
    ['Notes.Contains(vip)', 'error'],
    ['ID == 7 extra', 'error'],
    ['Key == "unterminated', 'error'],
    ['ID == 7; drop table', 'error'],
  ])('%j matches: %s', (query, expected) => {
    if (expected === 'error') expect(() => parseSearchQuery(query, NOW)).toThrow(QueryError);
    else expect(parseSearchQuery(query, NOW)(record)).toBe(expected);
  });
});

describe('SearchQuery bounds', () => {
  const nested = (depth: number) => `${'('.repeat(depth)}F1${')'.repeat(depth)}`;

  it(`takes nesting of ${MAX_SEARCH_QUERY_DEPTH} levels and refuses deeper as a query error, not a crash`, () => {
    expect(parseSearchQuery(nested(MAX_SEARCH_QUERY_DEPTH), NOW)(record)).toBe(true);
    expect(parseSearchQuery(`${'!'.repeat(MAX_SEARCH_QUERY_DEPTH)}F1`, NOW)(record)).toBe(true);
    expect(parseSearchQuery(`!(!(${'!'.repeat(MAX_SEARCH_QUERY_DEPTH - 4)}F1))`, NOW)(record)).toBe(true);
    for (const query of [
      nested(MAX_SEARCH_QUERY_DEPTH + 1),
      `${'!'.repeat(MAX_SEARCH_QUERY_DEPTH + 1)}F1`,
      `${'!('.repeat(MAX_SEARCH_QUERY_DEPTH)}F1${')'.repeat(MAX_SEARCH_QUERY_DEPTH)}`,
    ]) {
      expect(() => parseSearchQuery(query, NOW), query.slice(0, 20)).toThrow(QueryError);
    }
  });

  it('refuses the review\'s queries (100,000 parentheses, 200,000 "!") as query errors', () => {
    expect(() => parseSearchQuery(nested(100_000), NOW)).toThrow(QueryError);
    expect(() => parseSearchQuery(`${'!'.repeat(200_000)}F1`, NOW)).toThrow(QueryError);
  });

  it(`takes ${MAX_SEARCH_QUERY_LENGTH} characters and refuses longer`, () => {
    const longest = `Notes == "${'x'.repeat(MAX_SEARCH_QUERY_LENGTH - 11)}"`;
    expect(longest).toHaveLength(MAX_SEARCH_QUERY_LENGTH);
    expect(parseSearchQuery(longest, NOW)(record)).toBe(false);
    expect(() => parseSearchQuery(`${longest} `, NOW)).toThrow(QueryError);
  });

  it('reads a chain of conditions as long as the limit allows, without nesting', () => {
    const chain = Array.from({ length: 700 }, (_, i) => `ID != ${1000 + i}`).join(' && ');
    expect(chain.length).toBeLessThanOrEqual(MAX_SEARCH_QUERY_LENGTH);
    expect(parseSearchQuery(chain, NOW)(record)).toBe(true);
    expect(parseSearchQuery(`${chain} || ID == 7`, NOW)(record)).toBe(true);
  });
});

describe('OrderBy', () => {
  it.each([
    ['ID ascending', { field: 'ID', descending: false }],
    ['expires descending', { field: 'Expires', descending: true }],
    ['Key', { field: 'Key', descending: false }],
    ['Created desc', { field: 'Created', descending: true }],
  ])('%j', (text, expected) => expect(parseOrderBy(text)).toEqual(expected));

  it.each(['', 'Colour ascending', 'ID sideways', 'ID ascending extra'])('refuses %j', (text) => {
    expect(() => parseOrderBy(text)).toThrow(QueryError);
  });
});
