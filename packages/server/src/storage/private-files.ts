import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The database, its WAL and shared-memory files, its backups and the generated secret hold every license,
 * token hash and (encrypted) signing key: they are created readable by the server's user alone, whatever the
 * umask. SQLite creates a database's -wal and -shm files with the database file's own permissions, so a
 * database file created private keeps its companions private too. Existing files keep the permissions the
 * operator gave them.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/**
 * Creates `path` (and its missing parents) as directories only the owner can enter. One level at a time rather
 * than `mkdirSync(…, { recursive: true })`, which loops forever where a filesystem refuses new directories with
 * ENOENT (anything under /proc): the first refusal is thrown, naming the directory it could not create.
 */
export function ensurePrivateDirectory(path: string): void {
  const missing: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    const found = statOrNull(current);
    if (found) {
      if (!found.isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {
          code: 'ENOTDIR',
          path: current,
        });
      }
      break;
    }
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const directory of missing) {
    try {
      mkdirSync(directory, { mode: PRIVATE_DIRECTORY_MODE });
    } catch (error) {
      // Another process made it meanwhile.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file on the way; the walk up names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
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
