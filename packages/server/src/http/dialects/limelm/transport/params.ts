import { invalidParameter } from '../errors.js';
import { type FormParams, hasParam } from './form-params.js';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * Typed reads of a request's parameters with LimeLM's conventions: a parameter that is absent or empty is
 * "not given"; booleans are `true`/`false` (and their usual spellings); an optional value that cannot be read
 * counts as not given, as the vendor documents for `revoke`, `type` and `lc_allow_deact`.
 */
export class Params {
  constructor(readonly form: FormParams) {}

  /** The raw value; a list's first entry when only the list form was sent. */
  raw(name: string): string | undefined {
    if (Object.hasOwn(this.form.scalars, name)) return this.form.scalars[name];
    return Object.hasOwn(this.form.lists, name) ? this.form.lists[name]?.[0] : undefined;
  }

  has(name: string): boolean {
    return hasParam(this.form, name);
  }

  /** Trimmed text; undefined when absent or blank. */
  text(name: string): string | undefined {
    const value = this.raw(name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** `k[]`/`k[N]` entries, or a plain `k` as a one-item list; undefined when not sent at all. */
  list(name: string): string[] | undefined {
    if (Object.hasOwn(this.form.lists, name)) return this.form.lists[name];
    return Object.hasOwn(this.form.scalars, name) ? [this.form.scalars[name] as string] : undefined;
  }

  bool(name: string): boolean | undefined {
    const value = this.text(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    return undefined;
  }

  /** A whole number in [min, max]; undefined when absent or unreadable. */
  int(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.text(name);
    if (value === undefined || !/^[+-]?\d{1,16}$/.test(value)) return undefined;
    const n = Number(value);
    return n >= min && n <= max ? n : undefined;
  }

  /** Like int, but a given value that cannot be read is refused instead of ignored. */
  strictInt(name: string, min: number, max: number): number | undefined {
    if (this.text(name) === undefined) return undefined;
    const n = this.int(name, min, max);
    if (n === undefined) throw invalidParameter(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  }

  /** Text of at most `max` characters, refused when longer. */
  boundedText(name: string, max: number): string | undefined {
    const value = this.text(name);
    if (value !== undefined && value.length > max)
      throw invalidParameter(`${name} must have at most ${max} characters`);
    return value;
  }
}
