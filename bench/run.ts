import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { ADMIN_TOKEN, CLI, freePort, ROOT, type RunningServer, startServer } from './bench-server.js';
import { flag, log, option, round } from './bench-tools.js';
import { type BenchDatabase, generateKeys, type Template } from './generate-keys.js';
import { fingerprintOf, keyOf, type LoadResult, type LoadSpec } from './load.js';

/**
 * `npm run bench [-- --quick] [-- --only <text>]`: starts the real server (packages/server/dist/keyward.cjs serve)
 * on SQLite and on PostgreSQL, seeds it, and drives each scenario with a load generator in a process of its
 * own on loopback. Baselines are measured in the same run on the same machine. Results go to
 * bench/results/latest.json and into the table of docs/benchmarks.md.
 */

const BENCH_DIR = resolve(import.meta.dirname, '..');
const RESULTS = join(BENCH_DIR, 'results/latest.json');
const DOC = join(ROOT, 'docs/benchmarks.md');
const KEY_PREFIX = 'BENCH-';
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const POSTGRES_DATABASE = 'keyward_bench';

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
};

interface Scenario {
  name: string;
  database: string | null;
  rps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  rssMb: number | null;
  baseline: string | null;
  ratio: number | null;
}

const scenarios: Scenario[] = [];
const notes: string[] = [];

/** Resident set size of a process in MB (Linux /proc; `ps` elsewhere). */
function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    try {
      return (
        Number(
          execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
            .toString()
            .trim(),
        ) / 1024
      );
    } catch {
      return 0;
    }
  }
}

/** Samples a process's RSS until stopped; returns the peak. */
function rssSampler(pid: number): () => number {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMb(pid));
  };
}

function runNode(script: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(BENCH_DIR, 'dist', script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.once('exit', (code) =>
      code === 0 ? done(out.trim().split('\n').at(-1) ?? '') : fail(new Error(`${script} failed: ${err}`)),
    );
  });
}

async function load(
  spec: Omit<LoadSpec, 'connections' | 'warmupSeconds' | 'durationSeconds'>,
  timing = { warmupSeconds: settings.warmupSeconds, durationSeconds: settings.durationSeconds },
) {
  const full: LoadSpec = { ...spec, connections: settings.connections, ...timing };
  const result = JSON.parse(await runNode('load.js', [JSON.stringify(full)])) as LoadResult;
  if (result.mismatches > 0 || result.errors > 0) {
    throw new Error(
      `${spec.path}: ${result.mismatches} unexpected answers, ${result.errors} errors; first: ${result.firstMismatch}`,
    );
  }
  return result;
}

/** The server; BENCH_PROFILE_DIR=<dir> writes a CPU profile of each server process there when it stops. */
function startBenchServer(databaseUrl: string): Promise<RunningServer> {
  return startServer(databaseUrl, {
    nodeArgs: process.env.BENCH_PROFILE_DIR
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR]
      : [],
    env: process.env.KEYWARD_DURABILITY ? { KEYWARD_DURABILITY: process.env.KEYWARD_DURABILITY } : {},
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
  result: { rps: number; p50Ms: number | null; p99Ms: number | null },
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
    baseline: baseline?.name ?? null,
    ratio: baseline ? round(result.rps / baseline.rps, 3) : null,
  };
  scenarios.push(scenario);
  log(
    `  ${name} [${database ?? '-'}]: ${scenario.rps} rps, p50 ${scenario.p50Ms} ms, p99 ${scenario.p99Ms} ms, ` +
      `rss ${scenario.rssMb} MB${baseline ? `, ${scenario.ratio}× ${baseline.name}` : ''}`,
  );
  return scenario;
}

const wanted = (name: string) => !only || name.toLowerCase().includes(only.toLowerCase());

const baselines: { http?: Scenario; rsa?: Scenario; ed25519?: Scenario } = {};

