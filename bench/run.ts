import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { type BaselineKind, measureBaseline } from './baselines.js';
import {
  ADMIN_TOKEN,
  CLI,
  ROOT,
  type RunningServer,
  SERVER_THREAD_POOL_SIZE,
  startServer,
} from './bench-server.js';
import { flag, log, option, round } from './bench-tools.js';
import { type BenchDatabase, generateKeys, type Template } from './generate-keys.js';
import { fingerprintOf, keyOf, type LoadResult, type LoadSpec } from './load.js';
import { type LatencyProxy, startLatencyProxy } from './pg-latency-proxy.js';
import { rssSampler, runBenchScript, runLoad } from './processes.js';
import { markdownTable, type Results, type RunInfo, writeDoc } from './report.js';
import { countRoundTrips, type RoundTripCount, selectOneMs, statementTally } from './round-trips.js';
import { NAMES, type Scenario } from './scenarios.js';
import { targets } from './targets.js';

/**
 * `npm run bench [-- --quick] [-- --only <text>]`: starts the real server (packages/server/dist/keyward.cjs serve)
 * on SQLite and on PostgreSQL, seeds it, and drives each scenario with a load generator in a process of its
 * own on loopback. Baselines are measured in the same run on the same machine. On PostgreSQL it also measures
 * through a proxy that puts the database a millisecond away, and counts round trips per request. Results go to
 * bench/results/latest.json and into the table of docs/benchmarks.md.
 */

const BENCH_DIR = resolve(import.meta.dirname, '..');
const RESULTS = join(BENCH_DIR, 'results/latest.json');
const DOC = join(ROOT, 'docs/benchmarks.md');
const KEY_PREFIX = 'BENCH-';
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const POSTGRES_DATABASE = 'keyward_bench';
/** Requests sent one at a time to count round trips per request. */
const ROUND_TRIP_REQUESTS = 200;
/** Turns the server's in-process cache of license reads off. */
const CACHE_OFF = { KEYWARD_CACHE_ENTRIES: '0' };

const quick = flag('--quick');
const only = option('--only');
const settings = {
  quick,
  connections: Number(option('--connections') ?? 50),
  warmupSeconds: Number(option('--warmup') ?? (quick ? 2 : 5)),
  durationSeconds: Number(option('--duration') ?? (quick ? 5 : 20)),
  smallKeys: 10_000,
  largeKeys: Number(option('--keys') ?? 1_000_000),
  /** The quick run grows only the SQLite database to a million keys; the full run grows both. */
  scaleDatabases: (option('--scale') ?? (quick ? 'sqlite' : 'sqlite,postgres')).split(','),
  databases: (option('--databases') ?? 'sqlite,postgres').split(','),
  /** PostgreSQL this many ms away, each way, through the latency proxy; 0 skips those scenarios. */
  pgLatencyMs: Number(option('--pg-latency') ?? 1),
};

const scenarios: Scenario[] = [];
const roundTrips: RoundTripCount[] = [];
const notes: string[] = [];

type Spec = Omit<LoadSpec, 'url' | 'connections' | 'warmupSeconds' | 'durationSeconds'>;

function load(
  spec: Omit<LoadSpec, 'connections' | 'warmupSeconds' | 'durationSeconds'>,
  timing = { warmupSeconds: settings.warmupSeconds, durationSeconds: settings.durationSeconds },
): Promise<LoadResult> {
  return runLoad({ ...spec, connections: settings.connections, ...timing });
}

/**
 * The server; BENCH_PROFILE_DIR=<dir> writes a CPU profile of each server process there when it stops, and
 * BENCH_SERVER_NODE_ARGS adds Node options to it (space-separated: `--max-semi-space-size=32`).
 */
function startBenchServer(databaseUrl: string, env: Record<string, string> = {}): Promise<RunningServer> {
  return startServer(databaseUrl, {
    nodeArgs: [
      ...(process.env.BENCH_PROFILE_DIR
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR]
        : []),
      ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
    env: {
      ...(process.env.KEYWARD_DURABILITY ? { KEYWARD_DURABILITY: process.env.KEYWARD_DURABILITY } : {}),
      ...(process.env.KEYWARD_PG_POOL_SIZE ? { KEYWARD_PG_POOL_SIZE: process.env.KEYWARD_PG_POOL_SIZE } : {}),
      ...env,
    },
  });
}

