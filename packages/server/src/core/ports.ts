import type { DashboardRepositories } from './access/dashboard-ports.js';
import type { TokenRepositories } from './access/token-ports.js';
import type { CatalogRepositories } from './catalog/catalog-ports.js';
import type { CommerceRepositories } from './commerce/commerce-ports.js';
import type { CustomerRepositories } from './customers/customer-ports.js';
import type { ResellerRepositories } from './customers/reseller-ports.js';
import type { DataObjectRepositories } from './data-objects/data-object-ports.js';
import type { EmailRepositories } from './email/email-ports.js';
import type { AnalyticsRepositories } from './events/analytics-ports.js';
import type { EventRepositories } from './events/event-ports.js';
import type { WebhookRepositories } from './events/webhook-ports.js';
import type { ImportRepositories } from './imports/import-ports.js';
import type { LicenseRepositories } from './licenses/license-ports.js';
import type { LicenseTemplateRepositories } from './licenses/license-template-ports.js';
import type { MachineRepositories } from './machines/machine-ports.js';
import type { MessageRepositories } from './messages/message-ports.js';
import type { DomainEvent } from './model.js';
import type { IdempotencyRepositories } from './operations/idempotency-ports.js';
import type { PortalRepositories } from './portal/portal-ports.js';
import type { SigningKeyRepositories } from './signing/signing-key-ports.js';
import type { TrialRepositories } from './trials/trial-ports.js';

/**
 * What core needs from storage. Storage implements it on SQLite and PostgreSQL alike. Each concept's
 * repositories are declared in its own `*-ports.ts`; `Repositories` holds them all, and `Store` adds
 * transactions.
 */

export interface Repositories
  extends CatalogRepositories,
    LicenseRepositories,
    MachineRepositories,
    CustomerRepositories,
    ResellerRepositories,
    LicenseTemplateRepositories,
    MessageRepositories,
    DataObjectRepositories,
    EventRepositories,
    TokenRepositories,
    TrialRepositories,
    SigningKeyRepositories,
    IdempotencyRepositories,
    DashboardRepositories,
    WebhookRepositories,
    ImportRepositories,
    AnalyticsRepositories,
    EmailRepositories,
    PortalRepositories,
    CommerceRepositories {}

/** See Store.unitOfWork. */
export interface UnitOfWork {
  /** Runs work inside the unit: the store's transactions and reads it makes join the unit's transaction. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Writes `last` in the unit's transaction and commits it (without a transaction yet, `last` gets one of its
   * own); when `last` or the commit fails, nothing of the unit is kept and the failure is thrown.
   */
  commit(last: (tx: Repositories) => Promise<void>): Promise<void>;
  /** Ends the unit, undoing everything it wrote. */
  rollback(): Promise<void>;
}

/** Validation's bookkeeping, written as one batch: its events, and when licenses were last validated. */
export interface BookkeepingBatch {
  events: Array<Omit<DomainEvent, 'id'>>;
  /**
   * Each license validated in the batch takes the batch's latest validation time, unless the time it holds is
   * `renewedIfBefore` or later (core/licenses/last-validated.ts).
   */
  validated: { ids: number[]; at: Date; renewedIfBefore: Date } | null;
}

export interface Store extends Repositories {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * One write transaction: all or nothing. Limits stay exact because writers of a license serialize. Inside a
   * unit of work it is a savepoint of the unit's transaction.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Work that reads what it needs and makes one write that a repository makes atomic by itself (a method that
   * says so, such as machines.activateIfUnchanged), and no other. Outside a unit of work it runs without a
   * transaction around it where every statement is a round trip (PostgreSQL: BEGIN and COMMIT would be two
   * more; its reads lock nothing and see what is committed when each runs), and as one of the store's
   * transactions where statements run in process (SQLite: its commit shares the group's fsync). Either way its
   * reads may be answered from what was committed earlier (the read cache): the write's guard is what makes
   * that safe. Inside a unit of work it joins the unit, as `transaction` does.
   */
  atomicWrite<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * One database transaction for everything a piece of work does (an API request with an Idempotency-Key):
   * its transactions join it, so what it changed and what it recorded about it commit together.
   */
  unitOfWork(): UnitOfWork;
  /**
   * Writes a batch of bookkeeping in one transaction of its own, never in the caller's unit of work. The store
   * may write it from a thread of its own, off the event loop (the SQLite server does).
   */
  writeBookkeeping(batch: BookkeepingBatch): Promise<void>;
  /** Runs work outside the caller's unit of work: background work that must not commit or roll back with it. */
  detached<T>(work: () => T): T;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
