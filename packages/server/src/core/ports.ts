import type { AnalyticsRepositories } from './analytics-ports.js';
import type { DashboardRepositories } from './dashboard-ports.js';
import type { NewMachine } from './decide-activation.js';
import type { ExtraRepositories } from './extra-ports.js';
import type { ImportRepositories } from './import-ports.js';
import type { LicenseStatus } from './license-status.js';
import type { LifecycleRepositories } from './lifecycle-ports.js';
import type {
  Customer,
  DataObject,
  DataObjectOwner,
  DomainEvent,
  FeatureField,
  FeatureValue,
  License,
  LicenseTemplate,
  Machine,
  Message,
  NamedUser,
  Policy,
  Product,
  Reseller,
} from './model.js';
import type { SigningAlgorithm, SigningKeyRecord } from './signing-keys.js';
import type { WebhookRepositories } from './webhook-ports.js';

/** What core needs from storage. Storage implements it on SQLite and PostgreSQL alike. */

export interface Page<T> {
  items: T[];
  /** Opaque; pass back as `after` for the next page. Null on the last page. */
  nextCursor: string | null;
}

export interface ProductRepository {
  insert(input: { name: string; code: string | null; createdAt: Date }): Promise<Product>;
  findById(id: number): Promise<Product | null>;
  list(input: { after: number | null; limit: number }): Promise<Product[]>;
  update(id: number, changes: Partial<Pick<Product, 'name' | 'code'>>): Promise<Product | null>;
  delete(id: number): Promise<boolean>;
}

export type NewPolicy = Omit<Policy, 'id'>;
export interface PolicyRepository {
  insert(input: NewPolicy): Promise<Policy>;
  findById(id: number): Promise<Policy | null>;
  list(input: { productId: number | null; after: number | null; limit: number }): Promise<Policy[]>;
  update(
    id: number,
    changes: Partial<Omit<Policy, 'id' | 'productId' | 'createdAt'>>,
  ): Promise<Policy | null>;
  delete(id: number): Promise<boolean>;
  countLicenses(id: number): Promise<number>;
}

export type NewLicense = Omit<License, 'id'>;
export interface LicenseFilter {
  productId?: number | undefined;
  policyId?: number | undefined;
  customerId?: number | undefined;
  email?: string | undefined;
  tag?: string | undefined;
  /**
   * Keys containing this fragment, ignoring case, dashes and spaces; a fragment of one or two characters
   * matches the beginning of keys (core/key-search.ts).
   */
  key?: string | undefined;
  /** Licenses whose status (core/license-status.ts) is this one at the instant of the read. */
  status?: LicenseStatus | undefined;
}

/** A license with what decides its seats: its policy and its active (not deactivated) machines, oldest first. */
export interface LicenseWithSeats {
  license: License;
  policy: Policy | null;
  machines: Machine[];
}

export interface LicenseRepository {
  insert(input: NewLicense): Promise<License>;
  findById(id: number): Promise<License | null>;
  findByKey(key: string): Promise<License | null>;
  /** Licenses whose key has this search form (core/key-search.ts), lowest id first. */
  listBySearchForm(form: string, limit: number): Promise<License[]>;
  /** The license a key names with its policy and active machines (what validation reads), in one round trip. */
  findWithSeats(key: string): Promise<LicenseWithSeats | null>;
  /** Reads the license and, on PostgreSQL, locks its row until the transaction ends (SQLite locks the file). */
  lockById(id: number): Promise<License | null>;
  /** lockById with the policy and the active machines, in one round trip: what deciding a seat reads. */
  lockWithSeats(id: number): Promise<LicenseWithSeats | null>;
  /** Newest first unless `order` is `asc`; `after` continues in the same order. */
  list(
    filter: LicenseFilter,
    input: { after: number | null; limit: number; now: Date; order?: 'asc' | 'desc' },
  ): Promise<License[]>;
  /** How many licenses match, counting no further than `max` + 1: more than `max` is all a caller learns. */
  countUpTo(filter: LicenseFilter, input: { now: Date; max: number }): Promise<number>;
  update(id: number, changes: Partial<Omit<License, 'id' | 'createdAt'>>): Promise<License>;
  delete(id: number): Promise<boolean>;
  /** Bookkeeping after validations, batched off the response path. */
  touchValidated(ids: number[], at: Date): Promise<void>;
  /** The per-machine trial key of a product, if one was issued to this fingerprint. */
  findTrial(productId: number, fingerprint: string): Promise<License | null>;
}

