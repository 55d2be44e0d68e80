import type { Generated } from 'kysely';

/** Tables of migration 006 (dashboard users and their sessions). Instants are epoch milliseconds. */

export interface DashboardUsersTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  role: string;
  created_at: number;
  last_sign_in_at: number | null;
}

export interface DashboardSessionsTable {
  id: Generated<number>;
  user_id: number;
  secret_hash: string;
  ip: string | null;
  created_at: number;
  expires_at: number;
}

/** Migration 010: sign-in throttling's counters, keyed by opaque hashes. */
export interface SignInCountersTable {
  key: string;
  failure_count: number;
  last_failure_at: number | null;
  last_success_at: number | null;
  updated_at: number;
}

export interface DashboardTables {
  dashboard_users: DashboardUsersTable;
  dashboard_sessions: DashboardSessionsTable;
  sign_in_counters: SignInCountersTable;
}
