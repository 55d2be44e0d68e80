/**
 * Column encodings shared by both databases. Instants are integer milliseconds since the epoch and booleans are
 * 0/1 integers on both, so one mapping serves SQLite and PostgreSQL; lists and maps are JSON text (columns.ts
 * converts them).
 */
export type Millis = number;
export type Flag = number;
