/** Imports from other licensing services: jobs that can be resumed, and links that make a rerun idempotent. */

export const IMPORT_KINDS = ['cryptolens', 'limelm', 'authtool', 'csv'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export type ImportStatus = 'running' | 'succeeded' | 'failed';

export interface ImportTally {
  created: number;
  updated: number;
  skipped: number;
}
/** Per kind of record (products, policies, customers, licenses, machines, dataObjects). */
export type ImportCounts = Record<string, ImportTally>;

export interface ImportJob {
  id: number;
  kind: ImportKind;
  /** Names the vendor account imported from; links are kept per source. */
  source: string;
  status: ImportStatus;
  /** The job's settings without the credential (base URL, product to import into, …). */
  options: Record<string, unknown>;
  /** Where an interrupted run continues. */
  checkpoint: Record<string, unknown> | null;
  counts: ImportCounts;
  progressDone: number;
  progressTotal: number | null;
  error: string | null;
  /** A running job whose lease lapsed was interrupted: the next run takes it over. */
  leaseUntil: Date | null;
  /** The failed or interrupted job this one was started in place of, because the input had changed. */
  replacesJobId: number | null;
  /** The job started in place of this one: a replaced job is never continued. */
  replacedByJobId: number | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface ImportRepository {
  insertJob(
    input: Omit<ImportJob, 'id' | 'leaseUntil' | 'finishedAt' | 'error' | 'replacedByJobId'> & {
      sealedCredential: string | null;
      owner: string;
      leaseUntil: Date;
    },
  ): Promise<ImportJob>;
  findJob(id: number): Promise<ImportJob | null>;
  sealedCredential(id: number): Promise<string | null>;
  /** Newest first. */
  listJobs(input: { before: number | null; limit: number }): Promise<ImportJob[]>;
  /** The unfinished (running, interrupted or failed) job of this kind and source, if any; never a replaced one. */
  findUnfinished(kind: ImportKind, source: string): Promise<ImportJob | null>;
  /**
   * Marks an unfinished job nobody holds (failed, or its lease lapsed) as replaced by `byJobId`; a running one
   * ends as failed with `error`, and its credential is forgotten. False (nothing changed) when it is held,
   * finished or replaced already, so of two reruns at once only one replaces it.
   */
  replace(id: number, byJobId: number, now: Date, error: string): Promise<boolean>;
  /** Running jobs nobody holds: their lease lapsed because their process stopped. */
  listAbandoned(now: Date, limit: number): Promise<ImportJob[]>;
  /** Takes the job (again running) for `owner` unless another owner's lease still runs; true when taken. */
  claim(id: number, owner: string, now: Date, leaseUntil: Date): Promise<boolean>;
  /** Stores progress and extends the lease; false when the job is no longer this owner's. */
  saveProgress(
    id: number,
    owner: string,
    progress: Pick<ImportJob, 'checkpoint' | 'counts' | 'progressDone' | 'progressTotal' | 'updatedAt'> & {
      leaseUntil: Date;
      sealedCredential?: string;
    },
  ): Promise<boolean>;
  /** Ends the job and forgets its credential. */
  finish(
    id: number,
    owner: string,
    result: Pick<ImportJob, 'counts' | 'progressDone' | 'error' | 'updatedAt'> & {
      status: 'succeeded' | 'failed';
      finishedAt: Date;
    },
  ): Promise<boolean>;
  /**
   * Inserts a product under the id it had at the vendor, so apps that name it keep working; false (nothing
   * inserted) when a product already has that id.
   */
  insertProductWithId(input: { id: number; name: string; createdAt: Date }): Promise<boolean>;
  findLink(source: string, entity: string, externalId: string): Promise<number | null>;
  /** The Keyward ids of every record of this kind linked to the source. */
  listLinkedIds(source: string, entity: string): Promise<number[]>;
  saveLink(source: string, entity: string, externalId: string, localId: number, at: Date): Promise<void>;
}

export interface ImportRepositories {
  imports: ImportRepository;
}
