/**
 * Request parameters with the leniency the Cryptolens SDKs need: names match case-insensitively; query string
 * and form body are one bag (the body wins); `True`/`true`/`1`; `LinqSign`/`StringSign` as words; and the
 * placeholders SDKs send for "nothing" — .NET's empty strings, Node's `null`, Python's `None` — fall back to
 * the parameter's default instead of failing, as do numbers that do not parse or leave their range.
 */

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const NOTHING = new Set(['', 'null', 'none', 'undefined']);

export class Params {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Query first, then body, so a form field overrides a query parameter of the same name. */
  static from(...sources: unknown[]): Params {
    const values = new Map<string, string>();
    for (const source of sources) {
      if (source === null || typeof source !== 'object') continue;
      const seen = new Set<string>();
      for (const [name, raw] of Object.entries(source)) {
        const value = Array.isArray(raw) ? raw[0] : raw;
        if (value === undefined || value === null || typeof value === 'object') continue;
        const key = name.toLowerCase();
        // Within one source the first spelling of a name wins; a later source overrides an earlier one.
        if (seen.has(key)) continue;
        seen.add(key);
        values.set(key, String(value));
      }
    }
    return new Params(values);
  }

  /** The text sent for a name, or undefined when it is absent or one of the SDKs' placeholders for nothing. */
  raw(name: string): string | undefined {
    const value = this.values.get(name.toLowerCase());
    return value === undefined || NOTHING.has(value.trim().toLowerCase()) ? undefined : value;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string, fallback = ''): string {
    return this.raw(name) ?? fallback;
  }

  nullableString(name: string): string | null {
    return this.raw(name) ?? null;
  }

  /** A 32-bit signed integer, as the vendor's models declare them. */
  int(name: string, fallback: number): number {
    const value = this.raw(name)?.trim();
    if (value === undefined || !/^[+-]?\d{1,10}$/.test(value)) return fallback;
    const n = Number(value);
    return n >= INT32_MIN && n <= INT32_MAX ? n : fallback;
  }

  /** A positive id of the 32-bit tables, or null: anything else cannot name a row. */
  id(name: string): number | null {
    const n = this.int(name, 0);
    return n >= 1 ? n : null;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.trim().toLowerCase();
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return fallback;
  }

  /** SignMethod: .NET sends the enum's name, the others its number. */
  signMethod(): SignMethod {
    const value = this.raw('SignMethod')?.trim().toLowerCase();
    return value === '1' || value === 'stringsign' ? 'StringSign' : 'LinqSign';
  }
}

export type SignMethod = 'LinqSign' | 'StringSign';

export { INT32_MAX, INT32_MIN };
