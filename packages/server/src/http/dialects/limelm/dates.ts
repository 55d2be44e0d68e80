/** LimeLM writes instants as `YYYY-MM-DD hh:mm:ss` (UTC here) and takes dates as `YYYY-MM-DD`. */

const pad = (n: number) => String(n).padStart(2, '0');

export function limeDateTime(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

export function limeDate(date: Date): string {
  return limeDateTime(date).slice(0, 10);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DD hh:mm[:ss]` (UTC unless a zone is given) or ISO-8601.
 * `isDateOnly` tells the caller which, since an end date covers its whole day. Null when unreadable or when
 * the calendar has no such day (2025-02-30).
 */
export function parseLimeDate(text: string): { date: Date; isDateOnly: boolean } | null {
  const value = text.trim();
  const day = DATE.exec(value);
  const full = day ? null : DATE_TIME.exec(value);
  const parts = day ?? full;
  if (!parts) return null;
  const [y, mo, d] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const [h, mi, s] = full ? [Number(full[4]), Number(full[5]), Number(full[6] ?? 0)] : [0, 0, 0];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  )
    return null;
  const zone = full?.[7];
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    return { date: new Date(utc - offset * 60_000), isDateOnly: false };
  }
  return { date: check, isDateOnly: day !== null };
}

/** The exclusive end of a search range: a date covers its whole day, an instant its whole second. */
export function rangeEnd(parsed: { date: Date; isDateOnly: boolean }): Date {
  return new Date(parsed.date.getTime() + (parsed.isDateOnly ? 86_400_000 : 1000));
}
