import type { Command } from 'commander';
import { ConfigError, loadConfig, loadStorageConfig } from '../config.js';
import { createStore } from '../storage/create-store.js';
import { regularFileSize } from '../storage/data-paths.js';
import { backupSqlite, restoreSqlite } from './sqlite-backup.js';

/** How the commands print: sentences for people, the value for `--json`. */
export interface BackupOutput {
  either(text: string, value: unknown): void;
}

const POSTGRES_BACKUP =
  'back up PostgreSQL with pg_dump (see "Backup and restore" in the README) and keep KEYWARD_SECRET with every dump: without it the signing keys in the dump cannot be opened';

/** `keyward backup` and `keyward restore` (SQLite); PostgreSQL is backed up with its own tools. */
export function registerBackupCommands(program: Command, output: BackupOutput): void {
  program
    .command('backup')
    .description(
      'copy the SQLite database and the secret that opens it into a directory, while the server runs (online backup)',
    )
    .argument('<directory>', 'where to write the backup: a new directory, or one holding an earlier backup')
    .action(async (directory: string) => {
      const storage = loadStorageConfig();
      if (storage.database.kind === 'postgres')
        throw new ConfigError(`keyward backup copies SQLite databases: ${POSTGRES_BACKUP}`);
      // Before loadConfig, which would make a secret for a database that is not there.
      const path = storage.database.path;
      if (!regularFileSize(path, 'DATABASE_URL must name the SQLite database file'))
        throw new ConfigError(
          `there is no database at ${path} to back up: set DATABASE_URL to the server's database`,
        );
      const config = loadConfig();
      const store = createStore(config.database, { poolSize: 1 });
      try {
        const result = await backupSqlite({
          sqlite: store.database.sqlite as NonNullable<typeof store.database.sqlite>,
          secret: config.secret,
          isSecretFromEnvironment: storage.secretFromEnvironment !== null,
          secretSource: config.secretSource,
          directory,
        });
        if (result.secret === null) {
          // Said on standard error whatever the output format: a script's log shows it too.
          process.stderr.write(
            'keyward: WARNING: the secret comes from KEYWARD_SECRET and is not in the backup. Keep KEYWARD_SECRET with the backup: without it the backup cannot be restored (its signing keys cannot be opened).\n',
          );
        }
        output.either(
          result.secret === null
            ? `Backed up ${path} to ${result.backup} (without the secret: keep KEYWARD_SECRET).\nRestore with: KEYWARD_SECRET=… keyward restore ${result.backup}`
            : `Backed up ${path} and its keyward.secret to ${result.backup}.\nRestore with: keyward restore ${result.backup}`,
          result,
        );
      } finally {
        await store.close();
      }
    });

  program
    .command('restore')
    .description(
      'put a backup back where DATABASE_URL points (stop the server first; never overwrites a database)',
    )
    .argument('<backup>', 'a directory written by keyward backup, or a database file (with --secret-file)')
    .option('--secret-file <file>', "the keyward.secret that opens the backup's database, if kept apart")
    .action(async (backup: string, options: { secretFile?: string }) => {
      const storage = loadStorageConfig();
      if (storage.database.kind === 'postgres')
        throw new ConfigError(
          'keyward restore restores SQLite backups: restore PostgreSQL with pg_restore (see "Backup and restore" in the README) and start the server with the KEYWARD_SECRET it ran with',
        );
      const result = await restoreSqlite({
        source: backup,
        secretFile: options.secretFile,
        databasePath: storage.database.path,
        secretFromEnvironment: storage.secretFromEnvironment,
      });
      output.either(
        `Restored ${result.restored}${result.secret ? ` and ${result.secret}` : ''} from ${backup}. Start the server as before.`,
        result,
      );
    });
}
