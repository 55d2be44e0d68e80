import { describe, expect, it } from 'vitest';
import { TypeScriptTypes } from './typescript-types.js';

const Item = {
  title: 'Item',
  description: 'A thing.',
  type: 'object',
  required: ['id', 'tags'],
  properties: {
    id: { type: 'integer', description: 'Its id' },
    tags: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
    state: { title: 'State', enum: ['on', "it's off"] },
    'odd-key': { type: 'object', additionalProperties: {} },
  },
};
const pageOf = (items: unknown) => ({
  title: 'Page',
  type: 'object',
  required: ['data', 'nextCursor'],
  properties: { data: { type: 'array', items }, nextCursor: { type: ['string', 'null'] } },
});

describe('TypeScript types from titled schemas', () => {
  it('declares each titled shape once and refers to it by name, pages as Page<T>', () => {
    const types = new TypeScriptTypes();
    types.collect({ paths: [Item, pageOf(Item), pageOf({ type: 'integer' }), { list: pageOf(Item) }] });
    expect(types.declarations()).toBe(
      [
        '/** A thing. */',
        'export interface Item {',
        '  /** Its id */',
        '  id: number;',
        '  tags: (string | null)[];',
        '  state?: State;',
        "  'odd-key'?: Record<string, unknown>;",
        '}',
        '',
        'export interface Page<T> {',
        '  data: T[];',
        '  nextCursor: string | null;',
        '}',
        '',
        "export type State = 'on' | 'it\\'s off';",
        '',
      ].join('\n'),
    );
  });

  it('refuses one title for two shapes', () => {
    const types = new TypeScriptTypes();
    types.collect(Item);
    expect(() => types.collect({ ...Item, required: ['id'] })).toThrow(
      /the title Item names two different shapes/,
    );
    expect(() => types.collect({ title: 'Page', type: 'object', properties: { items: {} } })).toThrow(
      /titled Page must be/,
    );
  });
});
