import type { Generated } from 'kysely';
import type { Millis } from './column-types.js';

/** Who licenses are sold to, and through whom. */

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  company: string | null;
  created_at: Millis;
  notes: string | null;
  secret_hash: string | null;
}

/** Migration 002. */
export interface ResellersTable {
  id: Generated<number>;
  name: string;
  url: string | null;
  email: string | null;
  phone: string | null;
  description: string | null;
  created_at: Millis;
}

export interface CustomerTables {
  customers: CustomersTable;
  resellers: ResellersTable;
}