export interface MachineRepository {
  insert(input: NewMachine): Promise<Machine>;
  replace(id: number, input: NewMachine): Promise<Machine>;
  findById(id: number): Promise<Machine | null>;
  /** Machines of the license that are not deactivated. */
  listActive(licenseId: number): Promise<Machine[]>;
  /** The newest machine of the license with this fingerprint, deactivated or not. */
  findLatestByFingerprint(licenseId: number, fingerprint: string): Promise<Machine | null>;
  list(input: {
    licenseId: number | null;
    includeDeactivated: boolean;
    after: number | null;
    limit: number;
  }): Promise<Machine[]>;
  touch(
    id: number,
    changes: { lastSeenAt: Date; leaseExpiresAt?: Date | null; ip?: string | null },
  ): Promise<Machine>;
  deactivate(id: number, at: Date): Promise<void>;
  deactivateAll(licenseId: number, at: Date): Promise<number>;
  /**
   * Up to `limit` licenses holding a floating lease that lapsed by `now`, lowest id first, locked for the
   * rest of the transaction; on PostgreSQL licenses another transaction holds are skipped (SKIP LOCKED).
   */
  lockLicensesWithLapsedLeases(input: { now: Date; limit: number }): Promise<number[]>;
}

export interface CustomerRepository {
  insert(input: Omit<Customer, 'id'>): Promise<Customer>;
  findById(id: number): Promise<Customer | null>;
  list(input: { email: string | null; after: number | null; limit: number }): Promise<Customer[]>;
  update(id: number, changes: Partial<Omit<Customer, 'id' | 'createdAt'>>): Promise<Customer | null>;
  delete(id: number): Promise<boolean>;
  /** Customer secrets are kept only as a hash; null clears it. */
  setSecretHash(id: number, secretHash: string | null): Promise<boolean>;
  findBySecretHash(secretHash: string): Promise<Customer | null>;
}

export interface ResellerRepository {
  insert(input: Omit<Reseller, 'id'>): Promise<Reseller>;
  findById(id: number): Promise<Reseller | null>;
  list(input: { after: number | null; limit: number }): Promise<Reseller[]>;
  update(id: number, changes: Partial<Omit<Reseller, 'id' | 'createdAt'>>): Promise<Reseller | null>;
  delete(id: number): Promise<boolean>;
}

export interface LicenseTemplateRepository {
  insert(input: Omit<LicenseTemplate, 'id'>): Promise<LicenseTemplate>;
  findById(id: number): Promise<LicenseTemplate | null>;
  list(input: { policyId: number | null; after: number | null; limit: number }): Promise<LicenseTemplate[]>;
  update(
    id: number,
    changes: Partial<Omit<LicenseTemplate, 'id' | 'createdAt'>>,
  ): Promise<LicenseTemplate | null>;
  delete(id: number): Promise<boolean>;
}

export interface MessageRepository {
  insert(input: Omit<Message, 'id'>): Promise<Message>;
  findById(id: number): Promise<Message | null>;
  /**
   * Newest first; `channel` null means every channel; only messages created strictly after `after`, and
   * (a page's cursor) only those ordered after `before`, the last message of the previous page.
   */
  list(input: {
    channel: string | null;
    after: Date | null;
    limit: number;
    before?: { createdAt: Date; id: number } | null;
  }): Promise<Message[]>;
  delete(id: number): Promise<boolean>;
}

export interface DataObjectRepository {
  insert(input: Omit<DataObject, 'id'>): Promise<DataObject>;
  findById(id: number): Promise<DataObject | null>;
  list(owner: { ownerType: DataObjectOwner; ownerId: number }): Promise<DataObject[]>;
  update(
    id: number,
    changes: Partial<Pick<DataObject, 'name' | 'intValue' | 'stringValue'>>,
  ): Promise<DataObject>;
  /**
   * Adds `delta` to the integer value in one conditional statement, so concurrent increments never pass the
   * bound. Returns null when the result would leave [min, max].
   */
  addToInt(
    id: number,
    delta: number,
    bounds: { min: number | null; max: number | null },
  ): Promise<DataObject | null>;
  delete(id: number): Promise<boolean>;
  /** Deletes the data objects of a license and of all its machines. */
  deleteOfLicense(licenseId: number): Promise<void>;
}

export interface EventFilter {
  type?: string | undefined;
  licenseId?: number | undefined;
  productId?: number | undefined;
  machineId?: number | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}
export interface EventRepository {
  append(event: Omit<DomainEvent, 'id'>): Promise<void>;
  appendMany(events: Omit<DomainEvent, 'id'>[]): Promise<void>;
  list(filter: EventFilter, input: { before: number | null; limit: number }): Promise<DomainEvent[]>;
}

