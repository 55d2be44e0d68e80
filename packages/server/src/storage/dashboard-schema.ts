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

export interface DashboardTables {
  dashboard_users: DashboardUsersTable;
  dashboard_sessions: DashboardSessionsTable;
}
