import type { Command } from 'commander';
import { operatorPrincipal } from '../core/access/principal.js';
import type { ApiTokenRecord } from '../core/access/token-ports.js';
import { presentToken } from '../http/native/present.js';
import { commaList, isoDate, positiveInt, repeatedIds } from './arguments.js';
import type { CommandContext } from './command-context.js';
import type { Field } from './output.js';

const COLUMNS: Field<ApiTokenRecord>[] = [
  ['id', (t) => t.id],
  ['name', (t) => t.name],
  ['prefix', (t) => t.prefix],
  ['scopes', (t) => t.scopes],
  ['products', (t) => (t.productIds.length === 0 ? 'all' : t.productIds)],
  ['license', (t) => t.licenseId],
  ['expires', (t) => t.expiresAt ?? 'never'],
  ['revoked', (t) => t.revokedAt],
];

/** `keyward token …`: API tokens. The operator at the server's console creates them with full rights. */
export function registerTokenCommands(program: Command, context: CommandContext): void {
  const { withKeyward, output, actor } = context;
  const token = program.command('token').description('manage API tokens');

  token
    .command('create')
    .description('create a token and print its secret (shown only once)')
    .requiredOption('--name <name>', 'what the token is for')
    .option(
      '--scope <scopes>',
      'scopes, comma-separated, e.g. licenses:read,licenses:validate (default *)',
      commaList,
    )
    .option('--product <id>', 'lock the token to a product (repeatable)', repeatedIds)
    .option('--license <id>', 'lock the token to one license', positiveInt)
    .option(
      '--method-lock <methods>',
      'only these operations, comma-separated, e.g. key/activate,key/getkey',
      commaList,
    )
    .option('--allow-ip <cidr>', 'allow only these addresses or CIDR ranges (comma-separated)', commaList)
    .option('--bind-to-first-ip', 'only the first address that uses the token may use it again')
    .option('--expires <date>', 'expiry instant', isoDate)
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const { token: created, secret } = await keyward.tokens.create(actor, operatorPrincipal, {
          name: options.name,
          scopes: options.scope ?? ['*'],
          productIds: options.product ?? [],
          licenseId: options.license ?? null,
          ipAllowlist: options.allowIp ?? [],
          expiresAt: options.expires ?? null,
          ...(options.methodLock ? { methodLock: options.methodLock } : {}),
          ...(options.bindToFirstIp ? { bindToFirstIp: true } : {}),
        });
        output.either(
          `Token ${created.id} created (${created.name}, scopes ${created.scopes.join(', ')}).\n` +
            'Its secret is shown only now and cannot be read again; keep it safe:\n\n' +
            `  ${secret}\n`,
          { ...presentToken(created), secret },
        );
      }),
    );

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--include-revoked', 'also list revoked tokens')
    .action(async (options) =>
      withKeyward(async (keyward) =>
        output.list(
          await keyward.tokens.list(operatorPrincipal, Boolean(options.includeRevoked)),
          presentToken,
          COLUMNS,
          'tokens',
        ),
      ),
    );

  token
    .command('revoke')
    .description('revoke a token by id (and the tokens it issued)')
    .argument('<id>', 'token id', positiveInt)
    .action(async (id: number) =>
      withKeyward(async (keyward) => {
        await keyward.tokens.revoke(actor, id);
        output.either(`Token ${id} revoked.`, { revoked: id });
      }),
    );
}
