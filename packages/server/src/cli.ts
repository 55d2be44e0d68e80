import { chmodSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { registerOfflineCommands } from './cli-offline.js';
import { registerUserCommands } from './cli-users.js';
import { ConfigError, loadConfig } from './config.js';
import { systemActor } from './core/actor.js';
import { systemClock } from './core/clock.js';
import { isDomainError } from './core/domain-error.js';
import { createKeyward, type Keyward } from './core/keyward.js';
import { operatorPrincipal } from './core/principal.js';
import { SecretBox } from './core/secrets.js';
import { presentLicense, presentPolicy, presentProduct, presentToken } from './http/native/present.js';
import { registerImportCommand } from './import/import-command.js';
import type { RunningServer } from './server.js';
import { createStore, type KeywardStore } from './storage/create-store.js';
import { DatabaseAccessError } from './storage/open-database.js';
import { createPrivateFile, PRIVATE_FILE_MODE } from './storage/private-files.js';

/** Whoever runs the CLI on the server host holds the database, so it acts with full rights. */
const cliActor = { ...systemActor, via: 'cli' };

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function wholeNumber(value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
  return n;
}

function isoDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO-8601 date');
  return date;
}

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

/** Opens the configured database (migrating it) for one command, and always closes it. */
async function withKeyward<T>(work: (keyward: Keyward, store: KeywardStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = createStore(config.database, { poolSize: 2 });
  try {
    await store.migrate();
    const keyward = createKeyward({
      store,
      clock: systemClock,
      secretBox: new SecretBox(config.secret),
      onBackgroundError: (error) => console.error(error),
      destinations: config.destinations,
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
      loadConfig(); // a configuration error stops the primary, not N workers in a restart loop
      return runCluster(options.workers as number, (message) => process.stderr.write(`${message}\n`));
    }
  }
  // Loaded only here, so the other commands start without the HTTP stack.
  const { startServer } = await import('./server.js');
  const server = await startServer(loadConfig());
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
    .showHelpAfterError();

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
        print({ applied });
      } finally {
        await store.close();
      }
    });

  const token = program.command('token').description('manage API tokens');
  token
    .command('create')
    .description('create a token and print its secret (shown only once)')
    .requiredOption('--name <name>', 'what the token is for')
    .option(
      '--scope <scopes>',
      'comma-separated scopes, e.g. licenses:read,licenses:validate (default *)',
      list,
    )
    .option('--product <id>', 'lock the token to a product (repeatable)', (v, p: number[] = []) => [
      ...p,
      positiveInt(v),
    ])
    .option('--license <id>', 'lock the token to one license', positiveInt)
    .option('--allow-ip <cidr>', 'allow only these addresses or CIDR ranges (comma-separated)', list)
    .option('--expires <iso>', 'expiry instant', isoDate)
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const { token: created, secret } = await keyward.tokens.create(cliActor, operatorPrincipal, {
          name: options.name,
          scopes: options.scope ?? ['*'],
          productIds: options.product ?? [],
          licenseId: options.license ?? null,
          ipAllowlist: options.allowIp ?? [],
          expiresAt: options.expires ?? null,
        });
        print({ ...presentToken(created), secret });
      }),
    );
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--include-revoked', 'also list revoked tokens')
    .action(async (options) =>
      withKeyward(async (keyward) =>
        print((await keyward.tokens.list(Boolean(options.includeRevoked))).map(presentToken)),
      ),
    );
  token
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>', 'token id', positiveInt)
    .action(async (id: number) =>
      withKeyward(async (keyward) => {
        await keyward.tokens.revoke(cliActor, id);
        print({ revoked: id });
      }),
    );

  const product = program.command('product').description('manage products');
  product
    .command('create')
    .description('create a product')
    .argument('<name>', 'product name')
    .option('--code <code>', 'short code')
    .action(async (name: string, options) =>
      withKeyward(async (keyward) =>
        print(
          presentProduct(await keyward.catalog.createProduct(cliActor, { name, code: options.code ?? null })),
        ),
      ),
    );
  product
    .command('list')
    .description('list products')
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .action(async (options) =>
      withKeyward(async (keyward) =>
        print(
          (await keyward.catalog.listProducts({ after: null, limit: options.limit })).map(presentProduct),
        ),
      ),
    );

  const policy = program.command('policy').description("manage policies (the rules a product's keys follow)");
  policy
    .command('create')
    .description('create a policy for a product')
    .requiredOption('--product <id>', 'product id', positiveInt)
    .requiredOption('--name <name>', 'policy name')
    .option('--max-machines <n>', 'machines per key (0 = unlimited)', (v) => wholeNumber(v), 1)
    .option(
      '--max-deactivations <n>',
      'deactivations per key (-1 = unlimited)',
      (v) => wholeNumber(v, -1),
      -1,
    )
    .option('--floating', 'seats are floating leases')
    .option('--duration-days <n>', 'key lifetime in days (default: perpetual)', positiveInt)
    .action(async (options) =>
      withKeyward(async (keyward) =>
        print(
          presentPolicy(
            await keyward.catalog.createPolicy(cliActor, {
              productId: options.product,
              name: options.name,
              maxMachines: options.maxMachines,
              maxDeactivations: options.maxDeactivations,
              isFloating: Boolean(options.floating),
              durationSeconds: options.durationDays ? options.durationDays * 86_400 : null,
            }),
          ),
        ),
      ),
    );
  policy
    .command('list')
    .description('list policies')
    .option('--product <id>', 'of this product', positiveInt)
    .action(async (options) =>
      withKeyward(async (keyward) =>
        print(
          (
            await keyward.catalog.listPolicies({
              productId: options.product ?? null,
              after: null,
              limit: 1000,
            })
          ).map(presentPolicy),
        ),
      ),
    );

  const license = program.command('license').description('manage licenses');
  license
    .command('create')
    .description('create licenses under a policy (one transaction)')
    .requiredOption('--policy <id>', 'policy id', positiveInt)
    .option('--count <n>', 'how many keys', positiveInt, 1)
    .option('--email <email>', 'customer email')
    .option('--expires <iso>', 'expiry instant (default: from the policy)', isoDate)
    .option('--tag <tag>', 'tag (repeatable)', (v, p: string[] = []) => [...p, v])
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const input = {
          ...(options.email ? { email: options.email } : {}),
          ...(options.expires ? { expiresAt: options.expires } : {}),
          ...(options.tag ? { tags: options.tag } : {}),
        };
        const created = await keyward.licenses.createMany(
          cliActor,
          options.policy,
          Array.from({ length: options.count }, () => input),
        );
        print(created.map((l) => presentLicense(l, keyward.clock.now())));
      }),
    );
  license
    .command('list')
    .description('list licenses')
    .option('--product <id>', 'of this product', positiveInt)
    .option('--status <status>', 'active, suspended, revoked or expired')
    .option('--email <email>', 'of this email')
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const licenses = await keyward.licenses.list(
          { productId: options.product, status: options.status, email: options.email },
          { after: null, limit: options.limit },
        );
        print(licenses.map((l) => presentLicense(l, keyward.clock.now())));
      }),
    );
  license
    .command('show')
    .description('show one license by id or key')
    .argument('<idOrKey>', 'license id or key')
    .action(async (idOrKey: string) =>
      withKeyward(async (keyward, store) => {
        const byId = /^\d{1,10}$/.test(idOrKey) ? await store.licenses.findById(Number(idOrKey)) : null;
        const found = byId ?? (await keyward.licenses.getByKey(idOrKey));
        print(presentLicense(found, keyward.clock.now()));
      }),
    );

  program
    .command('backup')
    .description('copy the SQLite database to a file while the server runs (online backup)')
    .argument('<file>', 'where to write the copy')
    .action(async (file: string) =>
      withKeyward(async (_keyward, store) => {
        const sqlite = store.database.sqlite;
        if (!sqlite) throw new ConfigError('backup copies SQLite databases; use pg_dump for PostgreSQL');
        // A copy of every secret the database holds: readable by the owner alone, also when overwriting.
        if (!createPrivateFile(file)) chmodSync(file, PRIVATE_FILE_MODE);
        await sqlite.backup(file);
        print({ backup: file });
      }),
    );

  registerOfflineCommands(program, { withKeyward, print, actor: cliActor });
  registerUserCommands(program, { withKeyward, print, actor: cliActor });

  registerImportCommand(program, withKeyward);

  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    const message = isDomainError(error)
      ? `${error.code}: ${error.message}`
      : error instanceof ConfigError || error instanceof DatabaseAccessError
        ? error.message
        : String((error as Error)?.stack ?? error);
    process.stderr.write(`keyward: ${message}\n`);
    process.exitCode = 1;
  }
}

void main(process.argv);
