import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { ConfigError, readSecretFile } from '../config.js';
import { systemClock } from '../core/clock.js';
import { SecretBox } from '../core/signing/secrets.js';
import { SigningKeyService } from '../core/signing/signing-key-service.js';
import { createStore } from '../storage/create-store.js';
import {
  DatabaseAccessError,
  prepareDataDirectory,
  regularFileSize,
  secretFileBeside,
} from '../storage/data-paths.js';
import { createPrivateFile, ensurePrivateDirectory, PRIVATE_FILE_MODE } from '../storage/private-files.js';

/**
 * A backup is a directory laid out like a data directory: `keyward.sqlite` (one self-contained file) and,
 * unless KEYWARD_SECRET holds the secret, `keyward.secret`. The database alone cannot be used: its private
 * signing keys are sealed with the secret. Pointing DATABASE_URL at the backup's keyward.sqlite would work as
 * it is; `keyward restore` puts both back where DATABASE_URL says, after checking that they belong together.
 */
export const BACKUP_DATABASE = 'keyward.sqlite';
export const BACKUP_SECRET = 'keyward.secret';

export interface BackupResult {
  backup: string;
  database: string;
  /** The secret's copy, or null when KEYWARD_SECRET holds it (and the operator must keep it). */
  secret: string | null;
}

