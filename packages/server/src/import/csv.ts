/**
 * RFC 4180 CSV: fields separated by commas, optionally quoted with `"` (a doubled `""` inside is one quote;
 * quoted fields may hold commas and line breaks), lines ending in CRLF or LF. A UTF-8 byte-order mark is
 * ignored. Returns the rows as arrays of text; blank lines are dropped.
 */
export function parseCsv(input: string): string[][] {
  const textIn = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  while (i < textIn.length) {
    const c = textIn[i] as string;
    if (quoted) {
      if (c === '"') {
        if (textIn[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') endRow();
    else if (c === '\r') {
      if (textIn[i + 1] !== '\n') endRow();
    } else field += c;
    i += 1;
  }
  if (quoted) throw new CsvError('a quoted field is not closed');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

export class CsvError extends Error {}

/** Rows as records keyed by the header row's names (trimmed, lower case). */
export function csvRecords(input: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(input);
  if (!header) return [];
  const names = header.map((h) => h.trim().toLowerCase());
  return rows.map((row, index) => {
    if (row.length > names.length)
      throw new CsvError(`row ${index + 2} has ${row.length} fields, the header ${names.length}`);
    const record: Record<string, string> = {};
    names.forEach((name, i) => {
      record[name] = (row[i] ?? '').trim();
    });
    return record;
  });
}
