import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { sleep } from './bench-server.js';
import { round } from './bench-tools.js';

/**
 * Round trips to PostgreSQL per request, counted on the wire: one request at a time, the round trips the
 * server begins meanwhile (its latency proxy counts them), less what the same server begins idle in as long
 * a time (periodic tasks), divided by the number of requests.
 */

export interface RoundTripCount {
  name: string;
  database: 'postgres';
  requests: number;
  /** Everything the requests cost, the bookkeeping written after the answers (validation events) included. */
  perRequest: number;
  /** Only those begun between sending a request and its answer: what the caller waits for. */
  beforeAnswer: number;
  /** What the idle server begins per second, subtracted from both. */
  idlePerSecond: number;
  /** Statements per request from pg_stat_statements, idle ones subtracted; null where it is not loaded. */
  statementsPerRequest: number | null;
}

/** A counter that only ever grows: round trips through the proxy, or statements PostgreSQL executed. */
type Tally = () => Promise<number> | number;

/** How long to wait after the last answer for the bookkeeping it queued (written every 250 ms) to be written. */
const SETTLE_MS = 1000;

export async function countRoundTrips(options: {
  name: string;
  requests: number;
  roundTrips: Tally;
  statements: Tally | null;
  /** Sends request number `i` and resolves once its answer is read (and checked). */
  send: (i: number) => Promise<void>;
}): Promise<RoundTripCount> {
  const { requests, roundTrips, statements } = options;
  // One request first, unrecorded: the first use of a connection or statement is not what a request costs.
  await options.send(-1);
  await sleep(SETTLE_MS);

  const started = performance.now();
  const tripsBefore = await roundTrips();
  const statementsBefore = statements ? await statements() : 0;
  let beforeAnswer = 0;
  let waitingMs = 0;
  for (let i = 0; i < requests; i++) {
    const sent = performance.now();
    const before = await roundTrips();
    await options.send(i);
    beforeAnswer += (await roundTrips()) - before;
    waitingMs += performance.now() - sent;
  }
  await sleep(SETTLE_MS);
  const trips = (await roundTrips()) - tripsBefore;
  const statementCount = statements ? (await statements()) - statementsBefore : 0;
  const elapsedMs = performance.now() - started;

  const idleTripsBefore = await roundTrips();
  const idleStatementsBefore = statements ? await statements() : 0;
  await sleep(elapsedMs);
  const idleTrips = (await roundTrips()) - idleTripsBefore;
  const idleStatements = statements ? (await statements()) - idleStatementsBefore : 0;

  const idlePerMs = idleTrips / elapsedMs;
  return {
    name: options.name,
    database: 'postgres',
    requests,
    perRequest: round((trips - idleTrips) / requests, 2),
    beforeAnswer: round((beforeAnswer - idlePerMs * waitingMs) / requests, 2),
    idlePerSecond: round(idlePerMs * 1000, 2),
    statementsPerRequest: statements ? round((statementCount - idleStatements) / requests, 2) : null,
  };
}

/**
 * pg_stat_statements' count of statements executed in `database`, when the cluster preloads it
 * (`shared_preload_libraries`); null otherwise, and the proxy's count is the only one. The count leaves out
 * the queries that read it.
 */
export async function statementTally(
  adminUrl: string,
  database: string,
): Promise<{ tally: Tally; close: () => Promise<void> } | null> {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const preloaded = (
    await client.query<{ shared_preload_libraries: string }>('show shared_preload_libraries')
  ).rows[0]?.shared_preload_libraries;
  if (!preloaded?.split(',').some((name) => name.trim() === 'pg_stat_statements')) {
    await client.end();
    return null;
  }
  await client.query('create extension if not exists pg_stat_statements');
  const tally = async () => {
    const { rows } = await client.query<{ calls: string }>(
      `select coalesce(sum(calls), 0) as calls from pg_stat_statements
        where dbid = (select oid from pg_database where datname = $1) and query not ilike '%pg_stat_statements%'`,
      [database],
    );
    return Number(rows[0]?.calls ?? 0);
  };
  return { tally, close: () => client.end() };
}

/** The median time of one `select 1`, one at a time, on a connection to `url`: what one round trip costs. */
export async function selectOneMs(url: string, times = 200): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const samples: number[] = [];
    for (let i = 0; i < times; i++) {
      const started = performance.now();
      await client.query('select 1');
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return round(samples[samples.length >> 1] as number, 2);
  } finally {
    await client.end();
  }
}
