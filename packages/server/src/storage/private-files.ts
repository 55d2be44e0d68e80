import { closeSync, mkdirSync, openSync } from 'node:fs';

/**
 * The database, its WAL and shared-memory files, its backups and the generated secret hold every license,
 * token hash and (encrypted) signing key: they are created readable by the server's user alone, whatever the
 * umask. SQLite creates a database's -wal and -shm files with the database file's own permissions, so a
 * database file created private keeps its companions private too. Existing files keep the permissions the
 * operator gave them.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** Creates `path` (and its missing parents) as directories only the owner can enter. */
export function ensurePrivateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
}

/** Creates `path` as an empty file only the owner can read, unless it exists; true when it was created. */
export function createPrivateFile(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}
