import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { type NewEvent, newEvent } from '../events/record-event.js';
import type { Repositories, Store } from '../ports.js';
import type { SecretBox } from '../signing/secrets.js';
import { importRecordTypes } from './import-counts.js';
import type { ImportJob, ImportKind } from './import-ports.js';
import { importActor } from './imported-records.js';

/**
 * How long a job is held by its runner between progress saves (it renews every third of this, however long a
 * page takes); a lapsed lease means the runner stopped. Server processes look for lapsed jobs every
 * IMPORT_RESUME_INTERVAL_MS, so a job whose process died is taken over within the sum of both: 45 s, the
 * "within a minute" docs/import.md promises.
 */
export const IMPORT_LEASE_MS = 30_000;
export const IMPORT_RESUME_INTERVAL_MS = 15_000;

/** JSON with object keys in order, so two spellings of one input compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Whether a rerun reads what the job read: the same file text, key list, products and URL. */
const sameInput = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  canonicalJson(a) === canonicalJson(b);

/**
 * Import jobs: started, continued after an interruption or replaced by a rerun with other input, held by one
 * runner at a time under a lease, and summed up in one event when they end.
 */
export class ImportJobService {
  constructor(private readonly deps: { store: Store; clock: Clock; secretBox: SecretBox }) {}

  /**
   * Starts a job, or takes over the unfinished job of the same kind and source when it was started with the
   * same input (its checkpoint tells the runner where to continue). Refused while another runner's lease on
   * that job still runs.
   *
   * Input that differs from the unfinished job's (a CSV file fixed after a failure, another key list or
   * product filter) starts a new job that reads it from the start and names the job it replaces; that job is
   * never continued. Records the replaced job wrote are matched by the links of the source (licenses by key),
   * so the new job updates or skips them and duplicates nothing.
   */
  async start(input: {
    kind: ImportKind;
    source: string;
    options: Record<string, unknown>;
    credential: string | null;
    owner?: string;
  }): Promise<{
    job: ImportJob;
    owner: string;
    /** The unfinished job found, as it was before this run continued or replaced it. */
    earlier: ImportJob | null;
    resumed: boolean;
  }> {
    const owner = input.owner ?? randomUUID();
    const now = this.deps.clock.now();
    const leaseUntil = new Date(now.getTime() + IMPORT_LEASE_MS);
    const sealed = input.credential === null ? null : this.deps.secretBox.seal(input.credential);
    return this.deps.store.transaction(async (tx) => {
      const unfinished = await tx.imports.findUnfinished(input.kind, input.source);
      const running = (or = '') =>
        new DomainError('CONFLICT', `import ${unfinished?.id} from this source is running${or}`, {
          importId: unfinished?.id,
        });
      if (unfinished && sameInput(unfinished.options, input.options)) {
        if (!(await tx.imports.claim(unfinished.id, owner, now, leaseUntil))) throw running();
        await tx.imports.saveProgress(unfinished.id, owner, {
          checkpoint: unfinished.checkpoint,
          counts: unfinished.counts,
          progressDone: unfinished.progressDone,
          progressTotal: unfinished.progressTotal,
          updatedAt: now,
          leaseUntil,
          ...(sealed ? { sealedCredential: sealed } : {}),
        });
        const job = (await tx.imports.findJob(unfinished.id)) as ImportJob;
        return { job, owner, earlier: unfinished, resumed: true };
      }
      const job = await tx.imports.insertJob({
        kind: input.kind,
        source: input.source,
        status: 'running',
        options: input.options,
        checkpoint: null,
        counts: {},
        progressDone: 0,
        progressTotal: null,
        createdAt: now,
        updatedAt: now,
        sealedCredential: sealed,
        owner,
        leaseUntil,
        replacesJobId: unfinished?.id ?? null,
      });
      if (!unfinished) return { job, owner, earlier: null, resumed: false };
      // Conditional on nobody holding it: of two reruns at once, the second finds it replaced and gives up
      // (its new job rolls back with this transaction).
      if (!(await tx.imports.replace(unfinished.id, job.id, now, `replaced by import ${job.id}`)))
        throw running(' or was replaced by another run just now');
      // A job that was running (its runner stopped) ends here: it is summed up like any job that ends.
      if (unfinished.status === 'running')
        await tx.events.append(await this.summaryEvent(tx, unfinished.id, now));
      return { job, owner, earlier: unfinished, resumed: false };
    });
  }

