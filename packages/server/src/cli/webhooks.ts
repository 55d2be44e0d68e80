import type { Command } from 'commander';
import type { WebhookDelivery, WebhookEndpoint } from '../core/events/webhook-ports.js';
import type { Keyward } from '../core/keyward.js';
import { presentDelivery, presentWebhook } from '../http/native/routes/webhooks.js';
import { commaList, positiveInt, repeatedIds, wholeNumber } from './arguments.js';
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
    .command('test')
    .description(
      'send an endpoint a signed webhook.test event, as every delivery is sent, and wait for the outcome',
    )
    .argument('<id>', 'webhook id', positiveInt)
    .option(
      '--wait <seconds>',
      'how long to wait for the running server to deliver it (0: do not wait)',
      (v) => wholeNumber(v),
      15,
    )
    .action(async (id: number, options: { wait: number }) =>
      withKeyward(async (keyward) => {
        const endpoint = await keyward.webhooks.get(id);
        const queued = await keyward.webhooks.sendTest(actor, id);
        const delivery = await outcome(keyward, queued, options.wait * 1000);
        const sentence = describeOutcome(endpoint, delivery, options.wait);
        output.either(sentence, presentDelivery(delivery));
        // A script asking for a delivered test learns of a failure from the exit code.
        if (options.wait > 0 && delivery.status !== 'succeeded') process.exitCode = 1;
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

const POLL_MS = 250;

/** The delivery once the server has tried to send it, or as it is when `waitMs` runs out. */
async function outcome(keyward: Keyward, queued: WebhookDelivery, waitMs: number): Promise<WebhookDelivery> {
  const until = Date.now() + waitMs;
  let delivery = queued;
  while (delivery.status === 'pending' && delivery.attemptCount === 0 && Date.now() < until) {
    await new Promise((done) => setTimeout(done, POLL_MS));
    delivery = (await keyward.webhooks.getDelivery(queued.id)).delivery;
  }
  return delivery;
}

function describeOutcome(endpoint: WebhookEndpoint, delivery: WebhookDelivery, waitSeconds: number): string {
  const subject = `Test event for webhook ${endpoint.id} (${endpoint.url}), delivery ${delivery.id}`;
  const last =
    delivery.lastStatusCode !== null
      ? `HTTP ${delivery.lastStatusCode}`
      : delivery.lastError !== null
        ? delivery.lastError
        : null;
  if (delivery.status === 'succeeded') return `${subject}: delivered (${last ?? 'ok'}).`;
  if (delivery.status === 'failed') return `${subject}: failed (${last ?? 'no answer'}).`;
  if (waitSeconds === 0) return `${subject}: queued; the running server sends it.`;
  if (delivery.attemptCount > 0)
    return `${subject}: not delivered yet (${last ?? 'no answer'}); the server retries it.`;
  return `${subject}: queued, but no server sent it within ${waitSeconds} s. Is keyward serve running?`;
}
