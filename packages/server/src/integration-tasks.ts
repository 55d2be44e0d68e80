import { IMPORT_RESUME_INTERVAL_MS } from './core/imports/import-job-service.js';
import type { Keyward } from './core/keyward.js';
import { PeriodicTask } from './core/operations/periodic-task.js';
import { createOutboundHttp } from './http/outbound-http.js';
import { httpWebhookTransport } from './http/webhook-transport.js';
import { resumeAbandonedImports } from './import/run-import.js';

/** How often due webhook deliveries are looked for; finished sends pull the next ones at once. */
const WEBHOOK_INTERVAL_MS = 1000;
/** How often due email is looked for; a batch that filled pulls the next one at once. */
const EMAIL_INTERVAL_MS = 2000;
/** How often the expiry scheduler looks for licenses to announce. */
const EXPIRY_INTERVAL_MS = 60_000;

/**
 * The background work of webhooks, email, expiry notices and imports in one server process. Each is safe
 * while other processes run the same against one database: deliveries, messages and imports are leased,
 * notices recorded once.
 */
export function startIntegrationTasks(
  keyward: Keyward,
  onError: (error: unknown, task: string) => void,
): { stop(): Promise<void> } {
  const transport = httpWebhookTransport(createOutboundHttp(keyward.destinations));
  const dispatcher = keyward.webhooks.createDispatcher(transport, {
    onError: (error) => onError(error, 'webhook delivery'),
  });
  const emailDispatcher = keyward.email.createDispatcher({
    onError: (error) => onError(error, 'email delivery'),
  });
  const tasks = [
    new PeriodicTask(() => emailDispatcher.runOnce(), {
      intervalMs: EMAIL_INTERVAL_MS,
      onError: (error) => onError(error, 'email delivery'),
    }),
    new PeriodicTask(() => dispatcher.runOnce(), {
      intervalMs: WEBHOOK_INTERVAL_MS,
      onError: (error) => onError(error, 'webhook delivery'),
    }),
    new PeriodicTask(() => keyward.expiryNotices.sweep(), {
      intervalMs: EXPIRY_INTERVAL_MS,
      onError: (error) => onError(error, 'expiry notices'),
    }),
    new PeriodicTask(() => resumeAbandonedImports(keyward, (error) => onError(error, 'import')), {
      intervalMs: IMPORT_RESUME_INTERVAL_MS,
      onError: (error) => onError(error, 'import'),
    }),
  ];
  for (const task of tasks) task.start();
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.all([dispatcher.stop(), emailDispatcher.stop()]);
    },
  };
}