async function api<T>(server: RunningServer, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Seeded {
  template: Template;
  productId: number;
  appToken: string;
}

/** A product, a policy of 100 seats, the template key with one machine, an app token; then the copies. */
async function seed(server: RunningServer, database: BenchDatabase, count: number): Promise<Seeded> {
  const product = await api<{ id: number }>(server, '/v1/products', { name: 'Bench App' });
  const policy = await api<{ id: number }>(server, '/v1/policies', {
    productId: product.id,
    name: 'Bench',
    maxMachines: 100,
  });
  const license = await api<{ id: number }>(server, '/v1/licenses', {
    policyId: policy.id,
    key: keyOf(KEY_PREFIX, 0),
    email: 'buyer@example.com',
  });
  const machine = await api<{ id: number }>(server, '/v1/machines', {
    licenseId: license.id,
    fingerprint: fingerprintOf(0),
    name: 'bench machine',
  });
  const token = await api<{ secret: string }>(server, '/v1/tokens', {
    name: 'bench app',
    scopes: ['licenses:read', 'licenses:validate', 'machines:write'],
  });
  const template = { licenseId: license.id, machineId: machine.id, prefix: KEY_PREFIX };
  await generateKeys(database, template, 1, count);
  return { template, productId: product.id, appToken: token.secret };
}

function record(
  name: string,
  database: string | null,
  result: {
    rps: number;
    p50Ms: number | null;
    p99Ms: number | null;
    serverCpuUsPerRequest?: number | null;
    databaseCpuUsPerRequest?: number | null;
  },
  rss: number | null,
  baseline: Scenario | null,
): Scenario {
  const scenario: Scenario = {
    name,
    database,
    rps: round(result.rps, 0),
    p50Ms: result.p50Ms === null ? null : round(result.p50Ms, 2),
    p99Ms: result.p99Ms === null ? null : round(result.p99Ms, 2),
    rssMb: rss === null ? null : round(rss, 0),
    cpuUsPerRequest: result.serverCpuUsPerRequest == null ? null : round(result.serverCpuUsPerRequest, 0),
    databaseCpuUsPerRequest:
      result.databaseCpuUsPerRequest == null ? null : round(result.databaseCpuUsPerRequest, 0),
    baseline: baseline?.name ?? null,
    ratio: baseline ? round(result.rps / baseline.rps, 3) : null,
  };
  scenarios.push(scenario);
  log(
    `  ${name} [${database ?? '-'}]: ${scenario.rps} rps, p50 ${scenario.p50Ms} ms, p99 ${scenario.p99Ms} ms, ` +
      `rss ${scenario.rssMb} MB, cpu ${scenario.cpuUsPerRequest} µs/req` +
      `${scenario.databaseCpuUsPerRequest == null ? '' : ` (database ${scenario.databaseCpuUsPerRequest})`}${baseline ? `, ${scenario.ratio}× ${baseline.name}` : ''}`,
  );
  return scenario;
}

const wanted = (name: string) => !only || name.toLowerCase().includes(only.toLowerCase());
const wantedAny = (names: string[]) => names.some(wanted);

/** Raw signing over all cores, as information (no scenario divides by it): what signing alone could do. */
async function rawSigning(): Promise<void> {
  const seconds = quick ? 3 : 10;
  for (const algorithm of ['rsa-2048', 'ed25519']) {
    const { threads, perSecond } = JSON.parse(
      await runBenchScript('sign-baseline.js', [algorithm, String(seconds), '700']),
    ) as { threads: number; perSecond: number };
    const name = `raw ${algorithm} signing, ${threads} threads`;
    if (wanted(name)) record(name, null, { rps: perSecond, p50Ms: null, p99Ms: null }, null, null);
  }
}

const baselines: { http?: Scenario; ed25519?: Scenario; rsa?: Scenario } = {};

/** Which scenarios divide by which baseline: a baseline runs when it or one of them is wanted. */
function baselineUsers(ms: number): Record<keyof typeof baselines, string[]> {
  const httpUsers = [NAMES.validateUnsigned, NAMES.validateCacheOff, NAMES.getDetails, NAMES.activate];
  return {
    http: [
      'node:http, fixed',
      ...httpUsers,
      ...httpUsers.map((name) => NAMES.away(name, ms)),
      NAMES.validateBeforeGrowth(settings.smallKeys),
    ],
    ed25519: ['node:http + Ed25519 signature', NAMES.validateSigned],
    rsa: ['node:http + RSA-2048 signature', NAMES.getKey, NAMES.cryptolensActivate],
  };
}

/** The size of the body a request gets in answer, so that each baseline answers as much. */
async function answerSize(
  server: RunningServer,
  path: string,
  contentType: string,
  body: string,
): Promise<number> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  const bytes = (await response.arrayBuffer()).byteLength;
  if (!response.ok) throw new Error(`POST ${path}: ${response.status}`);
  return bytes;
}

