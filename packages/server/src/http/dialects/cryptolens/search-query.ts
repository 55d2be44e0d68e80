/**
 * A documented subset of the vendor's LINQ-style SearchQuery for product/GetKeys, and its OrderBy:
 *
 *   query      := or
 *   or         := and (("||" | "or") and)*
 *   and        := unary (("&&" | "and") unary)*
 *   unary      := "!" unary | "(" or ")" | comparison
 *   comparison := field (op value | "." ("Contains" | "StartsWith" | "EndsWith") "(" string ")")?
 *   op         := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
 *   value      := number | "string" | true | false | null | DateTime(y, m, d[, h, min, s]) | DateTime.Now
 *
 * A bare field is a boolean test (`F1`, `Block`). Fields and keywords match in any case; dates are UTC.
 * Anything else is refused — never guessed — with the vendor's search-query message, and so is a query
 * longer than MAX_SEARCH_QUERY_LENGTH or nested deeper than MAX_SEARCH_QUERY_DEPTH: the parser and the
 * predicate it builds recurse once per `!` or `(`, and an unbounded query would overflow the stack.
 */

/** Characters of one query: far more than any back-office filter needs. */
export const MAX_SEARCH_QUERY_LENGTH = 10_000;
/** `!` and `(` nested in one another, counted together. */
export const MAX_SEARCH_QUERY_DEPTH = 32;

export type KeyRecord = Record<SearchField, string | number | boolean | Date | null>;

export const SEARCH_FIELDS = [
  'ID',
  'Key',
  'Notes',
  'Created',
  'Expires',
  'Period',
  'F1',
  'F2',
  'F3',
  'F4',
  'F5',
  'F6',
  'F7',
  'F8',
  'Block',
  'TrialActivation',
  'MaxNoOfMachines',
  'GlobalId',
  'CustomerId',
  'ResellerId',
  'AllowedMachines',
] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export class QueryError extends Error {}

type Value = string | number | boolean | Date | null;
type Predicate = (record: KeyRecord) => boolean;

interface Token {
  kind: 'ident' | 'number' | 'string' | 'op' | 'punct';
  text: string;
}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '=', '!'];
// Sticky: each matches at the cursor only, so reading a token never copies or scans the rest of the query.
const NUMBER = /-?\d+(\.\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;

function matchAt(pattern: RegExp, query: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(query)?.[0] ?? null;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const char = query[i] as string;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === '"') {
      let text = '';
      i++;
      while (i < query.length && query[i] !== '"') {
        if (query[i] === '\\' && i + 1 < query.length) i++;
        text += query[i];
        i++;
      }
      if (i >= query.length) throw new QueryError('unterminated string');
      i++;
      tokens.push({ kind: 'string', text });
      continue;
    }
    const number = matchAt(NUMBER, query, i);
    if (number && (char !== '-' || tokens.at(-1)?.kind !== 'number')) {
      tokens.push({ kind: 'number', text: number });
      i += number.length;
      continue;
    }
    const ident = matchAt(IDENT, query, i);
    if (ident) {
      tokens.push({ kind: 'ident', text: ident });
      i += ident.length;
      continue;
    }
    const op = OPERATORS.find((o) => query.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op });
      i += op.length;
      continue;
    }
    if ('().,'.includes(char)) {
      tokens.push({ kind: 'punct', text: char });
      i++;
      continue;
    }
    throw new QueryError(`unexpected "${char}"`);
  }
  return tokens;
}

const fieldNamed = (name: string): SearchField => {
  const field = SEARCH_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
  if (!field) throw new QueryError(`unknown field ${name}`);
  return field;
};

function compare(left: Value, op: string, right: Value): boolean {
  const l = left instanceof Date ? left.getTime() : left;
  const r = right instanceof Date ? right.getTime() : right;
  if (op === '==' || op === '=') return l === r;
  if (op === '!=') return l !== r;
  if (l === null || r === null || typeof l !== typeof r || typeof l === 'boolean') return false;
  const a = l as number | string;
  const b = r as number | string;
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  return a >= b;
}

