import { type Kysely, sql } from 'kysely';
import type { Repositories, Store } from '../core/ports.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { firstContact } from './database-failures.js';
import { migrateToLatest } from './migrate.js';
import { type DatabaseLocation, type OpenDatabase, type OpenOptions, openDatabase } from './open-database.js';
import { analyticsEventRepository } from './repositories/analytics-events.js';
import { customerRepository } from './repositories/customers.js';
import { statsRepository } from './repositories/dashboard-stats.js';
import { dashboardSessionRepository, dashboardUserRepository } from './repositories/dashboard-users.js';
import { dataObjectRepository } from './repositories/data-objects.js';
import { eventRepository } from './repositories/events.js';
import { expiryNoticeRepository } from './repositories/expiry-notices.js';
import { featureFieldDetailsRepository } from './repositories/feature-field-details.js';
import { idempotencyRepository } from './repositories/idempotency.js';
import { importRepository } from './repositories/imports.js';
import { licenseCleanupRepository } from './repositories/license-cleanup.js';
import { licenseSearchRepository } from './repositories/license-search.js';
import { licenseTemplateRepository } from './repositories/license-templates.js';
import { licenseRepository } from './repositories/licenses.js';
import { machineRepository } from './repositories/machines.js';
import { managedPolicyRepository } from './repositories/managed-policies.js';
import { messageRepository } from './repositories/messages.js';
import { policyRepository } from './repositories/policies.js';
import { policyProfileRepository } from './repositories/policy-profiles.js';
import { productRepository } from './repositories/products.js';
import { resellerRepository } from './repositories/resellers.js';
import { signInCounterRepository } from './repositories/sign-in-counters.js';
import { signingKeyRepository } from './repositories/signing-keys.js';
import { tokenLimitRepository } from './repositories/token-limits.js';
import { tokenRepository } from './repositories/tokens.js';
import { trialExtensionRepository } from './repositories/trial-extensions.js';
import { verifiedTrialRepository } from './repositories/verified-trials.js';
import { withWebhookOutbox } from './repositories/webhook-outbox.js';
import { webhookRepository } from './repositories/webhooks.js';
import { requestTransactions, withRepositoriesOf } from './request-transactions.js';
import type { Database } from './schema/index.js';

function repositoriesOver(db: Kysely<Database>, adapter: DatabaseAdapter): Repositories {
  return {
    products: productRepository(db),
    policies: policyRepository(db),
    licenses: licenseRepository(db, adapter),
    managedPolicies: managedPolicyRepository(db),
    licenseCleanup: licenseCleanupRepository(db, adapter),
    machines: machineRepository(db, adapter),
    customers: customerRepository(db),
    dataObjects: dataObjectRepository(db),
    events: withWebhookOutbox(db, eventRepository(db)),
    webhooks: webhookRepository(db, adapter),
    expiryNotices: expiryNoticeRepository(db),
    imports: importRepository(db, adapter),
    tokens: tokenRepository(db),
    signingKeys: signingKeyRepository(db),
    idempotency: idempotencyRepository(db),
    tokenLimits: tokenLimitRepository(db, adapter),
    policyProfiles: policyProfileRepository(db),
    verifiedTrials: verifiedTrialRepository(db),
    trialExtensions: trialExtensionRepository(db),
    featureFieldDetails: featureFieldDetailsRepository(db, adapter),
    licenseSearch: licenseSearchRepository(db),
    resellers: resellerRepository(db),
    licenseTemplates: licenseTemplateRepository(db),
    messages: messageRepository(db),
    dashboardUsers: dashboardUserRepository(db, adapter),
    dashboardSessions: dashboardSessionRepository(db),
    signInCounters: signInCounterRepository(db, adapter),
    stats: statsRepository(db),
    analyticsEvents: analyticsEventRepository(db),
  };
}

export interface KeywardStore extends Store {
  readonly database: OpenDatabase;
  migrate(): Promise<string[]>;
}

export function createStore(location: DatabaseLocation, options: OpenOptions = {}): KeywardStore {
  const database = openDatabase(location, options);
  const { db, adapter } = database;
  const begin = adapter.transactionRunner(db);
  const direct = repositoriesOver(db, adapter);
  const transactions = requestTransactions({
    begin,
    repositoriesOver: (executor) => repositoriesOver(executor, adapter),
    // A write atomic by itself: where every statement is a round trip (PostgreSQL) it runs alone, as the one
    // statement it is there; in process (SQLite) it joins the group commit, whose shared fsync is what a commit
    // costs there.
    writeAlone: adapter.runsInProcess
      ? (work) => begin((executor) => work(repositoriesOver(executor, adapter)))
      : (work) => work(direct),
  });
  const store = {
    dialect: adapter.name,
    database,
    // The first work of every command: a database it cannot reach or use fails in one line that says why.
    migrate: () => firstContact(adapter, () => migrateToLatest(db as Kysely<unknown>, adapter)),
    transaction: transactions.transaction,
    atomicWrite: transactions.atomicWrite,
    unitOfWork: transactions.unitOfWork,
    detached: transactions.detached,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
  // Reads inside a request's unit of work go to its transaction (request-transactions.ts).
  return withRepositoriesOf(store, direct, transactions.current);
}
