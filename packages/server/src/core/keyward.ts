import { AdminTokenService } from './access/admin-token-service.js';
import { DashboardAuthService } from './access/dashboard-auth-service.js';
import { LicenseTokenService } from './access/license-token-service.js';
import { TokenAuthenticationService } from './access/token-authentication-service.js';
import { TokenLimitService } from './access/token-limit-service.js';
import { TokenService } from './access/token-service.js';
import { CatalogService } from './catalog/catalog-service.js';
import { FeatureFieldService } from './catalog/feature-field-service.js';
import { ProductSetupService } from './catalog/product-setup-service.js';
import { StandardPolicyService } from './catalog/standard-policy-service.js';
import type { Clock } from './clock.js';
import { PaymentConnectionService } from './commerce/payment-connection-service.js';
import { PurchaseService } from './commerce/purchase-service.js';
import { CustomerService } from './customers/customer-service.js';
import { ResellerService } from './customers/reseller-service.js';
import { DataObjectService } from './data-objects/data-object-service.js';
import { type EmailDeliveryParts, EmailService } from './email/email-service.js';
import { AnalyticsService } from './events/analytics-service.js';
import { EventService } from './events/event-service.js';
import { ExpiryNoticeService } from './events/expiry-notice-service.js';
import { StatsService } from './events/stats-service.js';
import { WebhookService } from './events/webhook-service.js';
import { ImportJobService } from './imports/import-job-service.js';
import { ImportRecordService } from './imports/import-record-service.js';
import { KeyIssuingService } from './licenses/key-issuing-service.js';
import { LicenseCleanupService } from './licenses/license-cleanup-service.js';
import { LicenseSearchService } from './licenses/license-search-service.js';
import { LicenseService } from './licenses/license-service.js';
import { LicenseTagService } from './licenses/license-tag-service.js';
import { LicenseTemplateService } from './licenses/license-template-service.js';
import { LeaseSweepService } from './machines/lease-sweep-service.js';
import { MachineService } from './machines/machine-service.js';
import { MessageService } from './messages/message-service.js';
import { BookkeepingQueue } from './operations/bookkeeping-queue.js';
import { HealthService } from './operations/health-service.js';
import { IdempotencyService } from './operations/idempotency-service.js';
import { MaintenanceMode } from './operations/maintenance-mode.js';
import { type DestinationRules, PUBLIC_ONLY } from './operations/network-destinations.js';
import { PortalService } from './portal/portal-service.js';
import { PortalSettingsService } from './portal/portal-settings-service.js';
import type { Store } from './ports.js';
import { LicenseFileService } from './signing/license-file-service.js';
import { OfflineService } from './signing/offline-service.js';
import type { SecretBox } from './signing/secrets.js';
import { SigningKeyService } from './signing/signing-key-service.js';
import { TrialService } from './trials/trial-service.js';
import { VerifiedTrialService } from './trials/verified-trial-service.js';
import { ValidationService } from './validation/validation-service.js';

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
  /** How the vendor sets up the customer portal. */
  portalSettings: PortalSettingsService;
  /** The customer portal: sign-in links, sessions, and what customers do with their own licenses. */
  portal: PortalService;
  /** Email to customers: SMTP settings, templates, the outbox (the dispatcher runs in the server). */
  email: EmailService;
  /** Connections to payment providers, their mappings and the events they received. */
  paymentConnections: PaymentConnectionService;
  /** Payment providers' events turned into licenses (the webhook receiver's use case). */
  purchases: PurchaseService;
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
  /** The server's address as customers reach it (KEYWARD_PUBLIC_URL), the base of links in emails; null: none. */
  publicUrl?: string | null;
  /** The template language and SMTP transport email is rendered and sent with; without them none is sent. */
  email?: EmailDeliveryParts;
}): Keyward {
  const { store, clock } = deps;
  const destinations = deps.destinations ?? PUBLIC_ONLY;
  const bookkeeping = new BookkeepingQueue(store, {
    intervalMs: deps.bookkeepingIntervalMs ?? 250,
    // A cap on memory, not a pace: each commit rewrites the index pages its rows touch (random licenses), so
    // 500-row batches cost SQLite twice what a quarter second's worth (thousands under load) costs per row.
    maxBatch: 10_000,
    onError: deps.onBackgroundError,
  });
  const catalog = new CatalogService({ store, clock });
  const licenses = new LicenseService({ store, clock });
  const signingKeys = new SigningKeyService({ store, clock, secretBox: deps.secretBox });
  const signer = () => signingKeys.getSigner();
  const machines = new MachineService({ store, clock, bookkeeping });
  const verifiedTrials = new VerifiedTrialService({ store, clock, signer });
  const offline = new OfflineService({ store, clock, machines, verifiedTrials, signer });
  const licenseFiles = new LicenseFileService({
    store,
    clock,
    signer,
    validation: new ValidationService({ store, clock, bookkeeping }),
  });
  const portalSettings = new PortalSettingsService({ store, clock, publicUrl: deps.publicUrl ?? null });
  const customers = new CustomerService({ store, clock });
  return {
    paymentConnections: new PaymentConnectionService({ store, clock, secretBox: deps.secretBox }),
    purchases: new PurchaseService({ store, clock, licenses, customers }),
    keyIssuing: new KeyIssuingService({ store, clock, licenses }),
    licenseCleanup: new LicenseCleanupService({ store, clock }),
    leaseSweep: new LeaseSweepService({ store, clock }),
    idempotency: new IdempotencyService({ store, clock, secretBox: deps.secretBox }),
    maintenance: new MaintenanceMode(deps.maintenance ?? false),
    tokenLimits: new TokenLimitService({ store, clock }),
    verifiedTrials,
    featureFields: new FeatureFieldService({ store, clock }),
    licenseSearch: new LicenseSearchService({ store }),
    offline,
    licenseFiles,
    portalSettings,
    portal: new PortalService({
      store,
      clock,
      secretBox: deps.secretBox,
      settings: portalSettings,
      licenses,
      machines,
      licenseFiles,
      offline,
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
    email: new EmailService({
      store,
      clock,
      secretBox: deps.secretBox,
      destinations,
      delivery: deps.email ?? null,
      publicUrl: deps.publicUrl ?? null,
    }),
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
    customers,
    dataObjects: new DataObjectService({ store, clock }),
    events: new EventService({ store }),
    tokens: new TokenService({ store, clock }),
    tokenAuthentication: new TokenAuthenticationService({ store, clock }),
    licenseTokens: new LicenseTokenService({ store, clock }),
    adminToken: new AdminTokenService({ store, clock }),
    signingKeys,
  };
}
