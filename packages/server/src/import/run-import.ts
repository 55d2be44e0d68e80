import { randomUUID } from 'node:crypto';
import { DomainError, isDomainError } from '../core/domain-error.js';
import { countInto } from '../core/imports/import-counts.js';
import { IMPORT_LEASE_MS } from '../core/imports/import-job-service.js';
import type { ImportCounts, ImportJob, ImportKind } from '../core/imports/import-ports.js';
import { importActor } from '../core/imports/imported-records.js';
import type { Keyward } from '../core/keyward.js';
import { checkDestinationUrl, type DestinationRules } from '../core/operations/network-destinations.js';
import { createOutboundHttp } from '../http/outbound-http.js';
import { AUTHTOOL_DEFAULT_URL, authtoolSource } from './authtool-source.js';
import { CRYPTOLENS_DEFAULT_URL, cryptolensOptions, cryptolensSource } from './cryptolens-source.js';
import { csvSource } from './csv-source.js';
import { type ImportContext, type ImportSource, SourceError } from './import-source.js';
import { LIMELM_DEFAULT_URL, limelmSource } from './limelm-source.js';

const SOURCES: Record<ImportKind, ImportSource> = {
  cryptolens: cryptolensSource,
  limelm: limelmSource,
  authtool: authtoolSource,
  csv: csvSource,
};

const DEFAULT_URLS: Partial<Record<ImportKind, string>> = {
  cryptolens: CRYPTOLENS_DEFAULT_URL,
  limelm: LIMELM_DEFAULT_URL,
  authtool: AUTHTOOL_DEFAULT_URL,
};

/** The abort reason of a stop asked for by the operator (the CLI's Ctrl-C). */
export const OPERATOR_STOP = 'operator';

/** How often a running job renews its lease even when a page takes long: three times a lease. */
const HEARTBEAT_MS = IMPORT_LEASE_MS / 3;

export interface ImportRequest {
  kind: ImportKind;
  /** Names the account imported from; default: the kind and the API's origin (`csv:default` for CSV). */
  source?: string | undefined;
  options: Record<string, unknown>;
  /** The vendor's token or API key; sealed while the job runs, forgotten when it ends. */
  credential: string | null;
}

export interface ImportProgress {
  job: ImportJob;
  done: number;
  total: number | null;
  counts: ImportCounts;
}