export interface RestoreResult {
  restored: string;
  /** The keyward.secret now beside the database, or null when KEYWARD_SECRET holds the secret. */
  secret: string | null;
  from: string;
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** Writes a file durably, readable by its owner alone. */
function writePrivateFile(path: string, content: string, flag: 'w' | 'wx' = 'w'): void {
  writeFileSync(path, content, { mode: PRIVATE_FILE_MODE, flag });
  chmodSync(path, PRIVATE_FILE_MODE);
  syncPath(path);
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeDatabaseFiles(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(file, { force: true });
}

/**
 * Whether `secret` opens the signing keys of the SQLite database at `path`, and the file is sound. Leaves the
 * file as one self-contained file (rollback journal), so that a copy of it alone is the whole database.
 */
async function checkCopy(
  path: string,
  secret: string,
): Promise<{ isSound: boolean; opensWithSecret: boolean }> {
  const store = createStore({ kind: 'sqlite', path }, { poolSize: 1 });
  let opensWithSecret: boolean;
  try {
    const keys = new SigningKeyService({ store, clock: systemClock, secretBox: new SecretBox(secret) });
    opensWithSecret = await keys.canUnseal();
  } finally {
    await store.close();
  }
  const sqlite = new Sqlite(path);
  try {
    const isSound = sqlite.pragma('quick_check', { simple: true }) === 'ok';
    sqlite.pragma('journal_mode = DELETE');
    return { isSound, opensWithSecret };
  } finally {
    sqlite.close();
  }
}

/** The backup directory: created private, or an earlier backup's, whose files this one replaces. */
function prepareBackupDirectory(directory: string): void {
  let entries: string[] | null = null;
  try {
    if (!statSync(directory).isDirectory())
      throw new ConfigError(
        `${directory} is not a directory: keyward backup writes a directory; name a new one`,
      );
    entries = readdirSync(directory);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (codeOf(error) !== 'ENOENT')
      throw new ConfigError(`cannot use ${directory} for a backup (${codeOf(error)})`);
  }
  if (entries) {
    const others = entries.filter((name) => name !== BACKUP_DATABASE && name !== BACKUP_SECRET);
    if (others.length > 0)
      throw new ConfigError(
        `${directory} holds other files (${others.slice(0, 3).join(', ')}): keyward backup writes into a new or empty directory, or replaces an earlier backup in its own; name another directory`,
      );
    return;
  }
  try {
    ensurePrivateDirectory(directory);
  } catch (error) {
    throw new ConfigError(
      `cannot create the backup directory ${directory} (${codeOf(error)}): name a directory you may write`,
    );
  }
}

/**
 * Copies the live database (an online backup: the server may keep running) and the secret that opens it into
 * `directory`. The copy is checked before it replaces anything: sound, and its signing keys open with the
 * secret. A backup that could not be restored is never reported as made.
 */
export async function backupSqlite(options: {
  sqlite: Sqlite.Database;
  secret: string;
  /** Where the secret came from; KEYWARD_SECRET is not copied into files. */
  isSecretFromEnvironment: boolean;
  secretSource: string;
  directory: string;
}): Promise<BackupResult> {
  const { directory } = options;
  prepareBackupDirectory(directory);
  const database = join(directory, BACKUP_DATABASE);
  const partial = join(directory, `.${BACKUP_DATABASE}.partial-${process.pid}`);
  try {
    createPrivateFile(partial);
    await options.sqlite.backup(partial);
    const { isSound, opensWithSecret } = await checkCopy(partial, options.secret);
    if (!isSound)
      throw new DatabaseAccessError(
        'the copy of the database failed its integrity check; nothing was replaced',
      );
    if (!opensWithSecret)
      throw new ConfigError(
        `${options.secretSource} cannot open the signing keys of this database, so a backup with it could not be restored: run keyward backup with the secret the server runs with`,
      );
    syncPath(partial);
    const secretFile = join(directory, BACKUP_SECRET);
    if (options.isSecretFromEnvironment) rmSync(secretFile, { force: true });
    else writePrivateFile(secretFile, `${options.secret}\n`);
    renameSync(partial, database);
    syncPath(directory);
    return { backup: directory, database, secret: options.isSecretFromEnvironment ? null : secretFile };
  } finally {
    removeDatabaseFiles(partial);
  }
}

/** The database and secret a backup names: a backup directory, or a database file and a separate secret. */
function backupParts(source: string, secretFileOption: string | undefined) {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(source).isDirectory();
  } catch (error) {
    throw new ConfigError(`cannot read the backup ${source} (${codeOf(error)})`);
  }
  const database = isDirectory ? join(source, BACKUP_DATABASE) : source;
  if (regularFileSize(database, 'a backup holds the database as a regular file') === null)
    throw new ConfigError(
      `${source} holds no ${BACKUP_DATABASE}: name a directory written by keyward backup, or a database file and --secret-file`,
    );
  const secretFile = secretFileOption ?? (isDirectory ? join(source, BACKUP_SECRET) : null);
  const secret = secretFile === null ? null : readSecretFile(secretFile);
  if (secretFileOption !== undefined && secret === null)
    throw new ConfigError(`--secret-file ${secretFileOption} does not exist`);
  return { database, secret, secretFile };
}

/**
 * Puts a backup back where DATABASE_URL says: never over an existing database, and only a database whose
 * signing keys open with the secret the server will use (KEYWARD_SECRET if set, else the backup's
 * keyward.secret, which is restored beside the database). The database appears last, so no state exists in
 * which it is there without its secret.
 */
export async function restoreSqlite(options: {
  source: string;
  secretFile?: string;
  databasePath: string;
  secretFromEnvironment: string | null;
}): Promise<RestoreResult> {
  const { source, databasePath, secretFromEnvironment } = options;
  const parts = backupParts(source, options.secretFile);
  const secret = secretFromEnvironment ?? parts.secret;
  if (secret === null)
    throw new ConfigError(
      `${source} has no ${BACKUP_SECRET} (it was backed up while KEYWARD_SECRET held the secret, or before backups kept it): set KEYWARD_SECRET to that secret, or name the secret's file with --secret-file`,
    );
  const existing = [databasePath, `${databasePath}-wal`].find(
    (path) =>
      regularFileSize(path, 'DATABASE_URL must name the SQLite database file (or a new file name)') !== null,
  );
  if (existing)
    throw new ConfigError(
      `${existing} exists: keyward restore does not overwrite a database; stop the server, move the database (with its -wal and -shm files and keyward.secret) aside, then restore`,
    );
  const targetSecret = secretFileBeside(databasePath);
  const secretThere = secretFromEnvironment === null ? readSecretFile(targetSecret) : null;
  if (secretThere !== null && secretThere !== secret)
    throw new ConfigError(
      `${targetSecret} exists and is not the secret of the backup: move it aside (it belongs to another database), then restore`,
    );

  prepareDataDirectory(dirname(databasePath));
  const partial = join(dirname(databasePath), `.${basename(databasePath)}.restoring-${process.pid}`);
  try {
    createPrivateFile(partial);
    // Through SQLite rather than as bytes: a database with its -wal beside it is read whole.
    const from = new Sqlite(parts.database, { readonly: true, fileMustExist: true });
    try {
      await from.backup(partial);
    } finally {
      from.close();
    }
    const { isSound, opensWithSecret } = await checkCopy(partial, secret);
    if (!isSound) throw new DatabaseAccessError(`the backup ${parts.database} failed its integrity check`);
    if (!opensWithSecret) {
      const which = secretFromEnvironment !== null ? 'KEYWARD_SECRET' : (parts.secretFile as string);
      throw new ConfigError(
        `${which} cannot open the signing keys of the backup ${source}: ${
          secretFromEnvironment !== null
            ? "set KEYWARD_SECRET to the secret the backup's server ran with, or unset it to use the backup's keyward.secret"
            : 'it is not the secret this database was made with; use the keyward.secret of the same backup'
        }`,
      );
    }
    chmodSync(partial, PRIVATE_FILE_MODE);
    syncPath(partial);
    if (secretFromEnvironment === null && secretThere === null)
      writePrivateFile(targetSecret, `${secret}\n`, 'wx');
    renameSync(partial, databasePath);
    syncPath(dirname(databasePath));
    return {
      restored: databasePath,
      secret: secretFromEnvironment === null ? targetSecret : null,
      from: source,
    };
  } finally {
    removeDatabaseFiles(partial);
  }
}
