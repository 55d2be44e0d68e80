import type { Kysely, Selectable } from 'kysely';
import type {
  ImportCounts,
  ImportJob,
  ImportKind,
  ImportRepository,
  ImportStatus,
} from '../../core/imports/import-ports.js';
import { fromJson, fromMillis, fromMillisOrNull, toJson } from '../columns.js';
import type { DatabaseAdapter } from '../database-adapter.js';
import type { ImportJobsTable } from '../schema/imports.js';
import type { Database } from '../schema/index.js';

const toJob = (row: Selectable<ImportJobsTable>): ImportJob => ({
  id: row.id,
  kind: row.kind as ImportKind,
  source: row.source,
  status: row.status as ImportStatus,
  options: fromJson<Record<string, unknown>>(row.options),
  checkpoint: row.checkpoint === null ? null : fromJson<Record<string, unknown>>(row.checkpoint),
  counts: fromJson<ImportCounts>(row.counts),
  progressDone: row.progress_done,
  progressTotal: row.progress_total,
  error: row.error,
  leaseUntil: fromMillisOrNull(row.lease_until),
  createdAt: fromMillis(row.created_at),
  updatedAt: fromMillis(row.updated_at),
  finishedAt: fromMillisOrNull(row.finished_at),
  replacesJobId: row.replaces_job_id,
  replacedByJobId: row.replaced_by_job_id,
});

const JOB_COLUMNS = [
  'id',
  'kind',
  'source',
  'status',
  'options',
  'checkpoint',
  'counts',
  'progress_done',
  'progress_total',
  'error',
  'lease_owner',
  'lease_until',
  'created_at',
  'updated_at',
  'finished_at',
  'replaces_job_id',
  'replaced_by_job_id',
] as const;

export function importRepository(db: Kysely<Database>, adapter: DatabaseAdapter): ImportRepository {
  const jobs = () => db.selectFrom('import_jobs').select([...JOB_COLUMNS, 'sealed_credential']);
  return {
    async insertJob(input) {
      const row = await db
        .insertInto('import_jobs')
        .values({
          kind: input.kind,
          source: input.source,
          status: input.status,
          options: toJson(input.options),
          sealed_credential: input.sealedCredential,
          checkpoint: input.checkpoint === null ? null : toJson(input.checkpoint),
          counts: toJson(input.counts),
          progress_done: input.progressDone,
          progress_total: input.progressTotal,
          error: null,
          lease_owner: input.owner,
          lease_until: input.leaseUntil.getTime(),
          created_at: input.createdAt.getTime(),
          updated_at: input.updatedAt.getTime(),
          finished_at: null,
          replaces_job_id: input.replacesJobId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toJob(row);
    },
    async findJob(id) {
      const row = await jobs().where('id', '=', id).executeTakeFirst();
      return row ? toJob(row) : null;
    },
    async sealedCredential(id) {
      const row = await db
        .selectFrom('import_jobs')
        .select('sealed_credential')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.sealed_credential ?? null;
    },
    async listJobs({ before, limit }) {
      let query = jobs().orderBy('id', 'desc').limit(limit);
      if (before !== null) query = query.where('id', '<', before);
      return (await query.execute()).map(toJob);
    },
    async findUnfinished(kind, source) {
      const row = await jobs()
        .where('kind', '=', kind)
        .where('source', '=', source)
        .where('status', 'in', ['running', 'failed'])
        .where('replaced_by_job_id', 'is', null)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      return row ? toJob(row) : null;
    },
    async replace(id, byJobId, now, error) {
      const result = await db
        .updateTable('import_jobs')
        .set((eb) => ({
          replaced_by_job_id: byJobId,
          status: 'failed',
          error: eb.fn.coalesce('error', eb.val(error)),
          finished_at: eb.fn.coalesce('finished_at', eb.val(now.getTime())),
          updated_at: now.getTime(),
          sealed_credential: null,
          lease_owner: null,
          lease_until: null,
        }))
        .where('id', '=', id)
        .where('status', 'in', ['running', 'failed'])
        .where('replaced_by_job_id', 'is', null)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now.getTime())]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async listAbandoned(now, limit) {
      const rows = await jobs()
        .where('status', '=', 'running')
        .where('replaced_by_job_id', 'is', null)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now.getTime())]))
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toJob);
    },
    async claim(id, owner, now, leaseUntil) {
      const result = await db
        .updateTable('import_jobs')
        .set({
          lease_owner: owner,
          lease_until: leaseUntil.getTime(),
          status: 'running',
          error: null,
          finished_at: null,
        })
        .where('id', '=', id)
        .where('status', 'in', ['running', 'failed'])
        .where('replaced_by_job_id', 'is', null)
        .where((eb) =>
          eb.or([
            eb('lease_until', 'is', null),
            eb('lease_until', '<=', now.getTime()),
            eb('lease_owner', '=', owner),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async saveProgress(id, owner, progress) {
      const result = await db
        .updateTable('import_jobs')
        .set({
          checkpoint: progress.checkpoint === null ? null : toJson(progress.checkpoint),
          counts: toJson(progress.counts),
          progress_done: progress.progressDone,
          progress_total: progress.progressTotal,
          updated_at: progress.updatedAt.getTime(),
          lease_until: progress.leaseUntil.getTime(),
          ...(progress.sealedCredential ? { sealed_credential: progress.sealedCredential } : {}),
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async finish(id, owner, result) {
      const updated = await db
        .updateTable('import_jobs')
        .set({
          status: result.status,
          counts: toJson(result.counts),
          progress_done: result.progressDone,
          error: result.error,
          updated_at: result.updatedAt.getTime(),
          finished_at: result.finishedAt.getTime(),
          sealed_credential: null,
          lease_owner: null,
          lease_until: null,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    },
    async insertProductWithId({ id, name, createdAt }) {
      const inserted = await db
        .insertInto('products')
        .values({ id, name, code: null, created_at: createdAt.getTime() } as never)
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await adapter.advanceIdsPastExplicitOnes(db, 'products');
      return true;
    },
    async findLink(source, entity, externalId) {
      const row = await db
        .selectFrom('import_links')
        .select('local_id')
        .where('source', '=', source)
        .where('entity', '=', entity)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return row ? row.local_id : null;
    },
    async listLinkedIds(source, entity) {
      const rows = await db
        .selectFrom('import_links')
        .select('local_id')
        .where('source', '=', source)
        .where('entity', '=', entity)
        .orderBy('local_id')
        .execute();
      return [...new Set(rows.map((row) => row.local_id))];
    },
    async saveLink(source, entity, externalId, localId, at) {
      await db
        .insertInto('import_links')
        .values({ source, entity, external_id: externalId, local_id: localId, created_at: at.getTime() })
        .onConflict((oc) =>
          oc.columns(['source', 'entity', 'external_id']).doUpdateSet({ local_id: localId }),
        )
        .execute();
    },
  };
}
