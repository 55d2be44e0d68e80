/** Conversions between domain values and the portable column encodings described in schema/column-types.ts. */

export const toMillis = (date: Date): number => date.getTime();
export const toMillisOrNull = (date: Date | null | undefined): number | null =>
  date ? date.getTime() : null;
export const fromMillis = (value: number | string): Date => new Date(Number(value));
export const fromMillisOrNull = (value: number | string | null): Date | null =>
  value === null ? null : new Date(Number(value));

export const toFlag = (value: boolean): number => (value ? 1 : 0);
export const toFlagOrNull = (value: boolean | null | undefined): number | null =>
  value === null || value === undefined ? null : toFlag(value);
export const fromFlag = (value: number | boolean): boolean => Boolean(value);
export const fromFlagOrNull = (value: number | boolean | null): boolean | null =>
  value === null ? null : Boolean(value);

export const toJson = (value: unknown): string => JSON.stringify(value);
export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Copies only the keys present in `changes`, renamed and converted by `columns`. */
export function columnsFor<Changes extends object, Row>(
  changes: Changes,
  columns: { [K in keyof Changes]?: (value: Exclude<Changes[K], undefined>) => Partial<Row> },
): Partial<Row> {
  const row: Partial<Row> = {};
  for (const [key, value] of Object.entries(changes)) {
    const convert = columns[key as keyof Changes];
    if (convert && value !== undefined) Object.assign(row, convert(value as never));
  }
  return row;
}
