import { Command } from 'commander';
import { registerBackupCommands } from './backup/backup-commands.js';
import { positiveInt } from './cli/arguments.js';
import { registerCatalogCommands } from './cli/catalog.js';
import { registerCustomerCommands } from './cli/customers.js';
import { registerLicenseCommands } from './cli/licenses.js';
import { Output } from './cli/output.js';
import { registerTokenCommands } from './cli/tokens.js';
import { registerWebhookCommands } from './cli/webhooks.js';
import { registerOfflineCommands } from './cli-offline.js';
import { registerUserCommands } from './cli-users.js';
import { loadConfig, wantsStackTraces } from './config.js';
import { systemActor } from './core/access/actor.js';
import { systemClock } from './core/clock.js';
import { createKeyward, type Keyward } from './core/keyward.js';
import { SecretBox } from './core/signing/secrets.js';
import { applyHeapGrowth } from './heap-growth.js';
import { emailDelivery } from './http/email-delivery.js';
import { registerImportCommand } from './import/import-command.js';
import type { RunningServer } from './server.js';
import { assertCanListen, failureReport } from './start-up-failures.js';
import { createStore, type KeywardStore } from './storage/create-store.js';

/** Whoever runs the CLI on the server host holds the database, so it acts with full rights. */
const cliActor = { ...systemActor, via: 'cli' };

/** Opens the configured database (migrating it) for one command, and always closes it. */
async function withKeyward<T>(work: (keyward: Keyward, store: KeywardStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = createStore(config.database, { poolSize: 2 });
  try {
    await store.migrate();
    const keyward = createKeyward({
      store,
      clock: systemClock,
      secretBox: new SecretBox(config.secret, config.secretSource),
      onBackgroundError: (error) => console.error(error),
      destinations: config.destinations,
      publicUrl: config.publicUrl,
      email: emailDelivery(config.destinations),
    });
    const result = await work(keyward, store);
    await keyward.bookkeeping.flush();
    return result;
  } finally {
    await store.close();
  }
}

/** The one-time credentials of a first start, for the operator's terminal; null when none were generated. */
function firstStartBanner(server: RunningServer): string | null {
  let text = '';
  if (server.generatedAdminToken) {
    text += `\nAn admin token was generated for this first start. It is shown only now; keep it safe:\n\n  ${server.generatedAdminToken}\n\n`;
  }
  if (server.generatedDashboardAdmin) {
    const { email, password } = server.generatedDashboardAdmin;
    text += `A dashboard admin was created. Sign in at ${server.url}/ (shown only now):\n\n  email:    ${email}\n  password: ${password}\n\n`;
  }
  return text === '' ? null : text;
}

async function serve(options: { workers?: number } = {}): Promise<void> {
  if ((options.workers ?? 1) > 1) {
    const { isClusterPrimary, runCluster } = await import('./cluster.js');
    if (isClusterPrimary()) {
      // A configuration error or a taken port stops the primary, not N workers in a restart loop.
      const config = loadConfig();
      await assertCanListen(config.port, config.host);
      return runCluster(options.workers as number, (message) => process.stderr.write(`${message}\n`));
    }
  }
  const config = loadConfig();
  const heapGrowth = applyHeapGrowth(config.heapGrowthPercent) ? `${config.heapGrowthPercent}%` : "V8's own";
  // Loaded only here, so the other commands start without the HTTP stack.
  const { startServer } = await import('./server.js');
  const server = await startServer(config);
  server.app.log.info({ heapGrowth }, 'heap growth past what is live before a full collection');
  const banner = firstStartBanner(server);
  if (banner) {
    // Standard output carries the log (JSON lines that log shippers collect and index): the credentials go
    // to standard error, where the operator who started the server reads them, and the log only says so.
    process.stderr.write(banner);
    server.app.log.info(
      {
        adminToken: server.generatedAdminToken !== null,
        dashboardAdmin: server.generatedDashboardAdmin !== null,
      },
      'first start: the generated credentials were printed once to standard error; they are not logged',
    );
  }
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      (error) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export function buildCli(): Command {
  const program = new Command('keyward')
    .description('Keyward licensing server. Configuration comes from the environment (see the README).')
    .option('--json', 'print JSON for scripts instead of tables and sentences')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError();
  const output = new Output({ isJson: () => Boolean(program.opts().json) });
  const print = (value: unknown) => output.value(value);

  program
    .command('serve')
    .description('run the HTTP server (migrates the database first)')
    .option('--workers <n>', 'server processes sharing the port (Node cluster; default 1)', positiveInt)
    .action(serve);

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const config = loadConfig();
      const store = createStore(config.database, { poolSize: 1 });
      try {
        const applied = await store.migrate();
        output.either(
          applied.length === 0
            ? 'The database schema is up to date.'
            : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}`,
          { applied },
        );
      } finally {
        await store.close();
      }
    });

  const context = { withKeyward, output, actor: cliActor };
  registerTokenCommands(program, context);
  registerCatalogCommands(program, context);
  registerLicenseCommands(program, context);
  registerCustomerCommands(program, context);
  registerWebhookCommands(program, context);

  registerBackupCommands(program, output);

  registerOfflineCommands(program, { withKeyward, print, actor: cliActor });
  registerUserCommands(program, { withKeyward, print, actor: cliActor });

  registerImportCommand(program, withKeyward, output);

  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    // Every command's failure ends here: one line, the stack only when asked for.
    process.stderr.write(failureReport(error, wantsStackTraces()));
    process.exitCode = 1;
  }
}

void main(process.argv);
