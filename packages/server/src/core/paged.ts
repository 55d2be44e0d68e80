/** A page of results found by offset, with the number of all matches (for "page 3 of 12"). */
export interface Paged<T> {
  total: number;
  items: T[];
}

/**
 * A page read by cursor with only what the caller reaches kept: `nextAfter` is the id the next page starts
 * after (null at the end), and it moves past what was left out, so a locked caller pages as anyone does.
 */
export interface ReachablePage<T> {
  items: T[];
  nextAfter: number | null;
}

/** Keeps what `reaches` lets through of a page read `limit` at a time. */
export function reachablePage<T extends { id: number }>(
  read: T[],
  limit: number,
  reaches: (item: T) => boolean,
): ReachablePage<T> {
  const last = read[read.length - 1];
  return { items: read.filter(reaches), nextAfter: read.length === limit && last ? last.id : null };
}
