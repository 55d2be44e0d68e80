import { InvalidArgumentError } from 'commander';
import { FEATURE_TYPES, type FeatureField, type FeatureType } from '../core/model.js';

/**
 * Readers of option values: each turns the text typed into a value or refuses it with a sentence that
 * Commander prints after the option's name. Domain rules (a feature name's characters, a policy's limits)
 * stay in core, which refuses with its own codes.
 */

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function wholeNumber(value: string, min = 0): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
  return n;
}

/** An instant; a bare date or a time without an offset is UTC. `Date` rolls 2030-02-31 over: refused. */
export function isoDate(value: string): Date {
  const text = value.trim();
  const match = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  const date = match ? new Date(match[2] && !match[5] ? `${text}Z` : text) : new Date(Number.NaN);
  const isUtc = match && (!match[5] || match[5] === 'Z');
  if (Number.isNaN(date.getTime()) || (isUtc && date.toISOString().slice(0, 10) !== match?.[1]))
    throw new InvalidArgumentError('expected an ISO-8601 date, e.g. 2030-12-31 or 2030-12-31T12:00:00Z');
  return date;
}

/** Comma-separated values; the option may also be repeated. */
export const commaList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/** A repeatable option's values, in the order given. */
export const repeated = (value: string, previous: string[] = []): string[] => [...previous, value];

export const repeatedIds = (value: string, previous: number[] = []): number[] => [
  ...previous,
  positiveInt(value),
];

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A length of time: `90s`, `15m`, `12h`, `30d`, `2w`; a bare number is days. */
export function span(value: string): number {
  const match = /^(\d+)\s*([smhdw]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] || 'd'] as number) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1)
    throw new InvalidArgumentError('expected a length of time such as 30d, 12h, 15m, 90s or 2w');
  return seconds;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

/**
 * A policy's feature field as `name:type[:default]` (`seats:integer:5`, `pro:boolean`); repeatable. The
 * default is kept as text: core converts it to the field's type, and refuses it if it does not fit.
 */
export function featureField(value: string, previous: FeatureField[] = []): FeatureField[] {
  const [name = '', type = '', ...rest] = value.split(':');
  if (name.trim() === '' || !(FEATURE_TYPES as readonly string[]).includes(type))
    throw new InvalidArgumentError(`expected name:type[:default] with a type of ${FEATURE_TYPES.join(', ')}`);
  const defaultValue = rest.length > 0 ? rest.join(':') : null;
  return [...previous, { name: name.trim(), type: type as FeatureType, isRequired: false, defaultValue }];
}

/** A license's feature value as `name=value`; repeatable. Core converts the text to the field's type. */
export function featureValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected name=value');
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1) };
}
