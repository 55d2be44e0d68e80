import { type Command, InvalidArgumentError } from 'commander';
import type { Actor } from './core/access/actor.js';
import type { DashboardUser } from './core/access/dashboard-ports.js';
import { DASHBOARD_ROLES, isDashboardRole } from './core/access/dashboard-roles.js';
import type { Keyward } from './core/keyward.js';
import type { KeywardStore } from './storage/create-store.js';

type WithKeyward = <T>(work: (keyward: Keyward, store: KeywardStore) => Promise<T>) => Promise<T>;

function role(value: string): string {
  if (!isDashboardRole(value))
    throw new InvalidArgumentError(`expected one of ${DASHBOARD_ROLES.join(', ')}`);
  return value;
}

/** Reads the password from standard input (a pipe, or typed and ended with Enter). */
async function readPassword(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (input.isTTY) process.stderr.write('password (input is shown; pipe it in to hide it): ');
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (input.isTTY && text.includes('\n')) break;
  }
  return text.replace(/\r?\n.*$/s, '');
}

const present = (user: DashboardUser) => ({
  id: user.id,
  email: user.email,
  role: user.role,
  createdAt: user.createdAt.toISOString(),
  lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
});

/** `keyward user …`: the web dashboard's users (the first admin, password resets, removal). */
export function registerUserCommands(
  program: Command,
  deps: { withKeyward: WithKeyward; print: (value: unknown) => void; actor: Actor },
): void {
  const { withKeyward, print, actor } = deps;
  const user = program.command('user').description('manage the users of the web dashboard');
  user
    .command('create')
    .description('create a dashboard user; the password comes from standard input unless --password is given')
    .requiredOption('--email <email>', 'what the user signs in with')
    .requiredOption('--role <role>', `one of ${DASHBOARD_ROLES.join(', ')}`, role)
    .option('--password <password>', 'the password (visible in the process list; prefer standard input)')
    .action(async (options) => {
      const password = options.password ?? (await readPassword());
      await withKeyward(async (keyward) =>
        print(
          present(
            await keyward.dashboardAuth.createUser(actor, {
              email: options.email,
              password,
              role: options.role,
            }),
          ),
        ),
      );
    });
  user
    .command('list')
    .description('list dashboard users (never their passwords)')
    .action(async () =>
      withKeyward(async (keyward) => print((await keyward.dashboardAuth.listUsers(actor)).map(present))),
    );
  user
    .command('password')
    .description("set a user's password from standard input (or --password); ends the user's sessions")
    .requiredOption('--email <email>', 'the user')
    .option('--password <password>', 'the new password')
    .action(async (options) => {
      const password = options.password ?? (await readPassword());
      await withKeyward(async (keyward) =>
        print(present(await keyward.dashboardAuth.setPassword(actor, { email: options.email }, password))),
      );
    });
  user
    .command('delete')
    .description('delete a dashboard user and end their sessions')
    .requiredOption('--email <email>', 'the user')
    .action(async (options) =>
      withKeyward(async (keyward) => {
        await keyward.dashboardAuth.deleteUser(actor, { email: options.email });
        print({ deleted: options.email });
      }),
    );
}
