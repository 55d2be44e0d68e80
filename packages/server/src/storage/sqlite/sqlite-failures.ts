import { DatabaseAccessError } from '../data-paths.js';

/** A failure to open or use a SQLite file as one line that says what to do, or null for any other error. */
export function explainSqliteFailure(error: unknown, path: string): DatabaseAccessError | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const message = String((error as Error).message);
  if (code === 'SQLITE_NOTADB') {
    return new DatabaseAccessError(
      `${path} is not a SQLite database (${message}): set DATABASE_URL to Keyward's database file, or to a new file name to start one`,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new DatabaseAccessError(
      `the SQLite database ${path} is damaged (${message}): restore it from a backup (keyward restore)`,
    );
  }
  if (code.startsWith('SQLITE_BUSY')) {
    return new DatabaseAccessError(
      `the SQLite database ${path} stayed locked by another process (${message}): stop whatever holds it, then start again`,
    );
  }
  if (code === 'SQLITE_FULL') {
    return new DatabaseAccessError(
      `the disk of the SQLite database ${path} is full: make room, then start again`,
    );
  }
  return new DatabaseAccessError(
    `cannot use the SQLite database ${path} (${code}: ${message}): check DATABASE_URL, the file's permissions and the disk`,
  );
}