export interface RunHooks {
  onProgress?: (progress: ImportProgress) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** A literal internal address is refused here; a name is checked again on its address at each request. */
function checkBaseUrl(value: unknown, destinations: DestinationRules): void {
  if (value === undefined) return;
  if (typeof value !== 'string')
    throw new DomainError('INVALID_INPUT', 'baseUrl must be an absolute http or https URL', {
      field: 'baseUrl',
    });
  checkDestinationUrl(value, destinations, 'baseUrl');
}

/** The source name an import is linked under when none is given. */
export function defaultSourceName(kind: ImportKind, options: Record<string, unknown>): string {
  if (kind === 'csv') return 'csv:default';
  const base = typeof options.baseUrl === 'string' ? options.baseUrl : (DEFAULT_URLS[kind] as string);
  return `${kind}:${new URL(base).origin}`;
}

function checkRequest(request: ImportRequest, destinations: DestinationRules): void {
  checkBaseUrl(request.options.baseUrl, destinations);
  if (request.kind === 'cryptolens') cryptolensOptions(request.options);
  if (request.kind !== 'csv' && !request.credential)
    throw new DomainError('INVALID_INPUT', `a ${request.kind} import needs the vendor's credential`, {
      field: 'credential',
    });
  if (request.kind === 'csv' && typeof request.options.csv !== 'string')
    throw new DomainError('INVALID_INPUT', 'a CSV import needs the CSV text', { field: 'csv' });
}

/**
 * Starts an import, or continues the unfinished one of the same kind, source and input from its checkpoint
 * (other input starts a new job in its place, read from the start); returns
 * the job at once and a promise of the job when it ends (succeeded or failed, never rejected).
 */
export async function startImport(
  keyward: Keyward,
  request: ImportRequest,
  hooks: RunHooks = {},
): Promise<{
  job: ImportJob;
  resumed: boolean;
  /** The unfinished job found, as it was: the one continued, or the one of other input this one replaces. */
  earlier: ImportJob | null;
  /** The failed or interrupted job of other input that this one replaces. */
  replaced: ImportJob | null;
  finished: Promise<ImportJob>;
}> {
  checkRequest(request, keyward.destinations);
  const source = request.source ?? defaultSourceName(request.kind, request.options);
  const { job, owner, resumed, earlier } = await keyward.importJobs.start({
    kind: request.kind,
    source,
    options: request.options,
    credential: request.credential,
  });
  // The run outlives the request that started it: it must not join (or wait for) that request's transaction.
  const finished = keyward.importJobs.inBackground(() =>
    execute(keyward, job, owner, request.credential, hooks),
  );
  return { job, resumed, earlier, replaced: resumed ? null : earlier, finished };
}

/** Runs a claimed job to its end; records failures on the job instead of throwing. */
export async function execute(
  keyward: Keyward,
  job: ImportJob,
  owner: string,
  credential: string | null,
  hooks: RunHooks = {},
): Promise<ImportJob> {
  const counts: ImportCounts = structuredClone(job.counts);
  const restoredTotal = job.progressTotal ?? 0;
  let runTotal = 0;
  let done = job.progressDone;
  let checkpoint = job.checkpoint;
  const signal = hooks.signal ?? new AbortController().signal;
  const state = () => ({
    id: job.id,
    checkpoint,
    counts,
    progressDone: done,
    progressTotal: Math.max(restoredTotal, runTotal) || null,
  });
  const report = () =>
    hooks.onProgress?.({ job, done, total: Math.max(restoredTotal, runTotal) || null, counts });
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(() => keyward.importJobs.checkpoint(state(), owner));
    return saving;
  };
  const heartbeat = setInterval(() => void save().catch(() => {}), HEARTBEAT_MS);
  heartbeat.unref();
  const ctx: ImportContext = {
    keyward,
    actor: importActor(job.kind),
    source: job.source,
    job,
    credential,
    options: job.options,
    checkpoint: job.checkpoint,
    signal,
    http: createOutboundHttp(keyward.destinations),
    count: (entity, outcome, n = 1) => {
      countInto(counts, entity, outcome, n);
      report();
    },
    addCounts: (more) => {
      if (signal.aborted) throw new SourceError('the import was stopped');
      for (const [entity, tally] of Object.entries(more))
        for (const outcome of ['created', 'updated', 'skipped'] as const)
          if (tally[outcome] > 0) countInto(counts, entity, outcome, tally[outcome]);
      report();
    },
    addTotal: (n) => {
      runTotal += n;
      report();
    },
    save: async (next, progressed = 0) => {
      if (signal.aborted) throw new SourceError('the import was stopped');
      checkpoint = next;
      done += progressed;
      await save();
      report();
    },
    warn: (message) => hooks.onWarning?.(message),
  };
  try {
    await SOURCES[job.kind].run(ctx);
    clearInterval(heartbeat);
    await saving.catch(() => {});
    return await keyward.importJobs.finish({ id: job.id, counts, progressDone: done }, owner, null);
  } catch (error) {
    clearInterval(heartbeat);
    await saving.catch(() => {});
    // Stopped (the process shuts down): the job stays unfinished at its last checkpoint and is let go, so the
    // next run, or another process, continues it.
    // An operator's Ctrl-C (reason `operator`) ends it as failed instead: no server process picks it up
    // behind their back, and running the same import again still continues from the checkpoint.
    if (signal.aborted && signal.reason === OPERATOR_STOP) {
      await save().catch(() => {});
      return keyward.importJobs.finish(
        { id: job.id, counts, progressDone: done },
        owner,
        'stopped by the operator',
      );
    }
    if (signal.aborted) {
      await keyward.importJobs.release(state(), owner).catch(() => {});
      return keyward.importJobs.get(job.id);
    }
    const message =
      error instanceof SourceError || isDomainError(error)
        ? error.message
        : `internal error: ${String(error)}`;
    // The checkpoint stays: running the same import again continues from it.
    await save().catch(() => {});
    return keyward.importJobs.finish({ id: job.id, counts, progressDone: done }, owner, message);
  }
}

/** Takes over imports whose process stopped (lease lapsed) and runs them, one after another. */
export async function resumeAbandonedImports(
  keyward: Keyward,
  onError: (error: unknown) => void,
): Promise<void> {
  for (const job of await keyward.importJobs.listAbandoned()) {
    const owner = randomUUID();
    if (!(await keyward.importJobs.claim(job.id, owner))) continue;
    try {
      const credential = await keyward.importJobs.credentialOf(job.id);
      await execute(keyward, job, owner, credential);
    } catch (error) {
      onError(error);
    }
  }
}
