import type { Command } from 'commander';
import type { CustomerInput } from '../core/customers/customer-service.js';
import { DomainError } from '../core/domain-error.js';
import type { Customer } from '../core/model.js';
import { presentCustomer, presentLicense } from '../http/native/present.js';
import { positiveInt } from './arguments.js';
import { type CommandContext, readPages } from './command-context.js';
import { type Field, table } from './output.js';

const COLUMNS: Field<Customer>[] = [
  ['id', (c) => c.id],
  ['name', (c) => c.name],
  ['email', (c) => c.email],
  ['company', (c) => c.company],
  ['created', (c) => c.createdAt],
];

const DETAILS: Field<Customer>[] = [
  ...COLUMNS.slice(0, 4),
  ['notes', (c) => c.notes],
  COLUMNS[4] as Field<Customer>,
];

/** How many of a customer's licenses `customer show` lists. */
const SHOWN_LICENSES = 20;

/** The fields typed; an empty value clears an optional field. */
function customerInput(options: Record<string, string | undefined>): CustomerInput {
  const cleared = (v: string | undefined) => (v === undefined ? undefined : v.trim() === '' ? null : v);
  const input: CustomerInput = {
    name: options.name,
    email: cleared(options.email),
    company: cleared(options.company),
    notes: cleared(options.notes),
  };
  if (input.name !== undefined && input.name.trim() === '')
    throw new DomainError('INVALID_INPUT', 'a customer needs a name', { field: 'name' });
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as CustomerInput;
}

/** `keyward customer …`: the people and companies licenses are sold to. */
export function registerCustomerCommands(program: Command, context: CommandContext): void {
  const { withKeyward, output, actor } = context;
  const customer = program.command('customer').description('manage customers');

  customer
    .command('create')
    .description('create a customer')
    .requiredOption('--name <name>', 'name')
    .option('--email <email>', 'email')
    .option('--company <company>', 'company')
    .option('--notes <text>', 'notes')
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const created = await keyward.customers.create(actor, {
          ...customerInput(options),
          name: options.name,
        });
        output.either(`Customer ${created.id} created: ${created.name}`, presentCustomer(created));
      }),
    );

  customer
    .command('list')
    .description('list customers')
    .option('--email <email>', 'with this email')
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const customers = await readPages(options.limit, (page) =>
          keyward.customers.list(actor.principal, { email: options.email ?? null, ...page }),
        );
        output.list(customers, presentCustomer, COLUMNS, 'customers');
      }),
    );

  customer
    .command('show')
    .description('show a customer and their licenses')
    .argument('<id>', 'customer id', positiveInt)
    .action(async (id: number) =>
      withKeyward(async (keyward) => {
        const found = await keyward.customers.get(actor.principal, id);
        if (output.isJson) return output.json(presentCustomer(found));
        output.one(found, presentCustomer, DETAILS);
        const licenses = await keyward.licenses.list(
          { customerId: id },
          { after: null, limit: SHOWN_LICENSES + 1 },
        );
        const rows = licenses
          .slice(0, SHOWN_LICENSES)
          .map((l) => presentLicense(keyward.licenses.stateOf(l)));
        const more =
          licenses.length > SHOWN_LICENSES
            ? ` (the newest ${SHOWN_LICENSES}: license list --customer ${id})`
            : '';
        output.say(
          rows.length === 0
            ? '\nNo licenses.'
            : `\nLicenses${more}:\n${table(rows, [
                ['id', (l) => l.id],
                ['key', (l) => l.key],
                ['status', (l) => l.status],
                ['expires', (l) => l.expiresAt ?? 'never'],
              ])}`,
        );
      }),
    );

  customer
    .command('update')
    .description('change a customer; an empty value clears an optional field')
    .argument('<id>', 'customer id', positiveInt)
    .option('--name <name>', 'name')
    .option('--email <email>', 'email')
    .option('--company <company>', 'company')
    .option('--notes <text>', 'notes')
    .action(async (id: number, options) =>
      withKeyward(async (keyward) => {
        const changes = customerInput(options);
        if (Object.keys(changes).length === 0)
          throw new DomainError('INVALID_INPUT', 'give at least one of --name, --email, --company, --notes');
        const updated = await keyward.customers.update(actor, id, changes);
        output.either(`Customer ${updated.id} updated: ${updated.name}`, presentCustomer(updated));
      }),
    );

  customer
    .command('delete')
    .description('delete a customer (their licenses stay, without a customer)')
    .argument('<id>', 'customer id', positiveInt)
    .action(async (id: number) =>
      withKeyward(async (keyward) => {
        await keyward.customers.delete(actor, id);
        output.either(`Customer ${id} deleted.`, { deleted: id });
      }),
    );
}