  /** Takes over a job whose runner stopped (its lease lapsed); false when another runner holds it. */
  async claim(id: number, owner: string): Promise<boolean> {
    const now = this.deps.clock.now();
    return this.deps.store.imports.claim(id, owner, now, new Date(now.getTime() + IMPORT_LEASE_MS));
  }

  listAbandoned(limit = 10): Promise<ImportJob[]> {
    return this.deps.store.imports.listAbandoned(this.deps.clock.now(), limit);
  }

  async credentialOf(id: number): Promise<string | null> {
    const sealed = await this.deps.store.imports.sealedCredential(id);
    return sealed === null ? null : this.deps.secretBox.open(sealed);
  }

  /** Saves progress and renews the lease; throws when another runner took the job over. */
  async checkpoint(
    job: Pick<ImportJob, 'id' | 'checkpoint' | 'counts' | 'progressDone' | 'progressTotal'>,
    owner: string,
  ): Promise<void> {
    const now = this.deps.clock.now();
    const saved = await this.deps.store.imports.saveProgress(job.id, owner, {
      checkpoint: job.checkpoint,
      counts: job.counts,
      progressDone: job.progressDone,
      progressTotal: job.progressTotal,
      updatedAt: now,
      leaseUntil: new Date(now.getTime() + IMPORT_LEASE_MS),
    });
    if (!saved) throw new DomainError('CONFLICT', `import ${job.id} was taken over by another runner`);
  }

  /** Lets go of a job that stops unfinished (shutdown), so the next run may take it over at once. */
  async release(
    job: Pick<ImportJob, 'id' | 'checkpoint' | 'counts' | 'progressDone' | 'progressTotal'>,
    owner: string,
  ): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.imports.saveProgress(job.id, owner, {
      checkpoint: job.checkpoint,
      counts: job.counts,
      progressDone: job.progressDone,
      progressTotal: job.progressTotal,
      updatedAt: now,
      leaseUntil: now,
    });
  }

  /** Ends the job and records its summary, the one event webhook endpoints hear of an import by default. */
  async finish(
    job: Pick<ImportJob, 'id' | 'counts' | 'progressDone'>,
    owner: string,
    error: string | null,
  ): Promise<ImportJob> {
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const finished = await tx.imports.finish(job.id, owner, {
        status: error === null ? 'succeeded' : 'failed',
        counts: job.counts,
        progressDone: job.progressDone,
        error,
        updatedAt: now,
        finishedAt: now,
      });
      if (finished) await tx.events.append(await this.summaryEvent(tx, job.id, now));
    });
    return this.get(job.id);
  }

  /**
   * `import.completed` or `import.failed` with the job's counts, the kinds of change it made and the products
   * of its source, so that endpoints which do not take every imported record still hear of them at once.
   */
  private async summaryEvent(tx: Repositories, id: number, now: Date): Promise<NewEvent> {
    const job = (await tx.imports.findJob(id)) as ImportJob;
    return newEvent(
      job.status === 'succeeded' ? 'import.completed' : 'import.failed',
      importActor(job.kind),
      now,
      {},
      {
        importId: job.id,
        kind: job.kind,
        source: job.source,
        status: job.status,
        error: job.error,
        counts: job.counts,
        recordTypes: importRecordTypes(job.counts),
        productIds: await tx.imports.listLinkedIds(job.source, 'product'),
      },
    );
  }

  async get(id: number): Promise<ImportJob> {
    const job = await this.deps.store.imports.findJob(id);
    if (!job) throw new DomainError('NOT_FOUND', `import ${id} does not exist`);
    return job;
  }

  list(input: { before: number | null; limit: number }): Promise<ImportJob[]> {
    return this.deps.store.imports.listJobs(input);
  }

  /**
   * Runs a job's work in the background: it outlives the request that started it, so it must not join (or
   * wait for) that request's transaction.
   */
  inBackground<T>(work: () => T): T {
    return this.deps.store.detached(work);
  }
}
