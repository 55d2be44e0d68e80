import type { Command } from 'commander';
import { DomainError } from '../core/domain-error.js';
import type { Keyward } from '../core/keyward.js';
import type { LicenseFilter } from '../core/licenses/license-ports.js';
import { LICENSE_STATUSES } from '../core/licenses/license-status.js';
import type { License } from '../core/model.js';
import { presentLicense } from '../http/native/present.js';
import { featureValue, isoDate, oneOf, positiveInt, repeated } from './arguments.js';
import { type CommandContext, licenseNamed, readPages } from './command-context.js';
import { cell, type Field } from './output.js';

type Shown = ReturnType<typeof presentLicense>;

const COLUMNS: Field<Shown>[] = [
  ['id', (l) => l.id],
  ['key', (l) => l.key],
  ['status', (l) => l.status],
  ['policy', (l) => l.policyId],
  ['expires', (l) => l.expiresAt ?? 'never'],
  ['machines', (l) => l.activationCount],
  ['email', (l) => l.email],
  ['tags', (l) => l.tags],
];

const DETAILS: Field<Shown>[] = [
  ['id', (l) => l.id],
  ['key', (l) => l.key],
  ['status', (l) => l.status],
  ['policy', (l) => l.policyId],
  ['products', (l) => l.productIds],
  ['customer', (l) => l.customerId],
  ['email', (l) => l.email],
  ['alias', (l) => l.alias],
  ['expires', (l) => l.expiresAt ?? 'never'],
  ['machines', (l) => l.activationCount],
  ['deactivations', (l) => l.deactivationCount],
  ['features', (l) => l.features],
  ['tags', (l) => l.tags],
  ['notes', (l) => l.notes],
  ['created', (l) => l.createdAt],
  ['last validated', (l) => l.lastValidatedAt],
];

/** `keyward license …`: issuing keys, finding them, and the changes a vendor makes every day. */
export function registerLicenseCommands(program: Command, context: CommandContext): void {
  const { withKeyward, output, actor } = context;
  const show = (keyward: Keyward, licenses: License[]) =>
    licenses.map((l) => presentLicense(keyward.licenses.stateOf(l)));

  const license = program.command('license').description('manage licenses');

  license
    .command('create')
    .description('create licenses under a policy (one transaction: all of them or none)')
    .requiredOption('--policy <id>', 'policy id', positiveInt)
    .option('--count <n>', 'how many keys (at most 1000)', positiveInt, 1)
    .option('--email <email>', 'customer email')
    .option('--customer <id>', 'customer id', positiveInt)
    .option('--expires <date>', 'expiry instant (default: from the policy)', isoDate)
    .option('--tag <tag>', 'tag (repeatable)', repeated)
    .option('--feature <name=value>', 'feature value (repeatable)', featureValue)
    .option('--notes <text>', 'notes')
    .option('-q, --keys-only', 'print only the keys, one per line')
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const input = {
          ...(options.email ? { email: options.email } : {}),
          ...(options.customer ? { customerId: options.customer } : {}),
          ...(options.expires ? { expiresAt: options.expires } : {}),
          ...(options.tag ? { tags: options.tag } : {}),
          ...(options.feature ? { features: options.feature } : {}),
          ...(options.notes ? { notes: options.notes } : {}),
        };
        const created = await keyward.licenses.createMany(
          actor,
          options.policy,
          Array.from({ length: options.count }, () => input),
        );
        if (options.keysOnly) return output.lines(created.map((l) => l.key));
        output.list(show(keyward, created), (l) => l, COLUMNS, 'licenses');
      }),
    );

  license
    .command('list')
    .description('list licenses, newest first')
    .option('--product <id>', 'of this product', positiveInt)
    .option('--policy <id>', 'under this policy', positiveInt)
    .option('--customer <id>', 'of this customer', positiveInt)
    .option('--status <status>', LICENSE_STATUSES.join(', '), oneOf(LICENSE_STATUSES))
    .option('--email <email>', 'of this email')
    .option('--tag <tag>', 'with this tag')
    .option('--key <text>', 'whose key contains this text (any case, dashes ignored)')
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .option('-q, --keys-only', 'print only the keys, one per line')
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const filter: LicenseFilter = {
          productId: options.product,
          policyId: options.policy,
          customerId: options.customer,
          status: options.status,
          email: options.email,
          tag: options.tag,
          key: options.key,
        };
        const read = await readPages(options.limit + 1, (page) => keyward.licenses.list(filter, page));
        const licenses = read.slice(0, options.limit);
        if (options.keysOnly) output.lines(licenses.map((l) => l.key));
        else output.list(show(keyward, licenses), (l) => l, COLUMNS, 'licenses');
        if (read.length > options.limit)
          output.hint(`(the first ${options.limit}; more match: raise --limit)`);
      }),
    );

  license
    .command('show')
    .description('show one license by id or key')
    .argument('<idOrKey>', 'license id or key')
    .action(async (idOrKey: string) =>
      withKeyward(async (keyward) => {
        const [shown] = show(keyward, [await licenseNamed(keyward, idOrKey)]);
        output.one(shown as Shown, (l) => l, DETAILS);
      }),
    );

  /** A change named by what it does; people read one sentence, scripts the changed license. */
  const change = (
    name: string,
    description: string,
    sentence: (license: Shown) => string,
    run: (keyward: Keyward, license: License, options: Record<string, unknown>) => Promise<License>,
  ) =>
    license
      .command(name)
      .description(description)
      .argument('<idOrKey>', 'license id or key')
      .action(async (idOrKey: string, options: Record<string, unknown>) =>
        withKeyward(async (keyward) => {
          const changed = await run(keyward, await licenseNamed(keyward, idOrKey), options);
          const [shown] = show(keyward, [changed]) as [Shown];
          output.either(`License ${shown.id} (${shown.key}) ${sentence(shown)}`, shown);
        }),
      );
  const expiry = (l: Shown) => (l.expiresAt ? `expires ${cell(l.expiresAt)}` : 'never expires');

  change(
    'suspend',
    'suspend a license (it stops validating until reinstated)',
    () => 'suspended.',
    (k, l) => k.licenses.suspend(actor, l.id),
  );
  change(
    'reinstate',
    'lift a suspension',
    (l) => `reinstated; it is ${l.status} and ${expiry(l)}.`,
    (k, l) => k.licenses.reinstate(actor, l.id),
  );
  change(
    'revoke',
    'revoke a license for good (it never validates again)',
    () => 'revoked.',
    (k, l) => k.licenses.revoke(actor, l.id),
  );
  change(
    'extend',
    'move the expiry: --days later (from now if it has passed) or --until a date',
    (l) => `extended: it ${expiry(l)} and is ${l.status}.`,
    (k, l, options) => {
      const { days, until } = options as { days?: number; until?: Date };
      if ((days === undefined) === (until === undefined))
        throw new DomainError('INVALID_INPUT', 'give either --days or --until');
      return k.licenses.extend(
        actor,
        l.id,
        until ? { expiresAt: until } : { seconds: (days as number) * 86_400 },
      );
    },
  )
    .option('--days <n>', 'days to add', positiveInt)
    .option('--until <date>', 'the new expiry', isoDate);
}
