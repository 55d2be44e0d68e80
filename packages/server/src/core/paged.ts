/** A page of results found by offset, with the number of all matches (for "page 3 of 12"). */
export interface Paged<T> {
  total: number;
  items: T[];
}
