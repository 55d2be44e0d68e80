/**
 * What a command prints. People get aligned tables and short sentences; `--json` gets the full objects, as
 * the native API shows them, for scripts. Every text that came from outside (names, notes, e-mails) is
 * printed with its control characters made visible, so no stored value can steer the operator's terminal.
 */

/** A column of a table or a line of a record: a heading and how to read it from the row. */
export type Field<T> = readonly [heading: string, read: (row: T) => unknown];

/** Longest cell of a table; longer values end in "…" (`show` and `--json` print them whole). */
const MAX_CELL = 48;

/** C0 and C1 control characters, DEL, and the bidirectional overrides that reorder what a terminal shows. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Makes control characters visible (`\u001b`) instead of letting the terminal act on them. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/;

/** A value as one cell: instants to the minute in UTC, lists joined, absent values as "-". */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (value instanceof Date) return cell(value.toISOString());
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(cell).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${cell(v)}`).join(', ');
  }
  const text = String(value);
  if (ISO_INSTANT.test(text)) return `${text.slice(0, 10)} ${text.slice(11, 16)}Z`;
  return printable(text);
}

function clip(text: string): string {
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

/** Rows under upper-case headings, columns two spaces apart, the last one not padded. */
export function table<T>(rows: readonly T[], columns: readonly Field<T>[]): string {
  const cells = rows.map((row) => columns.map(([, read]) => clip(cell(read(row)))));
  const headings = columns.map(([heading]) => heading.toUpperCase());
  const widths = headings.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headings), ...cells.map(line)].join('\n');
}

/** One thing as "heading  value" lines, headings aligned; values are printed whole. */
export function record<T>(item: T, fields: readonly Field<T>[]): string {
  const width = Math.max(...fields.map(([heading]) => heading.length));
  return fields.map(([heading, read]) => `${heading.padEnd(width)}  ${cell(read(item))}`).join('\n');
}

export interface OutputOptions {
  /** Whether the command line asked for JSON; read when something is printed. */
  isJson: () => boolean;
  write?: (text: string) => void;
  /** Hints for people (more rows exist …); never mixed into what scripts read. */
  hint?: (text: string) => void;
}

/** The one way commands print. */
export class Output {
  private readonly write: (text: string) => void;
  private readonly hintWriter: (text: string) => void;

  constructor(private readonly options: OutputOptions) {
    this.write = options.write ?? ((text) => process.stdout.write(text));
    this.hintWriter = options.hint ?? ((text) => process.stderr.write(text));
  }

  get isJson(): boolean {
    return this.options.isJson();
  }

  json(value: unknown): void {
    this.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** People read `text`; `--json` reads `value`. */
  either(text: string, value: unknown): void {
    if (this.isJson) this.json(value);
    else this.say(text);
  }

  /** Sentences for people only, so that `--json` stays one document. */
  say(text: string): void {
    if (!this.isJson) this.write(`${text.split('\n').map(printable).join('\n')}\n`);
  }

  /** A list: a table of a few columns for people, every field of every item for `--json`. */
  list<T>(
    rows: readonly T[],
    present: (row: T) => unknown,
    columns: readonly Field<T>[],
    noun: string,
  ): void {
    if (this.isJson) {
      this.json(rows.map(present));
      return;
    }
    this.write(rows.length === 0 ? `No ${noun}.\n` : `${table(rows, columns)}\n`);
  }

  /** One thing: its fields for people, the full object for `--json`. */
  one<T>(item: T, present: (item: T) => unknown, fields: readonly Field<T>[]): void {
    if (this.isJson) {
      this.json(present(item));
      return;
    }
    this.write(`${record(item, fields)}\n`);
  }

  /** One value per line (keys for a script or a mail merge); `--json` gets them as an array. */
  lines(values: readonly string[]): void {
    if (this.isJson) {
      this.json(values);
      return;
    }
    if (values.length > 0) this.write(`${values.map(printable).join('\n')}\n`);
  }

  hint(text: string): void {
    if (!this.isJson) this.hintWriter(`${text}\n`);
  }

  /**
   * Anything without a view of its own (a result record): a table of its fields for people — a list of
   * records as a table of their plain fields — and the value itself for `--json`.
   */
  value(value: unknown): void {
    if (this.isJson) {
      this.json(value);
      return;
    }
    if (Array.isArray(value)) {
      const rows = value as Record<string, unknown>[];
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r ?? {})))].filter((k) =>
        rows.every((r) => !isNested(r?.[k])),
      );
      const columns = keys.map((k) => [k, (r: Record<string, unknown>) => r?.[k]] as const);
      this.write(rows.length === 0 ? 'None.\n' : `${table(rows, columns)}\n`);
      return;
    }
    if (value !== null && typeof value === 'object') {
      const item = value as Record<string, unknown>;
      const fields = Object.keys(item).map((k) => [k, (r: Record<string, unknown>) => r[k]] as const);
      this.write(fields.length === 0 ? '\n' : `${record(item, fields)}\n`);
      return;
    }
    this.write(`${cell(value)}\n`);
  }
}

function isNested(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Date) &&
    !(Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object'))
  );
}

/** Seconds as the largest whole unit people type back (`30d`, `12h`, `90s`); null as "-". */
export function spanText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
