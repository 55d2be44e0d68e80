import { Type } from 'typebox';
import { assertUnrestricted } from '../../../core/access/principal.js';
import { IMPORT_KINDS } from '../../../core/imports/import-ports.js';
import type { Keyward } from '../../../core/keyward.js';
import { presentImportJob } from '../../../import/present-import-job.js';
import { startImport } from '../../../import/run-import.js';
import type { App } from '../../fastify-context.js';
import { principalOf } from '../../plugins/authenticate.js';
import { errorResponses } from '../openapi/error-responses.js';
import { page } from '../present.js';
import { parseCursor } from '../request-values.js';
import { Id, IdParams, listOf, Nullable, PageQuery, Timestamp } from '../schemas.js';

const tags = ['imports'];

const Tally = Type.Object(
  { created: Type.Integer(), updated: Type.Integer(), skipped: Type.Integer() },
  { title: 'Tally', description: 'What an import did with one kind of record' },
);
const ImportKind = Type.Enum([...IMPORT_KINDS], {
  title: 'ImportKind',
  description: 'Where the records come from',
});

export const ImportJobSchema = Type.Object(
  {
    id: Type.Integer({ examples: [6] }),
    kind: ImportKind,
    source: Type.String({
      description: 'The source account or file, as the job names it',
      examples: ['cryptolens'],
    }),
    status: Type.Enum(['running', 'succeeded', 'failed']),
    options: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The options it was started with; bulky inputs only by size (csvBytes, keyCount)',
    }),
    counts: Type.Record(Type.String(), Tally, {
      description: 'By kind of record (licenses, customers…)',
      examples: [{ licenses: { created: 1200, updated: 3, skipped: 1 } }],
    }),
    progress: Type.Object(
      { done: Type.Integer(), total: Nullable(Type.Integer()) },
      { description: 'Records read so far, of how many (null: not known)' },
    ),
    error: Nullable(Type.String(), { description: 'Why it failed' }),
    replacesJobId: Nullable(
      Type.Integer({
        description: 'The failed or interrupted job of other input this one was started in place of.',
      }),
    ),
    replacedByJobId: Nullable(
      Type.Integer({
        description: 'The job started in place of this one; a replaced job is never continued.',
      }),
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    finishedAt: Nullable(Timestamp),
  },
  { title: 'ImportJob', description: 'An import, running or finished.' },
);

const ImportCreate = Type.Object(
  {
    kind: Type.Enum([...IMPORT_KINDS], { description: 'Where the records come from' }),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    credential: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: "The vendor's access token or API key." }),
    ),
    baseUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          "The vendor API's base URL; a public address unless the operator allows internal ones " +
          '(KEYWARD_ALLOW_PRIVATE_DESTINATIONS).',
      }),
    ),
    productIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
    productId: Type.Optional(Id),
    productName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    keys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 100_000 })),
    csv: Type.Optional(Type.String({ maxLength: 3 * 1024 * 1024 })),
  },
  { additionalProperties: false },
);

/**
 * Imports run in the background of the process that took the request; their status is read with GET. A
 * server stopping mid-import leaves the job running with a lapsing lease, and a server process takes it over.
 */
export function importRoutes(app: App, keyward: Keyward): void {
  const running = new Set<Promise<unknown>>();
  const stop = new AbortController();
  app.addHook('onClose', async () => {
    stop.abort();
    await Promise.allSettled([...running]);
  });

  app.post(
    '/imports',
    {
      config: { auth: { scope: 'imports:write' } },
      schema: {
        tags,
        summary: 'Start an import',
        description:
          'Starts an import from Cryptolens, LimeLM, AuthTool or CSV (docs/import.md), or continues the ' +
          'unfinished one of the same source and input. Other input (a fixed CSV file) starts a new job in ' +
          'place of the unfinished one (replacesJobId), read from the start. Answers 202 with the job; read ' +
          'its progress with GET. Refused (409) while an import of the same source runs. Needs an unlocked token.',
        body: ImportCreate,
        response: { 202: ImportJobSchema, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      const { kind, source, credential, ...options } = request.body;
      const started = await startImport(
        keyward,
        { kind, source, credential: credential ?? null, options },
        {
          signal: stop.signal,
          onWarning: (message) => request.log.warn({ importWarning: message }, 'import warning'),
        },
      );
      const finished = started.finished.finally(() => running.delete(finished));
      running.add(finished);
      return reply.status(202).send(presentImportJob(started.job));
    },
  );

  app.get(
    '/imports',
    {
      config: { auth: { scope: 'imports:read' } },
      schema: {
        tags,
        summary: 'List imports',
        description: 'Import jobs, newest first. Needs an unlocked token.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: listOf(ImportJobSchema) },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      const limit = request.query.limit ?? 100;
      const jobs = await keyward.importJobs.list({
        before: parseCursor(request.query.after),
        limit,
      });
      return page(jobs, limit, presentImportJob);
    },
  );

  app.get(
    '/imports/:id',
    {
      config: { auth: { scope: 'imports:read' } },
      schema: {
        tags,
        summary: 'Get an import',
        description: 'One import job, with its progress and counts. Needs an unlocked token.',
        params: IdParams,
        response: { 200: ImportJobSchema, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return presentImportJob(await keyward.importJobs.get(request.params.id));
    },
  );
}
