import type { FastifyInstance } from 'fastify';

/**
 * The limits every request parser of every surface obeys, kept in one place so that no surface can read a
 * request with work that grows faster than the request, or without bound. Form bodies and query strings are
 * split by `formPairs` (one pass, at most MAX_PARAMETERS pairs); JSON bodies are measured by `checkJsonShape`
 * (one pass, bounded nesting and value count) before they are parsed. A request over a limit is refused with
 * a `RequestTooComplex`, which carries an HTTP status like Fastify's own refusals, so each surface's error
 * handler answers it in that surface's envelope.
 */

/**
 * Parameters of one form body or query string: PHP's default `max_input_vars`, which LimeLM's clients
 * already live within; no method of any dialect reads more than a few dozen.
 */
export const MAX_PARAMETERS = 1000;

/** Values (array items, object members, scalars) in one JSON body of a dialect: their bodies are flat. */
export const MAX_DIALECT_JSON_VALUES = MAX_PARAMETERS;

/** Values in one JSON body of the native API: an import of 100,000 keys and batches of 1,000 licenses fit. */
export const MAX_NATIVE_JSON_VALUES = 250_000;

/**
 * Nesting of arrays and objects in a JSON body. No request needs more than a few levels, and a value nested
 * deeper than the stack would make any recursive walk of it (JSON.stringify, a reviver) throw.
 */
export const MAX_JSON_DEPTH = 32;

/** A request refused for its shape: 413 for too many parameters or values, 400 for too deep a nesting. */
export class RequestTooComplex extends Error {
  override readonly name = 'RequestTooComplex';
  readonly code = 'KW_REQUEST_TOO_COMPLEX';
  constructor(
    message: string,
    readonly statusCode: 400 | 413,
  ) {
    super(message);
  }
}

export const tooManyParameters = (max: number) =>
  new RequestTooComplex(`the request has more than ${max} parameters`, 413);

/**
 * The `name=value` pieces of a query string or form body, still encoded, in the order sent; empty pieces
 * (`&&`) are skipped and a piece without `=` has an empty value. One pass over the text; refuses a text of
 * more than `maxPairs` pairs as soon as it meets the first one too many.
 */
export function formPairs(text: string, maxPairs = MAX_PARAMETERS): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let start = 0;
  while (start < text.length) {
    const amp = text.indexOf('&', start);
    const end = amp === -1 ? text.length : amp;
    if (end > start) {
      if (pairs.length >= maxPairs) throw tooManyParameters(maxPairs);
      // Searched within the piece only: a search of the whole text would make `a&b&c…` quadratic.
      const piece = text.slice(start, end);
      const equals = piece.indexOf('=');
      pairs.push(equals === -1 ? [piece, ''] : [piece.slice(0, equals), piece.slice(equals + 1)]);
    }
    start = end + 1;
  }
  return pairs;
}

/** Refuses a query string or form of more than `maxPairs` pairs, counted as `formPairs` counts them. */
export function assertParameterCount(text: string, maxPairs = MAX_PARAMETERS): void {
  let count = 0;
  let start = 0;
  while (start < text.length) {
    const amp = text.indexOf('&', start);
    const end = amp === -1 ? text.length : amp;
    if (end > start && ++count > maxPairs) throw tooManyParameters(maxPairs);
    start = end + 1;
  }
}

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Decodes one name or value of a form the way browsers (WHATWG `application/x-www-form-urlencoded`) and PHP
 * agree on: `+` is a space, `%XX` is a byte while anything else after `%` stays as it is, and bytes that are
 * not UTF-8 become U+FFFD. Linear in the text.
 */
export function decodeFormComponent(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Malformed escapes or bytes that are not UTF-8: decode byte by byte below.
  }
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(spaced));
  let length = 0;
  let at = 0;
  while (at < spaced.length) {
    const percent = spaced.indexOf('%', at);
    const end = percent === -1 ? spaced.length : percent;
    if (end > at) length += bytes.write(spaced.slice(at, end), length, 'utf8');
    if (percent === -1) break;
    const hex = spaced.slice(percent + 1, percent + 3);
    if (HEX.test(hex)) {
      bytes[length++] = Number.parseInt(hex, 16);
      at = percent + 3;
    } else {
      bytes[length++] = 0x25;
      at = percent + 1;
    }
  }
  return bytes.toString('utf8', 0, length);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Refuses JSON text nested deeper than `maxDepth` or holding more than about `maxValues` values, in one
 * pass over the text and before anything is built from it. Values are counted as containers plus
 * separators, an upper bound of the items and members inside. Malformed text is left to the parser.
 */
export function checkJsonShape(text: string, maxValues: number, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let values = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
      continue;
    }
    if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth)
        throw new RequestTooComplex(`the JSON body is nested deeper than ${maxDepth} levels`, 400);
      values++;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
    else if (code === COMMA) values++;
    if (values > maxValues)
      throw new RequestTooComplex(`the JSON body holds more than ${maxValues} values`, 413);
  }
}

/**
 * Query strings of every route, counted before any handler reads them. Their size is already bounded by
 * Node's header limit; the count makes the rule the same as for bodies on every surface. Thrown from a hook,
 * the refusal reaches the error handler of the route's own plugin, so each dialect answers in its envelope.
 */
export function registerRequestLimits(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const url = request.raw.url ?? '';
    const mark = url.indexOf('?');
    try {
      if (mark !== -1) assertParameterCount(url.slice(mark + 1));
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
}

/**
 * The native API's JSON parser: Fastify's own (which refuses `__proto__` and `constructor` keys), behind the
 * shape check. Dialects replace all parsers in their own plugins and use the same check there.
 */
export function registerNativeJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      checkJsonShape(body as string, MAX_NATIVE_JSON_VALUES);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}
