import type { Command } from 'commander';
import type { PolicyInput } from '../core/catalog/catalog-service.js';
import { DomainError } from '../core/domain-error.js';
import type { Policy, Product } from '../core/model.js';
import { presentPolicy, presentProduct } from '../http/native/present.js';
import { featureField, oneOf, positiveInt, span, wholeNumber } from './arguments.js';
import { type CommandContext, readPages } from './command-context.js';
import { type Field, spanText } from './output.js';

const PRODUCT_COLUMNS: Field<Product>[] = [
  ['id', (p) => p.id],
  ['name', (p) => p.name],
  ['code', (p) => p.code],
  ['created', (p) => p.createdAt],
];

const machinesOf = (p: Policy) => (p.maxMachines === 0 ? 'unlimited' : p.maxMachines);

const POLICY_COLUMNS: Field<Policy>[] = [
  ['id', (p) => p.id],
  ['product', (p) => p.productId],
  ['name', (p) => p.name],
  ['machines', machinesOf],
  ['vm', (p) => p.allowVm],
  ['floating', (p) => (p.isFloating ? `lease ${spanText(p.leaseSeconds)}` : false)],
  ['trial', (p) => p.isTrial],
  ['duration', (p) => (p.durationSeconds === null ? 'perpetual' : spanText(p.durationSeconds))],
  ['features', (p) => p.featureFields.map((f) => f.name)],
];

const POLICY_DETAILS: Field<Policy>[] = [
  ...POLICY_COLUMNS.slice(0, 4),
  ['deactivations', (p) => (p.maxDeactivations === -1 ? 'unlimited' : p.maxDeactivations)],
  ...POLICY_COLUMNS.slice(4, 6),
  ['overdraft', (p) => p.maxOverdraft],
  ['trial', (p) => p.isTrial],
  ['duration', (p) => (p.durationSeconds === null ? 'perpetual' : spanText(p.durationSeconds))],
  ['expires from', (p) => (p.expirationBasis === 'CREATION' ? 'creation' : 'first activation')],
  ['key format', (p) => p.keyFormat],
  [
    'features',
    (p) =>
      p.featureFields.map(
        (f) => `${f.name}:${f.type}${f.defaultValue === null ? '' : `:${String(f.defaultValue)}`}`,
      ),
  ],
  ['created', (p) => p.createdAt],
];

const BASES = { creation: 'CREATION', activation: 'FIRST_ACTIVATION' } as const;

/** The policy options typed, as core's input; what is not given keeps core's default. */
function policyInput(options: Record<string, unknown>): PolicyInput {
  if (options.allowVm && options.vm === false)
    throw new DomainError('INVALID_INPUT', 'give --allow-vm or --no-vm, not both');
  const given: PolicyInput = {
    maxMachines: options.maxMachines as number | undefined,
    maxDeactivations: options.maxDeactivations as number | undefined,
    isFloating: options.floating ? true : undefined,
    leaseSeconds: options.lease as number | undefined,
    maxOverdraft: options.maxOverdraft as number | undefined,
    allowVm: options.vm === false ? false : options.allowVm ? true : undefined,
    isTrial: options.trial ? true : undefined,
    durationSeconds: options.duration as number | undefined,
    expirationBasis: options.expireFrom ? BASES[options.expireFrom as keyof typeof BASES] : undefined,
    keyFormat: options.keyFormat as string | undefined,
    featureFields: options.feature as PolicyInput['featureFields'],
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as PolicyInput;
}

/** `keyward product …` and `keyward policy …`: what is sold, and the rules its keys follow. */
export function registerCatalogCommands(program: Command, context: CommandContext): void {
  const { withKeyward, output, actor } = context;

  const product = program.command('product').description('manage products');
  product
    .command('create')
    .description('create a product')
    .argument('<name>', 'product name')
    .option('--code <code>', 'short code')
    .action(async (name: string, options) =>
      withKeyward(async (keyward) => {
        const created = await keyward.catalog.createProduct(actor, { name, code: options.code ?? null });
        output.either(`Product ${created.id} created: ${created.name}`, presentProduct(created));
      }),
    );
  product
    .command('list')
    .description('list products')
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const products = await readPages(options.limit, (page) => keyward.catalog.listProducts(page));
        output.list(products, presentProduct, PRODUCT_COLUMNS, 'products');
      }),
    );

  const policy = program.command('policy').description("manage policies (the rules a product's keys follow)");
  policy
    .command('create')
    .description('create a policy for a product')
    .requiredOption('--product <id>', 'product id', positiveInt)
    .requiredOption('--name <name>', 'policy name')
    .option('--max-machines <n>', 'machines per key, 0 = unlimited (default 1)', (v) => wholeNumber(v))
    .option('--max-deactivations <n>', 'deactivations per key, -1 = unlimited (default)', (v) =>
      wholeNumber(v, -1),
    )
    .option('--allow-vm', 'machines in virtual machines may activate (the default)')
    .option('--no-vm', 'refuse activations from virtual machines')
    .option('--floating', 'seats are floating leases that lapse unless renewed')
    .option('--lease <time>', 'how long a floating lease lasts, e.g. 15m (default 15m)', span)
    .option('--max-overdraft <n>', 'floating leases allowed beyond the limit (default 0)', (v) =>
      wholeNumber(v),
    )
    .option('--trial', 'keys under this policy are trials')
    .option(
      '--duration <time>',
      'key lifetime, e.g. 30d, 12h, 2w; a bare number is days (default: perpetual)',
      span,
    )
    .option(
      '--expire-from <when>',
      'the lifetime counts from creation (default) or activation',
      oneOf(['creation', 'activation'] as const),
    )
    .option('--key-format <pattern>', 'pattern of generated keys: X is a random character')
    .option(
      '--feature <name:type[:default]>',
      'feature field, type string, integer, boolean or date; repeatable (e.g. seats:integer:5)',
      featureField,
    )
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const created = await keyward.catalog.createPolicy(actor, {
          ...policyInput(options),
          productId: options.product,
          name: options.name,
        });
        output.one(created, presentPolicy, POLICY_DETAILS);
      }),
    );
  policy
    .command('list')
    .description('list policies')
    .option('--product <id>', 'of this product', positiveInt)
    .option('--limit <n>', 'at most this many', positiveInt, 1000)
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const policies = await readPages(options.limit, (page) =>
          keyward.catalog.listPolicies({ productId: options.product ?? null, ...page }),
        );
        output.list(policies, presentPolicy, POLICY_COLUMNS, 'policies');
      }),
    );
  policy
    .command('show')
    .description('show one policy')
    .argument('<id>', 'policy id', positiveInt)
    .action(async (id: number) =>
      withKeyward(async (keyward) =>
        output.one(await keyward.catalog.getPolicy(id), presentPolicy, POLICY_DETAILS),
      ),
    );
}
