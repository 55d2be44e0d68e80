import type { Command } from 'commander';
import type { WebhookEndpoint } from '../core/webhook-ports.js';
import { presentWebhook } from '../http/native/routes/webhooks.js';
import { commaList, positiveInt, repeatedIds } from './arguments.js';
import { type CommandContext, readPages } from './command-context.js';
import type { Field } from './output.js';

const COLUMNS: Field<WebhookEndpoint>[] = [
  ['id', (w) => w.id],
  ['url', (w) => w.url],
  ['events', (w) => w.eventTypes],
  ['products', (w) => (w.productIds.length === 0 ? 'all' : w.productIds)],
  ['enabled', (w) => w.isEnabled],
  ['description', (w) => w.description],
];

/** `keyward webhook …`: endpoints that hear licensing events (docs/webhooks.md). */
export function registerWebhookCommands(program: Command, context: CommandContext): void {
  const { withKeyward, output, actor } = context;
  const webhook = program.command('webhook').description('manage webhook endpoints (docs/webhooks.md)');

  webhook
    .command('create')
    .description('create an endpoint and print its signing secret (shown only once)')
    .requiredOption('--url <url>', 'where deliveries go (a public address unless the operator allows others)')
    .requiredOption(
      '--event <types>',
      'event types, comma-separated or repeated: license.created, license.* or *',
      commaList,
    )
    .option('--product <id>', 'only events of this product (repeatable; default: every event)', repeatedIds)
    .option('--description <text>', 'what the endpoint is for')
    .option('--disabled', 'create it switched off')
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const { endpoint, secret } = await keyward.webhooks.create(actor, {
          url: options.url,
          eventTypes: options.event,
          productIds: options.product ?? [],
          description: options.description ?? null,
          isEnabled: !options.disabled,
        });
        output.either(
          `Webhook ${endpoint.id} created for ${endpoint.url}.\n` +
            'Its signing secret is shown only now; keep it where the receiver verifies signatures:\n\n' +
            `  ${secret}\n`,
          { ...presentWebhook(endpoint), secret },
        );
      }),
    );

  webhook
    .command('list')
    .description('list endpoints (never their secrets)')
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .action(async (options) =>
      withKeyward(async (keyward) => {
        const endpoints = await readPages(options.limit, (page) => keyward.webhooks.list(page));
        output.list(endpoints, presentWebhook, COLUMNS, 'webhooks');
      }),
    );

  webhook
    .command('delete')
    .description('delete an endpoint with its deliveries and their log')
    .argument('<id>', 'webhook id', positiveInt)
    .action(async (id: number) =>
      withKeyward(async (keyward) => {
        await keyward.webhooks.delete(actor, id);
        output.either(`Webhook ${id} deleted.`, { deleted: id });
      }),
    );
}
