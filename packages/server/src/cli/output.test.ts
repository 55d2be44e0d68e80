import { describe, expect, it } from 'vitest';
import { cell, Output, printable, record, spanText, table } from './output.js';

describe('command-line output', () => {
  it.each([
    [null, '-'],
    [undefined, '-'],
    ['', '-'],
    [true, 'yes'],
    [false, 'no'],
    [[], '-'],
    [['a', 'b'], 'a, b'],
    [{ seats: 5, pro: true }, 'seats=5, pro=yes'],
    ['2030-01-02T03:04:05.678Z', '2030-01-02 03:04Z'],
    [new Date('2030-01-02T03:04:05Z'), '2030-01-02 03:04Z'],
    [42, '42'],
    ['red\u001b[31m', 'red\\u001b[31m'],
  ])('shows %j as %j', (value, shown) => {
    expect(cell(value)).toBe(shown);
  });

  it('makes control characters and direction overrides visible instead of letting the terminal act on them', () => {
    expect(printable('a\u0007b\u009bc\u202ed\u2066e\tf\ng\u007f')).toBe(
      'a\\u0007b\\u009bc\\u202ed\\u2066e\\u0009f\\u000ag\\u007f',
    );
    expect(printable('Zoë 日本')).toBe('Zoë 日本');
  });

  it('aligns columns under upper-case headings and clips long cells', () => {
    const rows = [
      { id: 1, name: 'Ann', note: 'x'.repeat(60) },
      { id: 22, name: 'Bartholomew', note: null },
    ];
    expect(
      table(rows, [
        ['id', (r) => r.id],
        ['name', (r) => r.name],
        ['note', (r) => r.note],
      ]),
    ).toBe(['ID  NAME         NOTE', `1   Ann          ${'x'.repeat(47)}…`, '22  Bartholomew  -'].join('\n'));
    expect(
      record({ id: 1, name: 'Ann' }, [
        ['id', (r) => r.id],
        ['full name', (r) => r.name],
      ]),
    ).toBe('id         1\nfull name  Ann');
  });

  it.each([
    [null, '-'],
    [90, '90s'],
    [900, '15m'],
    [43_200, '12h'],
    [2_592_000, '30d'],
    [1_209_600, '2w'],
  ])('writes %j seconds as %s', (seconds, text) => {
    expect(spanText(seconds)).toBe(text);
  });

  it('prints for people unless --json was asked for, and keeps hints out of what scripts read', () => {
    let isJson = false;
    const out: string[] = [];
    const err: string[] = [];
    const output = new Output({ isJson: () => isJson, write: (t) => out.push(t), hint: (t) => err.push(t) });
    const rows = [{ id: 1, key: 'K-1' }];
    output.list(rows, (r) => ({ ...r, secret: false }), [['key', (r) => r.key]], 'licenses');
    output.list([], (r) => r, [['key', (r: { key: string }) => r.key]], 'licenses');
    output.either('License 1 suspended.', { id: 1 });
    output.lines(['K-1', 'K-2']);
    output.hint('(more match)');
    output.value({ applied: ['001', '002'] });
    expect(out.join('')).toBe('KEY\nK-1\nNo licenses.\nLicense 1 suspended.\nK-1\nK-2\napplied  001, 002\n');
    expect(err).toEqual(['(more match)\n']);

    isJson = true;
    out.length = 0;
    output.list(rows, (r) => ({ ...r, secret: false }), [['key', (r) => r.key]], 'licenses');
    output.either('License 1 suspended.', { id: 1 });
    output.lines(['K-1']);
    output.hint('(more match)');
    expect(out.map((t) => JSON.parse(t))).toEqual([
      [{ id: 1, key: 'K-1', secret: false }],
      { id: 1 },
      ['K-1'],
    ]);
    expect(err).toHaveLength(1);
  });
});
