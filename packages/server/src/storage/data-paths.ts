import { randomBytes } from 'node:crypto';
import { closeSync, openSync, type Stats, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDirectory } from './private-files.js';

/** A database or data path the server cannot use as configured: the operator reads the message, not a stack. */
export class DatabaseAccessError extends Error {}

const codeOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/** Who the fix is for: permissions are granted to the user the server runs as. */
function runningUser(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'the user running Keyward' : `the user running Keyward (uid ${uid})`;
}

const ELSEWHERE = 'or set DATABASE_URL to a path in a writable directory';

/** Why a file cannot be created in a directory that exists, in the operator's terms. */
function refusal(error: unknown): string {
  const code = codeOf(error);
  if (code === 'ENOENT')
    return 'ENOENT: a special filesystem such as /proc or /sys, which takes no new files';
  if (code === 'EROFS') return 'EROFS: a read-only filesystem';
  return code;
}

/**
 * The directory that holds the SQLite database and keyward.secret: created private when missing, and proved
 * writable by writing in it, which is what SQLite and the secret need (permissions, read-only mounts,
 * special filesystems, ACLs all answer the same way). Every failure is one line naming the directory.
 */
export function prepareDataDirectory(directory: string): void {
  try {
    ensurePrivateDirectory(directory);
  } catch (error) {
    const path = (error as NodeJS.ErrnoException).path ?? directory;
    if (codeOf(error) === 'ENOTDIR') {
      throw new DatabaseAccessError(
        `${path} is not a directory, but DATABASE_URL puts the data directory ${directory} inside it: set DATABASE_URL to a file in a directory`,
      );
    }
    throw new DatabaseAccessError(
      `cannot create the data directory ${path} (${refusal(error)}): create it writable for ${runningUser()}, ${ELSEWHERE}`,
    );
  }
  const probe = join(directory, `.keyward-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
  } catch (error) {
    throw new DatabaseAccessError(
      `the data directory ${directory} cannot be written (${refusal(error)}): Keyward keeps the SQLite database, its -wal and -shm files and keyward.secret there; make it writable for ${runningUser()}, ${ELSEWHERE}`,
    );
  }
  unlinkSync(probe);
}

/** What a path is, for messages: "a FIFO", "a directory", … */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * The size of the file at `path`, or null when there is none. Anything but a regular file is refused before
 * anyone opens it: reading a FIFO waits for a writer forever, and SQLite on /dev/null fails obscurely.
 */
export function regularFileSize(path: string, what: string): number | null {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = codeOf(error);
    // ENOTDIR: a file where a directory of the path should be; prepareDataDirectory names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new DatabaseAccessError(`cannot look at ${path} (${code}): ${what}`);
  }
  if (!stats.isFile()) {
    throw new DatabaseAccessError(`${path} is not a regular file (it is ${kindOf(stats)}): ${what}`);
  }
  return Number(stats.size);
}

/** Where the generated server secret of a SQLite database lives: beside it, in its data directory. */
export function secretFileBeside(databasePath: string): string {
  return join(dirname(databasePath), 'keyward.secret');
}
