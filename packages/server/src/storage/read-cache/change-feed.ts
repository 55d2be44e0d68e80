/** A running subscription to the database's change feed, which invalidates a read cache until stopped. */
export interface ChangeFeed {
  stop(): Promise<void>;
}
