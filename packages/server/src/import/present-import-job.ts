import type { ImportJob } from '../core/imports/import-ports.js';

/** Options as shown: bulky inputs (CSV text, key lists) only by size. */
function presentOptions(options: Record<string, unknown>): Record<string, unknown> {
  const { csv, keys, keyList, ...rest } = options;
  return {
    ...rest,
    ...(typeof csv === 'string' ? { csvBytes: Buffer.byteLength(csv) } : {}),
    ...(Array.isArray(keys) ? { keyCount: keys.length } : {}),
    ...(typeof keyList === 'string' ? { keyListBytes: Buffer.byteLength(keyList) } : {}),
  };
}

/**
 * An import job as the API answers it (GET /v1/imports/:id) and `keyward import --json` prints it: one shape
 * for both, so it lives with imports rather than in either surface.
 */
export const presentImportJob = (job: ImportJob) => ({
  id: job.id,
  kind: job.kind,
  source: job.source,
  status: job.status,
  options: presentOptions(job.options),
  counts: job.counts,
  progress: { done: job.progressDone, total: job.progressTotal },
  error: job.error,
  replacesJobId: job.replacesJobId,
  replacedByJobId: job.replacedByJobId,
  createdAt: job.createdAt.toISOString(),
  updatedAt: job.updatedAt.toISOString(),
  finishedAt: job.finishedAt?.toISOString() ?? null,
});
