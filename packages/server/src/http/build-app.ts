import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import type { PaymentProvider } from '../core/commerce/purchase-event.js';
import type { Keyward } from '../core/keyward.js';
import {
  DEFAULT_DASHBOARD_DIR,
  dashboardNotFoundPage,
  registerDashboard,
  registerPortalPage,
} from './dashboard-static.js';
import { authToolApi } from './dialects/authtool/authtool-api.js';
import { CRYPTOLENS_PREFIX, cryptolensDialect } from './dialects/cryptolens/plugin.js';
import { type LimelmOptions, limelmDialect } from './dialects/limelm/limelm-api.js';
import type { App } from './fastify-context.js';
import { nativeApi } from './native/native-api.js';
import { NATIVE_TAGS } from './native/openapi/tags.js';
import { opsRoutes } from './ops-routes.js';
import type { PaymentAdapter } from './payments/payment-adapter.js';
import { PAYMENT_WEBHOOK_PREFIX, paymentWebhooks } from './payments/payment-webhooks.js';
import { registerAuthentication } from './plugins/authenticate.js';
import { frameworkErrors, registerErrorHandler } from './plugins/error-handler.js';
import { registerIdempotency } from './plugins/idempotency.js';
import { lazyRequestLogger } from './plugins/lazy-request-logger.js';
import { registerMaintenanceMode } from './plugins/maintenance.js';
import { type RateLimitOptions, registerRateLimits } from './plugins/rate-limits.js';
import { registerNativeJsonParser, registerRequestLimits } from './plugins/request-limits.js';
import { registerRequestLogging } from './plugins/request-logging.js';
import { registerResponseSerializer } from './plugins/response-serializer.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerResponseSigning } from './plugins/sign-responses.js';
import { registerStorableText } from './plugins/storable-text.js';
import { portalApi } from './portal/portal-api.js';
import { PORTAL_API_PREFIX } from './portal/portal-cookie.js';

export interface AppOptions {
  keyward: Keyward;
  logger: FastifyServerOptions['logger'];
  rateLimit: RateLimitOptions;
  trustProxy: boolean;
  /** Largest request body accepted; batches of 1000 licenses fit. */
  bodyLimitBytes?: number;
  version?: string;
  /** The LimeLM dialect's transport strictness (KEYWARD_LIMELM_STRICT). */
  limelm?: LimelmOptions;
  /** Where the dashboard's build lives (default: packages/dashboard/dist beside the server). */
  dashboardDir?: string;
  /** The payment providers' webhook adapters; a connection of a provider without one answers 503. */
  paymentAdapters?: Partial<Record<PaymentProvider, PaymentAdapter>>;
}

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: { coerceTypes: boolean }): Ajv {
  const ajv = addFormats(
    new Ajv({
      coerceTypes: options.coerceTypes,
      removeAdditional: false,
      useDefaults: true,
      allErrors: false,
      strict: false,
    }),
  );
  // RFC 3339 allows a leap second (…T23:59:60Z) that a JavaScript Date cannot hold: it would reach the
  // database as NaN. Only instants a Date can represent are valid.
  const rfc3339 = ajv.formats['date-time'] as { validate: (value: string) => boolean };
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (value: string) => rfc3339.validate(value) && !Number.isNaN(Date.parse(value)),
  });
  return ajv;
}

/**
 * Assembles the HTTP application; never listens, so tests drive it with `inject`. Bodies are validated
 * strictly (no coercion, unknown fields refused); query strings and path parameters are text on the wire,
 * so they are coerced to the schema's types.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const { keyward } = options;
  const app = Fastify({
    logger: options.logger,
    // Requests are logged once, by route pattern, in request-logging.ts: raw URLs can hold keys.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    childLoggerFactory: lazyRequestLogger,
    requestIdHeader: false,
    trustProxy: options.trustProxy,
    bodyLimit: options.bodyLimitBytes ?? 4 * 1024 * 1024,
    routerOptions: { maxParamLength: 500 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const strict = makeAjv({ coerceTypes: false });
  const lenient = makeAjv({ coerceTypes: true });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : lenient).compile(schema as object),
  );
  registerResponseSerializer(app);

  // Action routes take optional bodies: an absent body validates as {} so a bare `curl -X POST` works.
  // Hooks that do no asynchronous work take a callback: an async one costs every request a promise.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
    done();
  });
  const dashboardDir = options.dashboardDir ?? DEFAULT_DASHBOARD_DIR;
  // A browser opening an address no route serves gets the dashboard, which says the page does not exist.
  registerErrorHandler(app, { notFoundPage: dashboardNotFoundPage(dashboardDir) });
  registerRequestLimits(app);
  registerNativeJsonParser(app);
  registerStorableText(app);
  registerRequestLogging(app);
  registerMaintenanceMode(app, keyward);
  registerAuthentication(app, keyward, '/v1');
  registerIdempotency(app, keyward);
  registerResponseSigning(app, keyward);
  await app.register(cookie);
  registerSecurityHeaders(app);
  await registerRateLimits(app, options.rateLimit, keyward.clock);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyward API',
        version: options.version ?? '1',
        description:
          'Native API of the Keyward licensing server. Authenticate with `Authorization: Bearer <token>`; ' +
          'apps may use `Authorization: License <key>` on validate, activate, heartbeat and deactivate when ' +
          'the policy allows it. Every refusal has the same shape, ' +
          '`{"error":{"code":"…","message":"…","details":{…},"requestId":"…"}}`; each operation lists the ' +
          'statuses and codes it may answer, and an unexpected failure answers 500 `INTERNAL`.',
      },
      tags: [...NATIVE_TAGS, { name: 'operations', description: 'Liveness and readiness checks.' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          licenseKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'License <key>' },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Its policy names only this origin, so upgrading its requests gains nothing over HTTPS and breaks the
    // page over plain HTTP (security-headers.ts).
    transformStaticCSP: (policy) => policy.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await app.register(async (ops) => opsRoutes(ops as App, keyward));
  await app.register(async (v1) => nativeApi(v1 as App, keyward), { prefix: '/v1' });
  await app.register(async (at) => authToolApi(at as App, keyward), { prefix: '/public/v1' });
  await app.register(async (c) => cryptolensDialect(c as App, keyward), { prefix: CRYPTOLENS_PREFIX });
  await app.register(async (limelm) => limelmDialect(limelm as App, keyward, options.limelm));
  await app.register(async (portal) => portalApi(portal as App, keyward), { prefix: PORTAL_API_PREFIX });
  await app.register(
    async (payments) =>
      paymentWebhooks(payments as App, keyward, { adapters: options.paymentAdapters ?? {} }),
    { prefix: PAYMENT_WEBHOOK_PREFIX },
  );
  await registerDashboard(app, dashboardDir);
  registerPortalPage(app, dashboardDir);
  return app;
}
