/**
 * What the web dashboard needs from storage: its users, their sessions, and aggregate counts for the
 * overview. Part of `Repositories` (ports.ts), so services reach them inside transactions too.
 */

export type DashboardRole = 'admin' | 'support' | 'read-only';

export interface DashboardUser {
  id: number;
  email: string;
  role: DashboardRole;
  createdAt: Date;
  lastSignInAt: Date | null;
}

export interface DashboardUserRecord extends DashboardUser {
  passwordHash: string;
}

export interface DashboardUserRepository {
  insert(input: {
    email: string;
    passwordHash: string;
    role: DashboardRole;
    createdAt: Date;
  }): Promise<DashboardUser>;
  findByEmail(email: string): Promise<DashboardUserRecord | null>;
  findById(id: number): Promise<DashboardUser | null>;
  list(): Promise<DashboardUser[]>;
  count(): Promise<number>;
  update(
    id: number,
    changes: { passwordHash?: string; role?: DashboardRole; lastSignInAt?: Date },
  ): Promise<DashboardUser | null>;
  delete(id: number): Promise<boolean>;
  /**
   * The ids of the admins, locked until the surrounding transaction ends, so two processes removing
   * different admins at once cannot together remove the last one. Call it in a transaction.
   */
  lockAdminIds(): Promise<number[]>;
}

export interface DashboardSession {
  id: number;
  userId: number;
  ip: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface DashboardSessionRepository {
  insert(input: Omit<DashboardSession, 'id'> & { secretHash: string }): Promise<DashboardSession>;
  findByHash(secretHash: string): Promise<DashboardSession | null>;
  delete(id: number): Promise<void>;
  deleteForUser(userId: number): Promise<number>;
  deleteExpired(at: Date): Promise<number>;
}

/** One counter of sign-in throttling (core/access/sign-in-throttle.ts), named by an opaque key. */
export interface SignInCounter {
  key: string;
  failureCount: number;
  lastFailureAt: Date | null;
  lastSuccessAt: Date | null;
}

export interface SignInCounterRepository {
  /**
   * The counters with these keys, zeroed where missing, locked until the surrounding transaction ends: the
   * processes that decide on the same counters take turns, so budgets stay exact. Call it in a transaction.
   */
  lock(keys: string[], at: Date): Promise<SignInCounter[]>;
  save(counter: SignInCounter, at: Date): Promise<void>;
  /** Deletes counters without a failure since `failuresBefore` and without a success since `successesBefore`. */
  deleteStale(input: { failuresBefore: Date; successesBefore: Date }): Promise<number>;
}

export interface OverviewCounts {
  products: number;
  policies: number;
  customers: number;
  licenses: number;
  /** Licenses neither suspended, revoked nor expired. */
  activeLicenses: number;
  suspendedLicenses: number;
  revokedLicenses: number;
  expiredLicenses: number;
  /** Machines not deactivated. */
  activeMachines: number;
}

export interface EventBucket {
  /** Start of the bucket (epoch milliseconds, UTC). */
  start: number;
  type: string;
  count: number;
}

export interface StatsRepository {
  overview(now: Date): Promise<OverviewCounts>;
  /** Events of the given types in [since, until), counted per bucket of `bucketMs`. */
  eventCounts(input: { types: string[]; since: Date; until: Date; bucketMs: number }): Promise<EventBucket[]>;
}

export interface DashboardRepositories {
  dashboardUsers: DashboardUserRepository;
  dashboardSessions: DashboardSessionRepository;
  signInCounters: SignInCounterRepository;
  stats: StatsRepository;
}
