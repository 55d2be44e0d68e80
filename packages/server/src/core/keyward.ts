import { BookkeepingQueue } from './bookkeeping-queue.js';
import type { Clock } from './clock.js';
import { MaintenanceMode } from './maintenance-mode.js';
import { type DestinationRules, PUBLIC_ONLY } from './network-destinations.js';
import type { Store } from './ports.js';
import type { SecretBox } from './secrets.js';
import { AdminTokenService } from './services/admin-token-service.js';
import { AnalyticsService } from './services/analytics-service.js';
import { CatalogService } from './services/catalog-service.js';
import { CustomerService } from './services/customer-service.js';
import { DashboardAuthService } from './services/dashboard-auth-service.js';
import { DataObjectService } from './services/data-object-service.js';
import { EventService } from './services/event-service.js';
import { ExpiryNoticeService } from './services/expiry-notice-service.js';
import { FeatureFieldService } from './services/feature-field-service.js';
import { HealthService } from './services/health-service.js';
import { IdempotencyService } from './services/idempotency-service.js';
import { ImportJobService } from './services/import-job-service.js';
import { ImportRecordService } from './services/import-record-service.js';
import { KeyIssuingService } from './services/key-issuing-service.js';
import { LeaseSweepService } from './services/lease-sweep-service.js';
import { LicenseCleanupService } from './services/license-cleanup-service.js';
import { LicenseFileService } from './services/license-file-service.js';
import { LicenseSearchService } from './services/license-search-service.js';
import { LicenseService } from './services/license-service.js';
import { LicenseTagService } from './services/license-tag-service.js';
import { LicenseTemplateService } from './services/license-template-service.js';
import { LicenseTokenService } from './services/license-token-service.js';
import { MachineService } from './services/machine-service.js';
import { MessageService } from './services/message-service.js';
import { OfflineService } from './services/offline-service.js';
import { ProductSetupService } from './services/product-setup-service.js';
import { ResellerService } from './services/reseller-service.js';
import { SigningKeyService } from './services/signing-key-service.js';
import { StandardPolicyService } from './services/standard-policy-service.js';
import { StatsService } from './services/stats-service.js';
import { TokenAuthenticationService } from './services/token-authentication-service.js';
import { TokenLimitService } from './services/token-limit-service.js';
import { TokenService } from './services/token-service.js';
import { TrialService } from './services/trial-service.js';
import { ValidationService } from './services/validation-service.js';
import { VerifiedTrialService } from './services/verified-trial-service.js';
import { WebhookService } from './services/webhook-service.js';

/**
 * The domain, assembled: every surface (native API, dialects, CLI) works through this one object. It holds no
 * store: surfaces reach storage only through core's use cases, and what legitimately needs the store itself
 * (server start-up, the CLI's backup, tests) takes it from where it was created.
 */
export interface Keyward {
  clock: Clock;
  catalog: CatalogService;
  licenses: LicenseService;
  machines: MachineService;
  validation: ValidationService;
  customers: CustomerService;
  dataObjects: DataObjectService;
  /** The audit log, read within the caller's reach. */
  events: EventService;
  /** API tokens that tokens create, list and revoke. */
  tokens: TokenService;
  /** Checks the API token each request presents. */
  tokenAuthentication: TokenAuthenticationService;
  /** Tokens locked to one license, issued in exchange for a token allowed to (Cryptolens auth/KeyLock). */
  licenseTokens: LicenseTokenService;
  /** The operator's admin token, made sure of at start-up. */
  adminToken: AdminTokenService;
  signingKeys: SigningKeyService;
  bookkeeping: BookkeepingQueue;
  resellers: ResellerService;
  licenseTemplates: LicenseTemplateService;
  messages: MessageService;
  trials: TrialService;
  /** Keys of a kind (single- or multi-activation) for products, without naming a policy. */
  keyIssuing: KeyIssuingService;
  /** Deletes cleanable licenses once due; the server runs it periodically. */
  licenseCleanup: LicenseCleanupService;
  /** Frees and announces lapsed floating leases; the server runs it periodically. */
  leaseSweep: LeaseSweepService;
  /** Idempotency-Key: a write retried with its key answers as the first time and changes nothing more. */
  idempotency: IdempotencyService;
  /** Server-wide maintenance switch: while on, API requests are refused as UNAVAILABLE. */
  maintenance: MaintenanceMode;
  tokenLimits: TokenLimitService;
  verifiedTrials: VerifiedTrialService;
  featureFields: FeatureFieldService;
  licenseSearch: LicenseSearchService;
  offline: OfflineService;
  /** Signed offline license files (check-out). */
  licenseFiles: LicenseFileService;
  productSetup: ProductSetupService;
  licenseTags: LicenseTagService;
  /** Webhook endpoints and their deliveries (the dispatcher runs in the server). */
  webhooks: WebhookService;
  /** Emits `license.expiring_soon` and `license.expired` once each; the server runs it periodically. */
  expiryNotices: ExpiryNoticeService;
  /** Imports from other licensing services: the records they read, linked to their source. */
  imports: ImportRecordService;
  /** Import jobs: started, resumed or replaced, leased to one runner, summed up when they end. */
  importJobs: ImportJobService;
  /** Dashboard users, sign-in and sessions. */
  dashboardAuth: DashboardAuthService;
  /** Aggregates for the dashboard's overview. */
  stats: StatsService;
  /** The standard policies a product without any gets when a key is issued naming only the product. */
  standardPolicies: StandardPolicyService;
  /** Feature-usage events apps report (Cryptolens' ai/RegisterEvent). */
  analytics: AnalyticsService;
  /** Where the server may send requests of its own (webhooks, imports): public addresses unless allowed. */
  destinations: DestinationRules;
  /** Readiness: whether the database answers. */
  health: HealthService;
}

