import { DomainError } from '../domain-error.js';

/** The last instant an RFC 3339 timestamp (four-digit year) can express: every answer must be able to show it. */
export const LATEST_EXPRESSIBLE_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Refuses a computed date (an extension, a duration added to now) that would land past 9999-12-31: stored, it
 * would make every later answer carrying it unserializable.
 */
export function assertExpressible(date: Date | null | undefined, field: string): void {
  if (date && !(date.getTime() <= LATEST_EXPRESSIBLE_INSTANT)) {
    throw new DomainError(
      'INVALID_INPUT',
      `${field} would fall after 9999-12-31, which no date can express`,
      {
        field,
      },
    );
  }
}