/** The three baselines, once per run, sized by the answers of the first database's server. */
async function measureBaselines(server: RunningServer, seeded: Seeded, population: Spec['population']) {
  const users = baselineUsers(settings.pgLatencyMs);
  const json = 'application/json';
  const form = 'application/x-www-form-urlencoded';
  const key = keyOf(KEY_PREFIX, 0);
  const fingerprint = fingerprintOf(0);
  const validate = '/v1/licenses/actions/validate-key';
  const plan: [keyof typeof baselines, BaselineKind, () => Promise<number>, (bytes: number) => string][] = [
    [
      'http',
      'plain',
      () => answerSize(server, validate, json, JSON.stringify({ key, fingerprint, sign: false })),
      NAMES.httpBaseline,
    ],
    [
      'ed25519',
      'ed25519',
      () => answerSize(server, validate, json, JSON.stringify({ key, fingerprint, nonce: 'n-000000000001' })),
      NAMES.ed25519Baseline,
    ],
    [
      'rsa',
      'rsa-2048',
      () =>
        answerSize(
          server,
          '/cryptolens/api/key/GetKey',
          form,
          `token=${encodeURIComponent(seeded.appToken)}&ProductId=${seeded.productId}&Key=${key}&Sign=true&SignMethod=1`,
        ),
      (bytes) => NAMES.rsaBaseline(bytes, SERVER_THREAD_POOL_SIZE),
    ],
  ];
  for (const [slot, kind, size, name] of plan) {
    if (baselines[slot] || !wantedAny(users[slot])) continue;
    const measured = await measureBaseline(kind, await size(), load, population);
    baselines[slot] = record(name(measured.bytes), null, measured.result, measured.rssMb, null);
  }
}

async function measure(
  server: RunningServer,
  name: string,
  database: string,
  spec: Spec,
  baseline: Scenario | undefined,
  /** Measured even when --only leaves it out, because a wanted scenario divides by it. */
  needed = false,
): Promise<Scenario | null> {
  if (!needed && !wanted(name)) return null;
  const peak = rssSampler(server.child.pid as number);
  const result = await load({
    url: server.url,
    ...spec,
    serverPid: server.child.pid,
    ...(database === 'postgres' ? { databaseCommand: 'postgres' } : {}),
  });
  return record(name, database, result, peak(), baseline ?? null);
}

/**
 * The first measurement after a server starts ran visibly slower (JIT, a cold page cache, the seed's WAL):
 * each server is warmed up on the validate path first, unrecorded, having validated each key once (`sweep`),
 * as a server that has run for a while has.
 */
function warmUp(server: RunningServer, validate: Spec): Promise<LoadResult> {
  return load(
    { url: server.url, ...validate, sweep: true },
    { warmupSeconds: 0, durationSeconds: settings.warmupSeconds + 1 },
  );
}