export interface ApiTokenRecord {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  productIds: number[];
  licenseId: number | null;
  /** For a license-locked token, the products of that license, read when the token authenticates. */
  licenseProductIds?: number[];
  ipAllowlist: string[];
  bindToFirstIp: boolean;
  boundIp: string | null;
  /** `env` for the token set by KEYWARD_ADMIN_TOKEN, `bootstrap` for the generated first one. */
  source: 'api' | 'env' | 'bootstrap';
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Dialect methods (Cryptolens `key/activate`, lower case) the token may call; absent = every method. */
  methodLock?: string[] | null;
  /** Cryptolens' feature lock: a number each Cryptolens method reads its own way; absent = 0. */
  featureLock?: number | null;
  /** May exchange itself for a token locked to one license (Cryptolens key lock -1, auth/KeyLock). */
  canIssueLicenseTokens?: boolean;
  /** The token that issued this one (auth/KeyLock); revoking the issuer revokes it too. */
  issuedByTokenId?: number | null;
  /** At most this many client addresses may use the token (LimeLM's API key device lock); absent = any. */
  maxClientAddresses?: number | null;
  /** Seats the token may grant to licenses it creates or raises, in total (a reseller's plan); absent = any. */
  activationAllowance?: number | null;
  /** Seats granted so far against the allowance. */
  activationsGranted?: number;
  /** A dormant token still reads but may not change anything. */
  isDormant?: boolean;
}
export interface TokenRepository {
  insert(input: Omit<ApiTokenRecord, 'id'> & { secretHash: string }): Promise<ApiTokenRecord>;
  findByHash(secretHash: string): Promise<(ApiTokenRecord & { secretHash: string }) | null>;
  findById(id: number): Promise<ApiTokenRecord | null>;
  list(input: { includeRevoked: boolean }): Promise<ApiTokenRecord[]>;
  revoke(id: number, at: Date): Promise<boolean>;
  /** Revokes every live token that the given token issued. */
  revokeIssuedBy(issuerId: number, at: Date): Promise<void>;
  /** Binds a bind-to-first-IP token; false when another request bound it first. */
  bindIp(id: number, ip: string): Promise<boolean>;
  countActive(): Promise<number>;
}

export interface SigningKeyRepository {
  list(): Promise<SigningKeyRecord[]>;
  /** Inserts unless a key of this algorithm exists; returns the one that is stored. */
  insertIfMissing(input: Omit<SigningKeyRecord, 'id'>): Promise<SigningKeyRecord>;
  find(algorithm: SigningAlgorithm): Promise<SigningKeyRecord | null>;
}

export interface IdempotencyRecord {
  requestHash: string;
  statusCode: number | null;
  responseBody: string | null;
  createdAt: Date;
}
export interface IdempotencyRepository {
  /** Claims the key; returns the existing record instead when someone claimed it before. */
  claim(scope: string, key: string, requestHash: string, at: Date): Promise<IdempotencyRecord | null>;
  /** Keeps the answer on the claim made at `claimedAt`; false when that claim is gone (taken over). */
  complete(
    scope: string,
    key: string,
    claimedAt: Date,
    answer: { statusCode: number; responseBody: string },
  ): Promise<boolean>;
  /** Forgets the claim; only the one made at `claimedAt` when given. */
  release(scope: string, key: string, claimedAt?: Date): Promise<void>;
  deleteOlderThan(at: Date): Promise<number>;
}

export interface Repositories
  extends ExtraRepositories,
    LifecycleRepositories,
    DashboardRepositories,
    WebhookRepositories,
    ImportRepositories,
    AnalyticsRepositories {
  products: ProductRepository;
  policies: PolicyRepository;
  licenses: LicenseRepository;
  machines: MachineRepository;
  customers: CustomerRepository;
  dataObjects: DataObjectRepository;
  events: EventRepository;
  tokens: TokenRepository;
  signingKeys: SigningKeyRepository;
  idempotency: IdempotencyRepository;
  resellers: ResellerRepository;
  licenseTemplates: LicenseTemplateRepository;
  messages: MessageRepository;
}

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

export interface Store extends Repositories {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * One write transaction: all or nothing. Limits stay exact because writers of a license serialize. Inside a
   * unit of work it is a savepoint of the unit's transaction.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * One database transaction for everything a piece of work does (an API request with an Idempotency-Key):
   * its transactions join it, so what it changed and what it recorded about it commit together.
   */
  unitOfWork(): UnitOfWork;
  /** Runs work outside the caller's unit of work: background work that must not commit or roll back with it. */
  detached<T>(work: () => T): T;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type { FeatureField, FeatureValue, NamedUser };
