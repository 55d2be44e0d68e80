import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import type { Output } from '../cli/output.js';
import { DomainError } from '../core/domain-error.js';
import type { ImportJob, ImportKind } from '../core/imports/import-ports.js';
import type { Keyward } from '../core/keyward.js';
import { presentImportJob } from './present-import-job.js';
import { progressReporter, summaryLines } from './progress-bar.js';
import { type ImportRequest, OPERATOR_STOP, startImport } from './run-import.js';

type WithKeyward = <T>(work: (keyward: Keyward) => Promise<T>) => Promise<T>;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** A secret from the option, or from the file the `…-file` option names (keeps it out of `ps`). */
function secretOf(options: Record<string, string | undefined>, name: string, label: string): string {
  const direct = options[name];
  const file = options[`${name}File`];
  if (direct) return direct;
  if (file) return readFileSync(file, 'utf8').trim();
  throw new DomainError(
    'INVALID_INPUT',
    `${label} is needed (--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} or its -file form)`,
  );
}

/** Says what a run does with an earlier unfinished job of the same source: continue it, or replace it. */
function startLine(started: {
  job: ImportJob;
  earlier: ImportJob | null;
  replaced: ImportJob | null;
}): string {
  const { job, earlier, replaced } = started;
  if (!earlier) return '';
  if (!replaced) {
    const done = job.progressTotal
      ? `${job.progressDone} of ${job.progressTotal} done`
      : `${job.progressDone} done`;
    const same = earlier.status === 'failed' ? ': the input is the same as when it failed' : '';
    return `continuing import ${job.id} where it stopped (${done})${same}\n`;
  }
  const was = replaced.status === 'failed' ? 'failed' : 'interrupted';
  return [
    `the input differs from ${was} import ${replaced.id}: import ${job.id} reads it from the start`,
    `  records already imported from source "${job.source}" are matched by key: updated where the input`,
    '  changed them, skipped otherwise, never duplicated',
    '',
  ].join('\n');
}

async function runWithProgress(
  withKeyward: WithKeyward,
  request: ImportRequest,
  output: Output,
): Promise<void> {
  await withKeyward(async (keyward) => {
    const progress = progressReporter(process.stderr, `import ${request.kind}`);
    const stop = new AbortController();
    const onSignal = () => stop.abort(OPERATOR_STOP);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const started = await startImport(keyward, request, {
        signal: stop.signal,
        onProgress: (p) => progress.update(p),
        onWarning: (message) => progress.warn(message),
      });
      process.stderr.write(startLine(started));
      const job = await started.finished;
      progress.end();
      process.stderr.write(
        [
          `import ${job.id} ${stop.signal.aborted ? 'stopped (run the same command to continue)' : job.status}`,
          ...summaryLines(job.counts),
          '',
        ].join('\n'),
      );
      // People read the summary above; scripts asking for --json get the job.
      if (output.isJson) output.json(presentImportJob(job));
      if (job.status !== 'succeeded') {
        if (job.error) process.stderr.write(`keyward: ${job.error}\n`);
        process.exitCode = 1;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/** `keyward import cryptolens|limelm|authtool|csv`: see docs/import.md. */
export function registerImportCommand(program: Command, withKeyward: WithKeyward, output: Output): void {
  const runImport = (request: ImportRequest) => runWithProgress(withKeyward, request, output);
  const command = program
    .command('import')
    .description(
      'import products, customers, keys and activations from another licensing service (docs/import.md)',
    );
  const common = (sub: Command) =>
    sub
      .option(
        '--source <name>',
        'names the account imported from; reruns with the same name update instead of duplicating',
      )
      .option('--url <url>', "the vendor API's base URL (default: the vendor's public API)");
  const request = (
    kind: ImportKind,
    options: Record<string, unknown>,
    credential: string | null,
    extra: Record<string, unknown> = {},
  ): ImportRequest => ({
    kind,
    source: options.source as string | undefined,
    credential,
    options: { ...(options.url ? { baseUrl: options.url } : {}), ...extra },
  });

  common(command.command('cryptolens'))
    .description('from Cryptolens Web API 3 (needs a token with GetProducts, GetKeys and GetCustomers)')
    .option('--token <token>', 'the Cryptolens access token')
    .option('--token-file <file>', 'a file holding the access token')
    .option('--product <id>', 'only this ProductId (repeatable)', (v, p: number[] = []) => [
      ...p,
      positiveInt(v),
    ])
    .action((options) =>
      runImport(
        request(
          'cryptolens',
          options,
          secretOf(options, 'token', 'the access token'),
          options.product ? { productIds: options.product } : {},
        ),
      ),
    );

  common(command.command('limelm'))
    .description(
      'from the LimeLM web API (products, versions, license fields, keys with features, tags and activations)',
    )
    .option('--api-key <key>', 'the LimeLM API key')
    .option('--api-key-file <file>', 'a file holding the API key')
    .action((options) => runImport(request('limelm', options, secretOf(options, 'apiKey', 'the API key'))));

  common(command.command('authtool'))
    .description('from the AuthTool public API: each key of a list read with GET key/{key}/detail')
    .requiredOption('--keys <file>', 'the keys: one a line, or a CSV with a "key" column')
    .option('--api-key <key>', 'the AuthTool X-API-Key')
    .option('--api-key-file <file>', 'a file holding the API key')
    .option('--product <id>', 'import into this existing product (default: a new product)', positiveInt)
    .option('--product-name <name>', 'the name of the product made for the keys', 'AuthTool')
    .action((options) =>
      runImport(
        request('authtool', options, secretOf(options, 'apiKey', 'the API key'), {
          keyList: readFileSync(options.keys, 'utf8'),
          ...(options.product ? { productId: options.product } : { productName: options.productName }),
        }),
      ),
    );

  command
    .command('csv')
    .description('from a CSV file, one key a row (columns in docs/import.md)')
    .argument('<file>', 'the CSV file')
    .option(
      '--source <name>',
      'names what the file comes from; reruns with the same name update instead of duplicating',
      'csv:default',
    )
    .action((file: string, options) =>
      runImport({
        kind: 'csv',
        source: options.source,
        credential: null,
        options: { csv: readFileSync(file, 'utf8') },
      }),
    );
}
