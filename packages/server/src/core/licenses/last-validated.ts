/**
 * How precisely a license's `lastValidatedAt` is kept: a validation within this long of the time recorded
 * writes nothing. An app validating every few seconds would otherwise rewrite its license's row each time
 * (one row update per validated license in every bookkeeping batch, most of a batch's writes under load),
 * and the read cache would copy its frozen entry as often. A minute is finer than anything shown or decided
 * from it.
 */
export const LAST_VALIDATED_GRANULARITY_MS = 60_000;

/** The instant before which a license's recorded validation is due to be renewed by one at `at`. */
export const renewedIfBefore = (at: Date): Date => new Date(at.getTime() - LAST_VALIDATED_GRANULARITY_MS);