class Parser {
  private at = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly now: Date,
  ) {}

  parse(): Predicate {
    const predicate = this.or();
    if (this.at < this.tokens.length) throw new QueryError('unexpected trailing input');
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private next(): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new QueryError('unexpected end of query');
    return token;
  }

  private isKeyword(token: Token | undefined, ...words: string[]): boolean {
    return token !== undefined && words.includes(token.text.toLowerCase());
  }

  private expect(text: string): void {
    if (this.next().text !== text) throw new QueryError(`expected ${text}`);
  }

  private or(): Predicate {
    const parts = [this.and()];
    while (this.isKeyword(this.peek(), '||', 'or')) {
      this.at++;
      parts.push(this.and());
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (r) => parts.some((p) => p(r));
  }

  private and(): Predicate {
    const parts = [this.unary()];
    while (this.isKeyword(this.peek(), '&&', 'and')) {
      this.at++;
      parts.push(this.unary());
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (r) => parts.every((p) => p(r));
  }

  private unary(): Predicate {
    const token = this.peek();
    if (token?.text !== '!' && token?.text !== '(') return this.comparison();
    this.at++;
    if (++this.depth > MAX_SEARCH_QUERY_DEPTH)
      throw new QueryError(`nested deeper than ${MAX_SEARCH_QUERY_DEPTH} levels`);
    let predicate: Predicate;
    if (token.text === '!') {
      const inner = this.unary();
      predicate = (r) => !inner(r);
    } else {
      predicate = this.or();
      this.expect(')');
    }
    this.depth--;
    return predicate;
  }

  private comparison(): Predicate {
    const token = this.next();
    if (token.kind !== 'ident') throw new QueryError('expected a field');
    const field = fieldNamed(token.text);
    const following = this.peek();
    if (following?.text === '.') {
      this.at++;
      const method = this.next().text.toLowerCase();
      this.expect('(');
      const argument = this.next();
      if (argument.kind !== 'string') throw new QueryError('expected text');
      this.expect(')');
      const needle = argument.text;
      const test =
        method === 'contains'
          ? (s: string) => s.includes(needle)
          : method === 'startswith'
            ? (s: string) => s.startsWith(needle)
            : method === 'endswith'
              ? (s: string) => s.endsWith(needle)
              : null;
      if (!test) throw new QueryError(`unknown method ${method}`);
      return (r) => typeof r[field] === 'string' && test(r[field] as string);
    }
    if (
      following?.kind === 'op' &&
      following.text !== '!' &&
      following.text !== '&&' &&
      following.text !== '||'
    ) {
      this.at++;
      const value = this.value();
      return (r) => compare(r[field], following.text, value);
    }
    return (r) => r[field] === true;
  }

  private value(): Value {
    const token = this.next();
    if (token.kind === 'number') return Number(token.text);
    if (token.kind === 'string') return token.text;
    if (token.kind !== 'ident') throw new QueryError('expected a value');
    const word = token.text.toLowerCase();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (word !== 'datetime') throw new QueryError(`unknown value ${token.text}`);
    if (this.peek()?.text === '.') {
      this.at++;
      const member = this.next().text.toLowerCase();
      if (member === 'now' || member === 'utcnow') return this.now;
      if (member === 'today') {
        const d = this.now;
        return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
      }
      throw new QueryError(`unknown DateTime.${member}`);
    }
    this.expect('(');
    const parts: number[] = [];
    for (;;) {
      const part = this.next();
      if (part.kind !== 'number') throw new QueryError('expected a number');
      parts.push(Number(part.text));
      const separator = this.next().text;
      if (separator === ')') break;
      if (separator !== ',') throw new QueryError('expected , or )');
    }
    if (parts.length !== 3 && parts.length !== 6) throw new QueryError('DateTime takes 3 or 6 numbers');
    const [y, mo, d, h = 0, mi = 0, s = 0] = parts as [number, number, number, number?, number?, number?];
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    if (Number.isNaN(date.getTime()) || date.getUTCMonth() !== mo - 1) throw new QueryError('no such date');
    return date;
  }
}

/** The predicate of a SearchQuery; an empty query matches every key. Throws QueryError on anything else. */
export function parseSearchQuery(query: string, now: Date): Predicate {
  if (query.trim() === '') return () => true;
  if (query.length > MAX_SEARCH_QUERY_LENGTH)
    throw new QueryError(`longer than ${MAX_SEARCH_QUERY_LENGTH} characters`);
  return new Parser(tokenize(query), now).parse();
}

/** "Field [ascending|descending]" (default ascending); throws QueryError for other fields or words. */
export function parseOrderBy(orderBy: string): { field: SearchField; descending: boolean } {
  const words = orderBy.trim().split(/\s+/);
  if (words.length === 0 || words[0] === '' || words.length > 2) throw new QueryError('expected a field');
  const field = fieldNamed(words[0] as string);
  const direction = (words[1] ?? 'ascending').toLowerCase();
  if (
    direction !== 'ascending' &&
    direction !== 'descending' &&
    direction !== 'asc' &&
    direction !== 'desc'
  ) {
    throw new QueryError(`unknown direction ${words[1]}`);
  }
  return { field, descending: direction.startsWith('desc') };
}
