import type { Generated } from 'kysely';
import type { Millis } from './column-types.js';

/** The dashboard's users and their sessions (migration 006), and sign-in throttling (migration 010). */

export interface DashboardUsersTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  role: string;
  created_at: Millis;
  last_sign_in_at: Millis | null;
}

export interface DashboardSessionsTable {
  id: Generated<number>;
  user_id: number;
  secret_hash: string;
  ip: string | null;
  created_at: Millis;
  expires_at: Millis;
}

/** Sign-in throttling's counters, keyed by opaque hashes. */
export interface SignInCountersTable {
  key: string;
  failure_count: number;
  last_failure_at: Millis | null;
  last_success_at: Millis | null;
  updated_at: Millis;
}

export interface DashboardTables {
  dashboard_users: DashboardUsersTable;
  dashboard_sessions: DashboardSessionsTable;
  sign_in_counters: SignInCountersTable;
}