export function createKeyward(deps: {
  store: Store;
  clock: Clock;
  secretBox: SecretBox;
  onBackgroundError: (error: unknown) => void;
  bookkeepingIntervalMs?: number;
  /** Start in maintenance mode (KEYWARD_MAINTENANCE). */
  maintenance?: boolean;
  /** Private destinations the operator allows (KEYWARD_ALLOW_PRIVATE_DESTINATIONS); default none. */
  destinations?: DestinationRules;
}): Keyward {
  const { store, clock } = deps;
  const destinations = deps.destinations ?? PUBLIC_ONLY;
  const bookkeeping = new BookkeepingQueue(store, {
    intervalMs: deps.bookkeepingIntervalMs ?? 250,
    maxBatch: 500,
    onError: deps.onBackgroundError,
  });
  const catalog = new CatalogService({ store, clock });
  const licenses = new LicenseService({ store, clock });
  const signingKeys = new SigningKeyService({ store, clock, secretBox: deps.secretBox });
  const signer = () => signingKeys.getSigner();
  const machines = new MachineService({ store, clock, bookkeeping });
  const verifiedTrials = new VerifiedTrialService({ store, clock, signer });
  return {
    keyIssuing: new KeyIssuingService({ store, clock, licenses }),
    licenseCleanup: new LicenseCleanupService({ store, clock }),
    leaseSweep: new LeaseSweepService({ store, clock }),
    idempotency: new IdempotencyService({ store, clock, secretBox: deps.secretBox }),
    maintenance: new MaintenanceMode(deps.maintenance ?? false),
    tokenLimits: new TokenLimitService({ store, clock }),
    verifiedTrials,
    featureFields: new FeatureFieldService({ store, clock }),
    licenseSearch: new LicenseSearchService({ store }),
    offline: new OfflineService({ store, clock, machines, verifiedTrials, signer }),
    licenseFiles: new LicenseFileService({
      store,
      clock,
      signer,
      validation: new ValidationService({ store, clock, bookkeeping }),
    }),
    productSetup: new ProductSetupService({ store, clock }),
    licenseTags: new LicenseTagService({ store, clock }),
    webhooks: new WebhookService({ store, clock, secretBox: deps.secretBox, destinations }),
    destinations,
    expiryNotices: new ExpiryNoticeService({ store, clock }),
    imports: new ImportRecordService({ store, clock }),
    importJobs: new ImportJobService({ store, clock, secretBox: deps.secretBox }),
    dashboardAuth: new DashboardAuthService({ store, clock }),
    stats: new StatsService({ store, clock }),
    standardPolicies: new StandardPolicyService({ store, clock, catalog }),
    analytics: new AnalyticsService({ store, clock }),
    health: new HealthService({ store }),
    clock,
    bookkeeping,
    catalog,
    licenses,
    resellers: new ResellerService({ store, clock }),
    licenseTemplates: new LicenseTemplateService({ store, clock, licenses }),
    messages: new MessageService({ store, clock }),
    trials: new TrialService({ store, clock, catalog, licenses }),
    machines,
    validation: new ValidationService({ store, clock, bookkeeping }),
    customers: new CustomerService({ store, clock }),
    dataObjects: new DataObjectService({ store, clock }),
    events: new EventService({ store }),
    tokens: new TokenService({ store, clock }),
    tokenAuthentication: new TokenAuthenticationService({ store, clock }),
    licenseTokens: new LicenseTokenService({ store, clock }),
    adminToken: new AdminTokenService({ store, clock }),
    signingKeys,
  };
}
