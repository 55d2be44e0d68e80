/**
 * Form data the lenient way PHP's `$_POST` reads it, because LimeLM ran on PHP and its clients rely on that:
 * `+` is a space, `%XX` is a byte while anything else after `%` stays as it is (the official C# sample does
 * not encode values at all), `k[]=a&k[]=b` and `k[0]=a&k[1]=b` are lists in the order they came, a repeated
 * plain key keeps its last value, and bytes that are not UTF-8 become U+FFFD.
 */

/**
 * Plain objects without prototype (so `__proto__` is just a name), which the app's storable-text check can
 * walk like any other request body: NUL characters are refused before a method runs.
 */
export interface FormParams {
  /** Plain keys: the last value given. */
  scalars: Record<string, string>;
  /** Keys sent with brackets: every value, in order. */
  lists: Record<string, string[]>;
  /** Every key in the order first seen, for echoing. */
  order: string[];
}

export function emptyParams(): FormParams {
  return { scalars: Object.create(null), lists: Object.create(null), order: [] };
}

export function hasParam(params: FormParams, name: string): boolean {
  return Object.hasOwn(params.scalars, name) || Object.hasOwn(params.lists, name);
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Decodes one key or value: `+` → space, valid `%XX` → byte, invalid `%` sequences kept literally. */
export function decodeComponent(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '+') bytes.push(0x20);
    else if (char === '%' && HEX.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(char, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `name[]` and `name[anything]` are list entries of `name`; deeper brackets are read as the first level. */
function splitKey(key: string): { name: string; isList: boolean } {
  const open = key.indexOf('[');
  if (open > 0 && key.includes(']', open)) return { name: key.slice(0, open), isList: true };
  return { name: key, isList: false };
}

/** Adds the pairs of `text` (a query string or a form body) to `into`; later text wins for plain keys. */
export function parseFormInto(into: FormParams, text: string): FormParams {
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawKey = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : decodeComponent(pair.slice(equals + 1));
    const { name, isList } = splitKey(decodeComponent(rawKey));
    if (name === '') continue;
    if (!into.order.includes(name)) into.order.push(name);
    if (!isList) into.scalars[name] = value;
    else if (Object.hasOwn(into.lists, name)) into.lists[name]?.push(value);
    else into.lists[name] = [value];
  }
  return into;
}

export function parseForm(text: string): FormParams {
  return parseFormInto(emptyParams(), text);
}
