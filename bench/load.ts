import autocannon from 'autocannon';
import { cpuSecondsBetween, cpuSecondsByProcess, cpuSecondsOf } from './process-cpu.js';

/**
 * The load generator, run as a process of its own so that it never shares an event loop with the server or
 * the orchestrator. It reads one scenario from argv (JSON), drives the server with autocannon and prints the
 * measurement as one JSON line. Every answer is checked for `expect`: a scenario that answers errors quickly
 * is not a measurement, so mismatches are counted and reported.
 */

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  /** Header values may hold the same placeholders as the body. */
  headers: Record<string, string>;
  /**
   * The request body. `{key}` becomes a random key of the population, `{id}` its license id, `{fp}` the
   * fingerprint of its seeded machine and `{seq}` a value unique to this request.
   */
  body: string;
  population: { keyPrefix: string; firstId: number; count: number };
  /** A substring every successful answer contains. */
  expect: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /**
   * Before anything timed, one request for each member of the population in order, unrecorded: a server
   * that has served its apps for a while has seen each of their keys, and random picks for a few seconds
   * leave a fifth of ten thousand unseen (the read cache would then be measured cold).
   */
  sweep?: boolean;
  /** The server's process: its CPU time over the measured run is reported per request. */
  serverPid?: number;
  /** The database's processes by command name (`postgres`), reported the same way. */
  databaseCommand?: string;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  mismatches: number;
  errors: number;
  timeouts: number;
  firstMismatch: string | null;
  /** The server's CPU time (all its threads) per answered request over the measured run; null if unknown. */
  serverCpuUsPerRequest: number | null;
  /** The database processes' CPU time per answered request over the measured run; null if none or unknown. */
  databaseCpuUsPerRequest: number | null;
}

export const KEY_DIGITS = 7;
export const keyOf = (prefix: string, index: number) => `${prefix}${String(index).padStart(KEY_DIGITS, '0')}`;
export const fingerprintOf = (index: number) => `fp-${String(index).padStart(KEY_DIGITS, '0')}`;

/** Renders one request: body and header values see the same random member of the population. */
function renderer(
  spec: LoadSpec,
  pick: () => number,
): () => { body: string; headers: Record<string, string> } {
  const { keyPrefix, firstId } = spec.population;
  const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  let seq = 0;
  const headerNames = Object.keys(spec.headers);
  return () => {
    const index = pick();
    const unique = `${run}-${seq++}`;
    const fill = (text: string) =>
      text
        .replaceAll('{key}', keyOf(keyPrefix, index))
        .replaceAll('{id}', String(firstId + index))
        .replaceAll('{fp}', fingerprintOf(index))
        .replaceAll('{seq}', unique);
    const headers: Record<string, string> = {};
    for (const name of headerNames) headers[name] = fill(spec.headers[name] as string);
    return { body: fill(spec.body), headers };
  };
}

const randomMember = (spec: LoadSpec) => () => Math.floor(Math.random() * spec.population.count);

/** Drives the server for `seconds`, or for one request per member of the population in order (`sweep`). */
async function drive(spec: LoadSpec, length: { seconds: number } | 'sweep'): Promise<LoadResult> {
  let next = 0;
  const render = renderer(
    spec,
    length === 'sweep' ? () => next++ % spec.population.count : randomMember(spec),
  );
  let mismatches = 0;
  let firstMismatch: string | null = null;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(length === 'sweep' ? { amount: spec.population.count } : { duration: length.seconds }),
    timeout: 30,
    requests: [
      {
        method: spec.method,
        path: spec.path,
        headers: spec.headers,
        setupRequest: (request) => ({ ...request, ...render() }),
        onResponse: (status, body) => {
          if (status >= 200 && status < 300 && body.includes(spec.expect)) return;
          mismatches++;
          firstMismatch ??= `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  return {
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    mismatches,
    errors: result.errors,
    timeouts: result.timeouts,
    firstMismatch,
    serverCpuUsPerRequest: null,
    databaseCpuUsPerRequest: null,
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  if (spec.sweep) await drive(spec, 'sweep');
  if (spec.warmupSeconds > 0) await drive(spec, { seconds: spec.warmupSeconds });
  const cpu = () => ({
    server: spec.serverPid === undefined ? null : cpuSecondsOf(spec.serverPid),
    database: spec.databaseCommand === undefined ? null : cpuSecondsByProcess(spec.databaseCommand),
  });
  const before = cpu();
  const result = await drive(spec, { seconds: spec.durationSeconds });
  const after = cpu();
  const perRequest = (seconds: number | null) =>
    seconds === null || result.requests === 0 ? null : (seconds * 1e6) / result.requests;
  result.serverCpuUsPerRequest = perRequest(
    before.server === null || after.server === null ? null : after.server - before.server,
  );
  result.databaseCpuUsPerRequest = perRequest(cpuSecondsBetween(before.database, after.database));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1]?.endsWith('load.js')) {
  main().catch((error) => {
    process.stderr.write(`${String(error?.stack ?? error)}\n`);
    process.exit(1);
  });
}
