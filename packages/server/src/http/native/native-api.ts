import type { Keyward } from '../../core/keyward.js';
import type { App } from '../fastify-context.js';
import { registerOperationDocs } from './openapi/document-operations.js';
import { analyticsEventRoutes } from './routes/analytics-events.js';
import { customerRoutes } from './routes/customers.js';
import { dashboardUserRoutes } from './routes/dashboard-users.js';
import { dataObjectRoutes } from './routes/data-objects.js';
import { emailRoutes } from './routes/email.js';
import { eventRoutes } from './routes/events.js';
import { importRoutes } from './routes/imports.js';
import { licenseTemplateRoutes } from './routes/license-templates.js';
import { licenseRoutes } from './routes/licenses.js';
import { machineRoutes } from './routes/machines.js';
import { messageRoutes } from './routes/messages.js';
import { offlineRoutes } from './routes/offline.js';
import { paymentConnectionRoutes } from './routes/payment-connections.js';
import { policyRoutes } from './routes/policies.js';
import { portalSettingsRoutes } from './routes/portal-settings.js';
import { productRoutes } from './routes/products.js';
import { resellerRoutes } from './routes/resellers.js';
import { sessionRoutes } from './routes/sessions.js';
import { signingKeyRoutes } from './routes/signing-keys.js';
import { statsRoutes } from './routes/stats.js';
import { tokenLimitRoutes } from './routes/token-limits.js';
import { tokenRoutes } from './routes/tokens.js';
import { validationRoutes } from './routes/validation.js';
import { webhookRoutes } from './routes/webhooks.js';

/** The native API v1, mounted under /v1. */
export async function nativeApi(app: App, keyward: Keyward): Promise<void> {
  registerOperationDocs(app);
  for (const routes of [
    productRoutes,
    policyRoutes,
    customerRoutes,
    licenseRoutes,
    validationRoutes,
    machineRoutes,
    dataObjectRoutes,
    eventRoutes,
    tokenRoutes,
    tokenLimitRoutes,
    signingKeyRoutes,
    licenseTemplateRoutes,
    resellerRoutes,
    sessionRoutes,
    statsRoutes,
    offlineRoutes,
    webhookRoutes,
    emailRoutes,
    importRoutes,
    messageRoutes,
    dashboardUserRoutes,
    analyticsEventRoutes,
    portalSettingsRoutes,
    paymentConnectionRoutes,
  ]) {
    routes(app, keyward);
  }
}
