import type { Generated } from 'kysely';
import type { Millis } from './column-types.js';

/** Imports from other licensing services: the jobs and what each imported record became (migration 008). */

export interface ImportJobsTable {
  id: Generated<number>;
  kind: string;
  source: string;
  status: string;
  options: string;
  sealed_credential: string | null;
  checkpoint: string | null;
  counts: string;
  progress_done: number;
  progress_total: number | null;
  error: string | null;
  lease_owner: string | null;
  lease_until: Millis | null;
  created_at: Millis;
  updated_at: Millis;
  finished_at: Millis | null;
  /** The failed or interrupted job this one was started in place of (its input had changed). */
  replaces_job_id: number | null;
  /** Set once a rerun with changed input replaced this job: it is never continued. */
  replaced_by_job_id: number | null;
}

export interface ImportLinksTable {
  source: string;
  entity: string;
  external_id: string;
  local_id: number;
  created_at: Millis;
}

export interface ImportTables {
  import_jobs: ImportJobsTable;
  import_links: ImportLinksTable;
}