async function signingBaselines(): Promise<void> {
  const seconds = quick ? 3 : 10;
  for (const [algorithm, key] of [
    ['rsa-2048', 'rsa'],
    ['ed25519', 'ed25519'],
  ] as const) {
    const { threads, perSecond } = JSON.parse(
      await runNode('sign-baseline.js', [algorithm, String(seconds), '700']),
    ) as { threads: number; perSecond: number };
    baselines[key] = record(
      `raw ${algorithm} signing, ${threads} threads`,
      null,
      { rps: perSecond, p50Ms: null, p99Ms: null },
      null,
      null,
    );
  }
}

async function httpBaseline(bodyBytes: number): Promise<void> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(BENCH_DIR, 'dist/bare-server.js'), String(port), String(bodyBytes)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await once(child.stdout, 'data');
  const peak = rssSampler(child.pid as number);
  try {
    const result = await load({
      url: `http://127.0.0.1:${port}`,
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: '{"key":"{key}","fingerprint":"{fp}"}',
      population: { keyPrefix: KEY_PREFIX, firstId: 1, count: settings.smallKeys },
      expect: '"valid":true',
    });
    baselines.http = record(`node:http, fixed ${bodyBytes}-byte JSON`, null, result, peak(), null);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

async function measure(
  server: RunningServer,
  name: string,
  database: string,
  spec: Omit<LoadSpec, 'url' | 'connections' | 'warmupSeconds' | 'durationSeconds'>,
  baseline: Scenario | undefined,
): Promise<Scenario | null> {
  if (!wanted(name)) return null;
  const peak = rssSampler(server.child.pid as number);
  const result = await load({ url: server.url, ...spec });
  return record(name, database, result, peak(), baseline ?? null);
}

async function responseSize(server: RunningServer, body: string): Promise<number> {
  const response = await fetch(`${server.url}/v1/licenses/actions/validate-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return (await response.arrayBuffer()).byteLength;
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

async function runDatabase(kind: string): Promise<void> {
  const prepared = await prepareDatabase(kind);
  if (!prepared) return;
  log(`\n${kind}: seeding ${settings.smallKeys} keys`);
  const server = await startBenchServer(prepared.url);
  try {
    const seeded = await seed(server, prepared.database, settings.smallKeys);
    const population = {
      keyPrefix: KEY_PREFIX,
      firstId: seeded.template.licenseId,
      count: settings.smallKeys,
    };
    if (!baselines.http && wanted('node:http')) {
      const size = await responseSize(
        server,
        JSON.stringify({ key: keyOf(KEY_PREFIX, 0), fingerprint: fingerprintOf(0) }),
      );
      await httpBaseline(size);
    }
    const json = { 'content-type': 'application/json' };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const token = encodeURIComponent(seeded.appToken);
    const validateUnsigned = {
      method: 'POST' as const,
      path: '/v1/licenses/actions/validate-key',
      headers: json,
      body: '{"key":"{key}","fingerprint":"{fp}","sign":false}',
      population,
      expect: '"valid":true',
    };
    // The first measurement after seeding ran visibly slower (JIT, a cold page cache, the seed's WAL): warm
    // the server up on the validate path first, unrecorded.
    await load(
      { url: server.url, ...validateUnsigned },
      { warmupSeconds: 0, durationSeconds: settings.warmupSeconds + 1 },
    );
    const unsigned = await measure(
      server,
      'native validate, unsigned',
      kind,
      validateUnsigned,
      baselines.http,
    );
    await measure(
      server,
      'native validate, signed (Ed25519)',
      kind,
      { ...validateUnsigned, body: '{"key":"{key}","fingerprint":"{fp}","nonce":"{seq}"}' },
      baselines.http,
    );
    await measure(
      server,
      'Cryptolens GetKey, SignMethod=1 (RSA-2048)',
      kind,
      {
        method: 'POST',
        path: '/cryptolens/api/key/GetKey',
        headers: form,
        body: `token=${token}&ProductId=${seeded.productId}&Key={key}&Sign=true&SignMethod=1`,
        population,
        expect: '"result":0',
      },
      baselines.rsa,
    );
    await measure(
      server,
      'LimeLM pkey.getDetails',
      kind,
      {
        method: 'POST',
        path: '/api/rest/',
        headers: form,
        body: `api_key=${token}&method=limelm.pkey.getDetails&pkey_id={id}`,
        population,
        expect: 'stat="ok"',
      },
      baselines.http,
    );
    await measure(
      server,
      'native activate, new machine',
      kind,
      {
        method: 'POST',
        path: '/v1/machines',
        headers: { ...json, authorization: 'License {key}' },
        body: '{"fingerprint":"new-{seq}"}',
        population,
        expect: '"fingerprint":"new-',
      },
      baselines.http,
    );
    await measure(
      server,
      'Cryptolens Activate, new machine, SignMethod=1 (RSA-2048)',
      kind,
      {
        method: 'POST',
        path: '/cryptolens/api/key/Activate',
        headers: form,
        body: `token=${token}&ProductId=${seeded.productId}&Key={key}&MachineCode=new-{seq}&Sign=true&SignMethod=1`,
        population,
        expect: '"result":0',
      },
      baselines.rsa,
    );
    if (settings.scaleDatabases.includes(kind) && wanted('native validate, unsigned')) {
      const large = settings.largeKeys;
      log(`  growing to ${large} keys with one machine each`);
      const started = Date.now();
      await generateKeys(prepared.database, seeded.template, settings.smallKeys, large);
      log(`  generated ${large - settings.smallKeys} keys in ${round((Date.now() - started) / 1000, 1)} s`);
      await measure(
        server,
        `native validate, unsigned, ${large.toLocaleString('en-US')} keys`,
        kind,
        { ...validateUnsigned, population: { ...population, count: large } },
        unsigned ?? undefined,
      );
    }
  } finally {
    await server.stop();
    // The grown SQLite file is large; the PostgreSQL database stays until the next run drops it.
    if (prepared.database.kind === 'sqlite')
      rmSync(dirname(prepared.database.path), { recursive: true, force: true });
  }
}

interface Target {
  target: string;
  value: string;
  pass: boolean;
}

function targets(): Target[] {
  const find = (name: string, database = 'sqlite') =>
    scenarios.find((s) => s.name.startsWith(name) && s.database === database);
  const list: Target[] = [];
  const unsigned = find('native validate, unsigned');
  if (unsigned?.ratio != null && unsigned.p99Ms !== null)
    list.push({
      target: 'native validate unsigned (SQLite) ≥ 0.50× node:http, p99 ≤ 10 ms at 50 connections',
      value: `${unsigned.ratio}×, p99 ${unsigned.p99Ms} ms`,
      pass: unsigned.ratio >= 0.5 && unsigned.p99Ms <= 10,
    });
  const signed = find('native validate, signed');
  if (signed?.ratio != null)
    list.push({
      target: 'native validate signed with Ed25519 (SQLite) ≥ 0.35× node:http',
      value: `${signed.ratio}×`,
      pass: signed.ratio >= 0.35,
    });
  for (const database of ['sqlite', 'postgres']) {
    const getKey = find('Cryptolens GetKey', database);
    if (getKey?.ratio != null && getKey.p99Ms !== null)
      list.push({
        target: `Cryptolens GetKey RSA-2048 (${database}) ≥ 0.60× raw RSA signing over all cores, p99 ≤ 30 ms`,
        value: `${getKey.ratio}×, p99 ${getKey.p99Ms} ms`,
        pass: getKey.ratio >= 0.6 && getKey.p99Ms <= 30,
      });
  }
  for (const database of ['sqlite', 'postgres']) {
    const activate = find('native activate', database);
    if (activate)
      list.push({
        target: `activation of new machines (${database}, durable commits) ≥ 2,000/s`,
        value: `${activate.rps}/s`,
        pass: activate.rps >= 2000,
      });
  }
  for (const database of ['sqlite', 'postgres']) {
    const small = find('native validate, unsigned', database);
    const large = scenarios.find(
      (s) => s.database === database && /^native validate, unsigned, [\d,]+ keys$/.test(s.name),
    );
    if (small?.p50Ms != null && large?.p50Ms != null) {
      const growth = large.p50Ms / small.p50Ms - 1;
      list.push({
        target: `validate p50 at ${large.name.split(', ').at(-1)} within 20% of 10,000 keys (${database})`,
        value: `${small.p50Ms} → ${large.p50Ms} ms (${growth >= 0 ? '+' : ''}${round(growth * 100, 0)}%)`,
        pass: growth <= 0.2,
      });
      list.push({
        target: `RSS ≤ 300 MB with ${large.name.split(', ').at(-1)} (${database})`,
        value: `${large.rssMb} MB`,
        pass: (large.rssMb ?? Infinity) <= 300,
      });
    }
  }
  return list;
}

function machine() {
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
  };
}

function markdownTable(
  results: { scenarios: Scenario[]; targets: Target[] },
  info: ReturnType<typeof machine>,
) {
  const cell = (value: number | string | null) => (value === null ? '–' : String(value));
  const lines = [
    `Run of ${info.date} (${info.quick ? 'quick' : 'full'}: ${info.durationSeconds} s per scenario after ` +
      `${info.warmupSeconds} s warm-up, ${info.connections} connections) on ${info.cpus}× ${info.cpuModel}, ` +
      `${info.memoryGb} GB, ${info.os}, Node ${info.node}; load average at start ${info.loadAverageAtStart.join(' ')}.`,
    '',
    '| scenario | database | req/s | p50 ms | p99 ms | peak RSS MB | baseline | ratio |',
    '|---|---|--:|--:|--:|--:|---|--:|',
    ...results.scenarios.map(
      (s) =>
        `| ${s.name} | ${cell(s.database)} | ${s.rps} | ${cell(s.p50Ms)} | ${cell(s.p99Ms)} | ${cell(s.rssMb)} | ${cell(s.baseline)} | ${cell(s.ratio)} |`,
    ),
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...results.targets.map((t) => `| ${t.target} | ${t.value} | ${t.pass ? 'yes' : '**no**'} |`),
    ...(notes.length ? ['', ...notes.map((n) => `Note: ${n}.`)] : []),
  ];
  return lines.join('\n');
}

function writeDoc(table: string): void {
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const current = existsSync(DOC) ? readFileSync(DOC, 'utf8') : `# Benchmarks\n\n${start}\n${end}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from + start.length)}\n${table}\n${current.slice(to)}`
      : `${current.trimEnd()}\n\n${start}\n${table}\n${end}\n`;
  writeFileSync(DOC, next);
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the server first (npm run build)`);
  const info = machine();
  const started = Date.now();
  log(`keyward bench (${quick ? 'quick' : 'full'}), ${info.cpus}× ${info.cpuModel}`);
  if (wanted('signing') || wanted('GetKey') || wanted('Activate')) await signingBaselines();
  for (const kind of settings.databases) await runDatabase(kind);
  const results = { machine: info, scenarios, targets: targets(), notes };
  // A partial run (--only) must not replace the complete results the document describes.
  const file = only ? join(tmpdir(), `keyward-bench-partial-${process.pid}.json`) : RESULTS;
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  if (!only) writeDoc(markdownTable(results, info));
  log(`\nwrote ${file}${only ? '' : ` and ${DOC}`} in ${round((Date.now() - started) / 1000, 0)} s`);
  for (const t of results.targets) log(`  ${t.pass ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${String(error?.stack ?? error)}\n`);
  process.exit(1);
});