async function prepareDatabase(kind: string): Promise<{ url: string; database: BenchDatabase } | null> {
  if (kind === 'sqlite') {
    const dir = join(tmpdir(), `keyward-bench-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'keyward.sqlite');
    return { url: path, database: { kind: 'sqlite', path } };
  }
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    notes.push(
      `PostgreSQL at ${POSTGRES_ADMIN_URL} was unreachable (${String(error)}); its scenarios did not run`,
    );
    log(`  skipping PostgreSQL: ${String(error)}`);
    return null;
  }
  try {
    // A database of the bench's own, created fresh each run.
    await admin.query(`drop database if exists ${POSTGRES_DATABASE} with (force)`);
    await admin.query(`create database ${POSTGRES_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${POSTGRES_DATABASE}`;
  return { url: url.toString(), database: { kind: 'postgres', url: url.toString() } };
}

/** The requests of every scenario, for one seeded database. */
function requestsOf(seeded: Seeded) {
  const population = { keyPrefix: KEY_PREFIX, firstId: seeded.template.licenseId, count: 0 };
  const json = { 'content-type': 'application/json' };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const token = encodeURIComponent(seeded.appToken);
  const validateUnsigned: Spec = {
    method: 'POST',
    path: '/v1/licenses/actions/validate-key',
    headers: json,
    body: '{"key":"{key}","fingerprint":"{fp}","sign":false}',
    population: { ...population, count: settings.smallKeys },
    expect: '"valid":true',
  };
  const at10k = validateUnsigned.population;
  return {
    population: at10k,
    validateUnsigned,
    validateSigned: { ...validateUnsigned, body: '{"key":"{key}","fingerprint":"{fp}","nonce":"{seq}"}' },
    getKey: {
      method: 'POST',
      path: '/cryptolens/api/key/GetKey',
      headers: form,
      body: `token=${token}&ProductId=${seeded.productId}&Key={key}&Sign=true&SignMethod=1`,
      population: at10k,
      expect: '"result":0',
    },
    getDetails: {
      method: 'POST',
      path: '/api/rest/',
      headers: form,
      body: `api_key=${token}&method=limelm.pkey.getDetails&pkey_id={id}`,
      population: at10k,
      expect: 'stat="ok"',
    },
    activate: {
      method: 'POST',
      path: '/v1/machines',
      headers: { ...json, authorization: 'License {key}' },
      body: '{"fingerprint":"new-{seq}"}',
      population: at10k,
      expect: '"fingerprint":"new-',
    },
    cryptolensActivate: {
      method: 'POST',
      path: '/cryptolens/api/key/Activate',
      headers: form,
      body: `token=${token}&ProductId=${seeded.productId}&Key={key}&MachineCode=new-{seq}&Sign=true&SignMethod=1`,
      population: at10k,
      expect: '"result":0',
    },
  } satisfies Record<string, Spec | Spec['population']>;
}

type Requests = ReturnType<typeof requestsOf>;

async function runDatabase(kind: string): Promise<void> {
  const prepared = await prepareDatabase(kind);
  if (!prepared) return;
  log(`\n${kind}: seeding ${settings.smallKeys} keys`);
  const server = await startBenchServer(prepared.url);
  try {
    const seeded = await seed(server, prepared.database, settings.smallKeys);
    const requests = requestsOf(seeded);
    await measureBaselines(server, seeded, requests.population);
    await warmUp(server, requests.validateUnsigned);
    const unsigned = await measure(
      server,
      NAMES.validateUnsigned,
      kind,
      requests.validateUnsigned,
      baselines.http,
    );
    await measure(server, NAMES.validateSigned, kind, requests.validateSigned, baselines.ed25519);
    await validateWithCacheOff(prepared.url, kind, requests);
    await measure(server, NAMES.getKey, kind, requests.getKey, baselines.rsa);
    await measure(server, NAMES.getDetails, kind, requests.getDetails, baselines.http);
    await measure(server, NAMES.activate, kind, requests.activate, baselines.http);
    await measure(server, NAMES.cryptolensActivate, kind, requests.cryptolensActivate, baselines.rsa);
    if (kind === 'postgres') await awayFromDatabase(prepared.url, requests);
    if (settings.scaleDatabases.includes(kind) && wanted(NAMES.validateGrown(settings.largeKeys))) {
      // Measured again right before the growth, in the same server: the same state the large run sees,
      // but for the size of its table, so the comparison is not against the freshest minute of the server.
      const before = await measure(
        server,
        NAMES.validateBeforeGrowth(settings.smallKeys),
        kind,
        requests.validateUnsigned,
        baselines.http,
        true,
      );
      const large = settings.largeKeys;
      log(`  growing to ${large} keys with one machine each`);
      const started = Date.now();
      await generateKeys(prepared.database, seeded.template, settings.smallKeys, large);
      log(`  generated ${large - settings.smallKeys} keys in ${round((Date.now() - started) / 1000, 1)} s`);
      const grown = { ...requests.validateUnsigned, population: { ...requests.population, count: large } };
      const baseline = before ?? unsigned ?? undefined;
      await measure(server, NAMES.validateGrownFirstReads(large), kind, grown, baseline);
      // Each installed copy validates now and then: a server that has run for a while has seen every key.
      const sweepStarted = Date.now();
      await load({ url: server.url, ...grown, sweep: true }, { warmupSeconds: 0, durationSeconds: 1 });
      const sweptMs = Date.now() - sweepStarted;
      log(
        `  validated each of the ${large} keys once in ${round(sweptMs / 1000, 0)} s (${round((large * 1000) / sweptMs, 0)}/s)`,
      );
      await measure(server, NAMES.validateGrown(large), kind, grown, baseline);
    }
  } finally {
    await server.stop();
    // The grown SQLite file is large; the PostgreSQL database stays until the next run drops it.
    if (prepared.database.kind === 'sqlite')
      rmSync(dirname(prepared.database.path), { recursive: true, force: true });
  }
}

/** Validate from a second server on the same database whose cache of license reads is off: every read a miss. */
async function validateWithCacheOff(databaseUrl: string, kind: string, requests: Requests): Promise<void> {
  if (!wanted(NAMES.validateCacheOff)) return;
  const server = await startBenchServer(databaseUrl, CACHE_OFF);
  try {
    await warmUp(server, requests.validateUnsigned);
    await measure(server, NAMES.validateCacheOff, kind, requests.validateUnsigned, baselines.http);
  } finally {
    await server.stop();
  }
}

/**
 * PostgreSQL `pgLatencyMs` away each way (the latency proxy), one server with its cache and one without:
 * round trips per request counted on the wire, then validate and activation under load. With --pg-latency 0
 * the proxy adds no delay and only the round trips are counted.
 */
async function awayFromDatabase(databaseUrl: string, requests: Requests): Promise<void> {
  const ms = settings.pgLatencyMs;
  const plans = [
    {
      env: {},
      counts: [
        { name: `round trips: ${NAMES.validateUnsigned}, cache hit (the same key)`, send: sendValidate },
        { name: `round trips: ${NAMES.activate}`, send: sendActivate },
        // The same licenses again: each was kept in memory by its first activation, as an app's next request finds it.
        {
          name: `round trips: ${NAMES.activate}, license in memory (its second machine)`,
          send: (server: RunningServer, i: number) => sendActivate(server, i, 'again'),
        },
        {
          name: `round trips: ${NAMES.getKey}, cache hit (the same key)`,
          send: sendFirstKey(requests.getKey),
        },
      ],
      loads: [
        { name: NAMES.validateUnsigned, spec: requests.validateUnsigned },
        { name: NAMES.activate, spec: requests.activate },
      ],
    },
    {
      env: CACHE_OFF,
      counts: [{ name: `round trips: ${NAMES.validateCacheOff} (the same key)`, send: sendValidate }],
      loads: [{ name: NAMES.validateCacheOff, spec: requests.validateUnsigned }],
    },
  ].map((plan) => ({
    env: plan.env,
    counts: plan.counts.filter((count) => wanted(count.name)),
    loads: ms > 0 ? plan.loads.filter((scenario) => wanted(NAMES.away(scenario.name, ms))) : [],
  }));
  if (plans.every((plan) => plan.counts.length === 0 && plan.loads.length === 0)) return;
  if (ms > 0) await noteProxyRoundTrip(databaseUrl, ms);
  const statements = await statementTally(POSTGRES_ADMIN_URL, POSTGRES_DATABASE);
  if (!statements) {
    notes.push(
      'pg_stat_statements is not in shared_preload_libraries of this PostgreSQL cluster, so round trips are ' +
        'the proxy’s count alone (Sync and simple Query messages on the wire)',
    );
  }
  try {
    for (const { env, counts, loads } of plans) {
      if (counts.length === 0 && loads.length === 0) continue;
      const proxy = await startLatencyProxy(proxyTarget(databaseUrl), ms);
      const server = await startBenchServer(throughProxy(databaseUrl, proxy), env);
      try {
        for (const count of counts) {
          const counted = await countRoundTrips({
            name: count.name,
            requests: ROUND_TRIP_REQUESTS,
            roundTrips: proxy.roundTrips,
            statements: statements?.tally ?? null,
            send: (i) => count.send(server, i),
          });
          roundTrips.push(counted);
          log(
            `  ${counted.name}: ${counted.perRequest} per request, ${counted.beforeAnswer} before the answer ` +
              `(idle ${counted.idlePerSecond}/s${counted.statementsPerRequest === null ? '' : `, ${counted.statementsPerRequest} statements`})`,
          );
        }
        if (loads.length > 0) await warmUp(server, requests.validateUnsigned);
        for (const scenario of loads) {
          const name = NAMES.away(scenario.name, ms);
          proxy.meanHoldMs();
          await measure(server, name, 'postgres', scenario.spec, baselines.http);
          const held = proxy.meanHoldMs();
          if (held !== null) notes.push(`${name}: the proxy held each chunk ${round(held, 3)} ms on average`);
        }
      } finally {
        await server.stop();
        await proxy.close();
      }
    }
  } finally {
    await statements?.close();
  }
}

/** Where the latency proxy forwards to: the PostgreSQL that `databaseUrl` names. */
function proxyTarget(databaseUrl: string): { host: string; port: number } {
  const url = new URL(databaseUrl);
  return { host: url.hostname, port: Number(url.port || 5432) };
}

/** `databaseUrl` with the proxy in the place of PostgreSQL. */
function throughProxy(databaseUrl: string, proxy: LatencyProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}

/** What one round trip costs directly and through the proxy, so the delay the proxy really adds is known. */
async function noteProxyRoundTrip(databaseUrl: string, ms: number): Promise<void> {
  const proxy = await startLatencyProxy(proxyTarget(databaseUrl), ms);
  try {
    const directMs = await selectOneMs(databaseUrl);
    const proxiedMs = await selectOneMs(throughProxy(databaseUrl, proxy));
    notes.push(
      `a \`select 1\` round trip took ${directMs} ms directly and ${proxiedMs} ms through the proxy at ${ms} ms each way (median of 200, one at a time)`,
    );
    log(`  select 1: ${directMs} ms directly, ${proxiedMs} ms through the proxy at ${ms} ms each way`);
  } finally {
    await proxy.close();
  }
}

/** Validates the first key (always the same, so a cache answers it after the first time). */
async function sendValidate(server: RunningServer): Promise<void> {
  const response = await fetch(`${server.url}/v1/licenses/actions/validate-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: keyOf(KEY_PREFIX, 0), fingerprint: fingerprintOf(0), sign: false }),
  });
  const text = await response.text();
  if (!response.ok || !text.includes('"valid":true')) throw new Error(`validate: ${response.status} ${text}`);
}

/** Sends a scenario's request for the first key of its population (placeholders as load.ts fills them). */
function sendFirstKey(spec: Spec) {
  return async (server: RunningServer, i: number): Promise<void> => {
    const fill = (text: string) =>
      text
        .replaceAll('{key}', keyOf(KEY_PREFIX, 0))
        .replaceAll('{id}', String(spec.population.firstId))
        .replaceAll('{fp}', fingerprintOf(0))
        .replaceAll('{seq}', String(i + 1));
    const response = await fetch(`${server.url}${spec.path}`, {
      method: spec.method,
      headers: spec.headers,
      body: fill(spec.body),
    });
    const text = await response.text();
    if (!response.ok || !text.includes(spec.expect))
      throw new Error(`${spec.path}: ${response.status} ${text}`);
  };
}

/** Activates a new machine on the i-th key after the first hundred (one each, far from their seat limit). */
const activationRun = Date.now().toString(36);
async function sendActivate(server: RunningServer, i: number, round = 'first'): Promise<void> {
  const fingerprint = `trips-${activationRun}-${round}-${i}`;
  const response = await fetch(`${server.url}/v1/machines`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `License ${keyOf(KEY_PREFIX, 101 + i)}` },
    body: JSON.stringify({ fingerprint }),
  });
  const text = await response.text();
  if (response.status !== 201 || !text.includes(fingerprint)) {
    throw new Error(`activate: ${response.status} ${text}`);
  }
}

function machine(): RunInfo & Record<string, unknown> {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model ?? 'unknown',
    cpus: cores.length,
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    loadAverageAtStart: loadavg().map((v) => round(v, 2)),
    date: new Date().toISOString(),
    quick,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    keys: settings.smallKeys,
    scaleKeys: settings.largeKeys,
    pgLatencyMs: settings.pgLatencyMs,
  };
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the server first (npm run build)`);
  const info = machine();
  const started = Date.now();
  log(`keyward bench (${quick ? 'quick' : 'full'}), ${info.cpus}× ${info.cpuModel}`);
  if (wanted('raw rsa-2048 signing') || wanted('raw ed25519 signing')) await rawSigning();
  for (const kind of settings.databases) await runDatabase(kind);
  const results: Results = {
    machine: { ...info, loadAverageAtEnd: loadavg().map((v) => round(v, 2)) },
    scenarios,
    roundTrips,
    targets: targets(scenarios, settings),
    notes,
  };
  // A partial run (--only) must not replace the complete results the document describes.
  const file = only ? join(tmpdir(), `keyward-bench-partial-${process.pid}.json`) : RESULTS;
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  if (!only) writeDoc(DOC, markdownTable(results));
  log(`\nwrote ${file}${only ? '' : ` and ${DOC}`} in ${round((Date.now() - started) / 1000, 0)} s`);
  for (const t of results.targets) {
    log(`  ${t.pass === null ? 'n/a   ' : t.pass ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${String(error?.stack ?? error)}\n`);
  process.exit(1);
});
