import { type Kysely, sql } from 'kysely';
import type { BookkeepingBatch, Repositories, Store } from '../core/ports.js';
import { atomicWriteRunsAlone } from './atomic-write-runs-alone.js';
import { writeBookkeepingBatch } from './bookkeeping-batch.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { firstContact } from './database-failures.js';
import { migrateToLatest } from './migrate.js';
import { type DatabaseLocation, type OpenDatabase, type OpenOptions, openDatabase } from './open-database.js';
import { withReadCache } from './read-cache/cached-repositories.js';
import type { ChangeFeed } from './read-cache/change-feed.js';
import { changeMarks } from './read-cache/change-marks.js';
import { ReadCache } from './read-cache/read-cache.js';
import { analyticsEventRepository } from './repositories/analytics-events.js';
import { customerRepository } from './repositories/customers.js';
import { statsRepository } from './repositories/dashboard-stats.js';
import { dashboardSessionRepository, dashboardUserRepository } from './repositories/dashboard-users.js';
import { dataObjectRepository } from './repositories/data-objects.js';
import { emailOutboxRepository } from './repositories/email-outbox.js';
import { emailSettingsRepository } from './repositories/email-settings.js';
import { emailTemplateRepository } from './repositories/email-templates.js';
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
import { paymentConnectionRepository } from './repositories/payment-connections.js';
import { paymentEventRepository } from './repositories/payment-events.js';
import { policyRepository } from './repositories/policies.js';
import { policyProfileRepository } from './repositories/policy-profiles.js';
import {
  portalOwnershipRepository,
  portalSessionRepository,
  portalSettingsRepository,
  portalSignInLinkRepository,
} from './repositories/portal.js';
import { productRepository } from './repositories/products.js';
import { purchaseRepository } from './repositories/purchases.js';
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
    portalSettings: portalSettingsRepository(db),
    portalSignInLinks: portalSignInLinkRepository(db),
    portalSessions: portalSessionRepository(db),
    portalOwnership: portalOwnershipRepository(db),
    emailOutbox: emailOutboxRepository(db, adapter),
    emailSettings: emailSettingsRepository(db),
    emailTemplates: emailTemplateRepository(db),
    paymentConnections: paymentConnectionRepository(db, adapter),
    paymentEvents: paymentEventRepository(db),
    purchases: purchaseRepository(db),
  };
}

export interface KeywardStore extends Store {
  readonly database: OpenDatabase;
  /** The in-process read cache, when the store keeps one (`cache` of the options). */
  readonly readCache: ReadCache | null;
  migrate(): Promise<string[]>;
}

export interface StoreOptions extends OpenOptions {
  /**
   * Keep up to this many licenses (and as many tokens) in memory, invalidated by the database's change feed
   * (storage/read-cache/); 0 or absent keeps none: commands that run once and leave read the database.
   */
  cacheEntries?: number;
  /** Where the read cache reports losing and regaining its change feed. */
  log?: (message: string) => void;
}

export function createStore(location: DatabaseLocation, options: StoreOptions = {}): KeywardStore {
  const database = openDatabase(location, options);
  const { db, adapter } = database;
  const cache = options.cacheEntries ? new ReadCache(options.cacheEntries, { live: false }) : null;
  const marks = cache ? changeMarks(cache) : null;
  const over = (executor: Kysely<Database>) => {
    const repositories = repositoriesOver(executor, adapter);
    return marks ? marks.repositories(repositories, executor) : repositories;
  };
  const runner = adapter.transactionRunner(db);
  const begin = marks ? marks.begin(runner) : runner;
  const beginUnit = marks ? marks.begin(runner, { savepoints: true }) : runner;
  const direct = cache ? withReadCache(over(db), cache) : over(db);
  const transactions = requestTransactions({
    begin,
    beginUnit,
    repositoriesOver: over,
    // A write atomic by itself (atomic-write-runs-alone.ts says where it runs alone): its reads may come from
    // the read cache, as its guard catches what changed since; where it does not run alone it joins the group
    // commit, and a read the cache misses is read in its transaction and not kept.
    writeAlone: atomicWriteRunsAlone(adapter)
      ? (work) => work(direct)
      : (work) =>
          begin((executor) =>
            work(cache ? withReadCache(over(executor), cache, { keep: false }) : over(executor)),
          ),
  });
  const writeInline = (batch: BookkeepingBatch) =>
    transactions.detached(() => begin((executor) => writeBookkeepingBatch(over(executor), batch)));
  const writeElsewhere = database.bookkeepingWriter(writeInline, options.log ?? (() => {}));
  const writeBookkeeping = writeElsewhere
    ? async (batch: BookkeepingBatch) => {
        await writeElsewhere(batch);
        // What the change marks do for a write on this connection.
        if (batch.validated) cache?.apply({ validated: batch.validated });
      }
    : writeInline;
  // The feed starts once the schema (and its triggers) exist; until then the cache answers nothing.
  let feed: ChangeFeed | null = null;
  const store = {
    dialect: adapter.name,
    database,
    readCache: cache,
    // The first work of every command: a database it cannot reach or use fails in one line that says why.
    async migrate() {
      const applied = await firstContact(adapter, () => migrateToLatest(db as Kysely<unknown>, adapter));
      if (cache && !feed) feed = database.followChanges(cache, options.log ?? (() => {}));
      return applied;
    },
    transaction: transactions.transaction,
    atomicWrite: transactions.atomicWrite,
    unitOfWork: transactions.unitOfWork,
    detached: transactions.detached,
    writeBookkeeping,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await feed?.stop();
      await database.close();
    },
  };
  // Reads inside a request's unit of work go to its transaction (request-transactions.ts).
  return withRepositoriesOf(store, direct, transactions.current);
}
