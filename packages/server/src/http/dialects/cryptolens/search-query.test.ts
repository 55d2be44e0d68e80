import { describe, expect, it } from 'vitest';
import { type KeyRecord, parseOrderBy, parseSearchQuery, QueryError } from './search-query.js';

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
