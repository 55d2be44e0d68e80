import { decodeFormComponent, formPairs, MAX_PARAMETERS } from '../../../plugins/request-limits.js';

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

/** `name[]` and `name[anything]` are list entries of `name`; deeper brackets are read as the first level. */
function splitKey(key: string): { name: string; isList: boolean } {
  const open = key.indexOf('[');
  if (open > 0 && key.includes(']', open)) return { name: key.slice(0, open), isList: true };
  return { name: key, isList: false };
}

/**
 * Adds the pairs of `text` (a query string or a form body) to `into`; later text wins for plain keys. At most
 * `maxParameters` pairs (the shared limit, PHP's `max_input_vars`), each in constant work: a name is new to
 * `order` exactly when it is new to `scalars` and `lists`, so no list is searched.
 */
export function parseFormInto(into: FormParams, text: string, maxParameters = MAX_PARAMETERS): FormParams {
  for (const [rawKey, rawValue] of formPairs(text, maxParameters)) {
    const value = decodeFormComponent(rawValue);
    const { name, isList } = splitKey(decodeFormComponent(rawKey));
    if (name === '') continue;
    if (!hasParam(into, name)) into.order.push(name);
    if (!isList) into.scalars[name] = value;
    else if (Object.hasOwn(into.lists, name)) into.lists[name]?.push(value);
    else into.lists[name] = [value];
  }
  return into;
}

export function parseForm(text: string, maxParameters = MAX_PARAMETERS): FormParams {
  return parseFormInto(emptyParams(), text, maxParameters);
}

/** Adds `from` to `into`, `from` winning for the names in both, in constant work per name. */
export function mergeParams(into: FormParams, from: FormParams): FormParams {
  for (const name of from.order) if (!hasParam(into, name)) into.order.push(name);
  for (const [name, value] of Object.entries(from.scalars)) into.scalars[name] = value;
  for (const [name, values] of Object.entries(from.lists)) into.lists[name] = values;
  return into;
}

/** Names that decide how an answer is rendered: read even from a request refused for its size. */
const FORMAT_NAMES = new Set(['format', 'nojsoncallback']);
/** The longest spelling of one of those names: every character percent-encoded. */
const MAX_FORMAT_NAME_LENGTH = 3 * 'nojsoncallback'.length;

/**
 * Only the parameters that choose the answer's format, from a text of any number of pairs, so that a
 * request refused for its size is still answered as it asked. One pass that allocates only for pieces that
 * can spell one of those names (they start with `f`, `n` or an escape); the text is bounded by the body limit.
 */
export function formatParamsOf(text: string): FormParams {
  const params = emptyParams();
  let start = 0;
  while (start < text.length) {
    const amp = text.indexOf('&', start);
    const end = amp === -1 ? text.length : amp;
    const first = text[start];
    if (first === 'f' || first === 'n' || first === '%') {
      const piece = text.slice(start, end);
      const equals = piece.indexOf('=');
      const rawName = equals === -1 ? piece : piece.slice(0, equals);
      if (rawName.length <= MAX_FORMAT_NAME_LENGTH && FORMAT_NAMES.has(decodeFormComponent(rawName)))
        parseFormInto(params, piece);
    }
    start = end + 1;
  }
  return params;
}
