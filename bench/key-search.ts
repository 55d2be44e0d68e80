import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { CLI, call, ROOT, type RunningServer, startServer } from './bench-server.js';
import { log, option, random, round } from './bench-tools.js';

/**
 * `npm run bench:search [-- --keys <n>] [-- --databases sqlite,postgres] [-- --repeats <n>]`: how fast the
 * native key search answers at a million licenses. Starts the real server on SQLite and on PostgreSQL, makes
 * one license through the API, copies it to `--keys` licenses with random keys in the default format
 * (XXXXX-XXXXX-XXXXX-XXXXX; every tenth behind a fixed `ACME-`), then times `GET /v1/licenses?key=…` (a
 * page of up to 100) for a prefix, a middle fragment, a whole key typed in lower case without dashes, common
 * short fragments, fragments that match nothing and one that a tenth of the keys share (first page and a
 * page from the middle); and `GET /v1/events?key=…`. One request at a time: this is the latency a person at the
 * search box sees. On PostgreSQL it also times the fragments without the trigram index (the fallback when
 * pg_trgm cannot be installed). Results go to bench/results/key-search.json and into docs/benchmarks.md.
 */

const BENCH_DIR = resolve(import.meta.dirname, '..');
const RESULTS = join(BENCH_DIR, 'results/key-search.json');
const DOC = join(ROOT, 'docs/benchmarks.md');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const POSTGRES_DATABASE = 'keyward_bench_search';
/** The server's default key alphabet and format (core/licenses/license-key.ts). */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const BATCH = 50_000;
/** The product code in front of every tenth key: a fragment 100,000 keys share at a million. */
const SHARED = 'ACME';

const settings = {
  keys: Number(option('--keys') ?? 1_000_000),
  databases: (option('--databases') ?? 'sqlite,postgres').split(','),
  repeats: Number(option('--repeats') ?? 30),
};

/** Random keys in the default format; every tenth has a fixed product code in front, as some vendors' do. */
function randomKeys(count: number, seed: number): string[] {
  const next = random(seed);
  const keys = new Set<string>();
  while (keys.size < count) {
    let key = keys.size % 10 === 9 ? `${SHARED}-` : '';
    for (let i = 0; i < 20; i++)
      key += `${i > 0 && i % 5 === 0 ? '-' : ''}${ALPHABET[Math.floor(next() * 32)]}`;
    keys.add(key);
  }
  return [...keys];
}

/** Copies the template license once per key, in batches, inserted by the database itself. */
async function copyLicenses(kind: string, url: string, templateId: number, keys: string[]): Promise<void> {
  if (kind === 'sqlite') {
    const db = new Sqlite(url);
    try {
      db.pragma('busy_timeout = 30000');
      db.pragma('synchronous = OFF');
      // table_info leaves out generated columns (key_search): the database computes them.
      const columns = (
        db.prepare(`select name from pragma_table_info('licenses')`).all() as { name: string }[]
      )
        .map((c) => c.name)
        .filter((name) => name !== 'id' && name !== 'key');
      const list = columns.map((n) => `"${n}"`).join(', ');
      const copied = columns.map((n) => `t."${n}"`).join(', ');
      const insert = db.prepare(
        `insert into licenses (key, ${list})
         select k.value, ${copied} from json_each(@keys) k cross join licenses t where t.id = @template
         order by k.key`,
      );
      const products = db.prepare(
        `insert into license_products (license_id, product_id)
         select l.id, p.product_id from licenses l cross join license_products p
         where p.license_id = @template and l.id > @after`,
      );
      const maxId = db.prepare('select max(id) as id from licenses');
      const batch = db.transaction((slice: string[]) => {
        const after = (maxId.get() as { id: number }).id;
        insert.run({ keys: JSON.stringify(slice), template: templateId });
        products.run({ template: templateId, after });
      });
      for (let i = 0; i < keys.length; i += BATCH) batch.immediate(keys.slice(i, i + BATCH));
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.exec('analyze');
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    const columns = (
      await client.query<{ name: string }>(
        `select column_name as name from information_schema.columns
         where table_schema = current_schema() and table_name = 'licenses' and is_generated = 'NEVER'
           and column_name not in ('id', 'key')
         order by ordinal_position`,
      )
    ).rows.map((c) => c.name);
    const list = columns.map((n) => `"${n}"`).join(', ');
    const copied = columns.map((n) => `t."${n}"`).join(', ');
    for (let i = 0; i < keys.length; i += BATCH) {
      await client.query('begin');
      const after = Number((await client.query('select max(id) as id from licenses')).rows[0].id);
      await client.query(
        `insert into licenses (key, ${list})
         select k, ${copied} from unnest($1::text[]) with ordinality as u(k, n)
         cross join licenses t where t.id = $2 order by n`,
        [keys.slice(i, i + BATCH), templateId],
      );
      await client.query(
        `insert into license_products (license_id, product_id)
         select l.id, p.product_id from licenses l cross join license_products p
         where p.license_id = $1 and l.id > $2`,
        [templateId, after],
      );
      await client.query('commit');
    }
  } finally {
    await client.end();
  }
}

async function postgres(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

interface Measurement {
  database: string;
  query: string;
  path: string;
  found: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

const measurements: Measurement[] = [];
const startedAt = new Date();
const loadAtStart = loadavg()[0] ?? 0;
const notes: string[] = [];

/** Sequential requests: a few unrecorded, then `repeats` timed ones. */
async function time(server: RunningServer, database: string, query: string, path: string): Promise<void> {
  let found = 0;
  for (let i = 0; i < 3; i++) found = (await call<{ data: unknown[] }>(server, 'GET', path)).data.length;
  const times: number[] = [];
  for (let i = 0; i < settings.repeats; i++) {
    const started = performance.now();
    await call(server, 'GET', path);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  const measurement = {
    database,
    query,
    path,
    found,
    medianMs: round(at(0.5)),
    p95Ms: round(at(0.95)),
    maxMs: round(times[times.length - 1] as number),
  };
  measurements.push(measurement);
  log(
    `  ${query}: ${measurement.medianMs} ms median, ${measurement.p95Ms} ms p95 (${found} on the page) ${path}`,
  );
}

function noMatch(keys: string[], length: number, seed: number): string {
  const next = random(seed);
  const forms = keys.map((key) => key.replaceAll('-', ''));
  for (;;) {
    let fragment = '';
    for (let i = 0; i < length; i++) fragment += ALPHABET[Math.floor(next() * 32)];
    if (!forms.some((form) => form.includes(fragment))) return fragment;
  }
}

async function searches(
  server: RunningServer,
  database: string,
  keys: string[],
  middleId: number,
  label = '',
): Promise<void> {
  const wanted = keys[Math.floor(keys.length / 2) + 1] as string;
  const form = wanted.replaceAll('-', '');
  const list = (fragment: string) => `/v1/licenses?limit=100&key=${encodeURIComponent(fragment)}`;
  const cases: [string, string][] = [
    ['prefix, 5 characters', list(wanted.slice(0, 5))],
    ['middle fragment, 5 characters, lower case', list(form.slice(7, 12).toLowerCase())],
    ['whole key, lower case, no dashes', list(form.toLowerCase())],
    ['middle fragment, 3 characters (≈550 keys)', list(form.slice(9, 12))],
    ['prefix, 2 characters (≈1,000 keys)', list(wanted.slice(0, 2))],
    ['no match, 8 characters', list(noMatch(keys, 8, 7))],
    ['no match, 5 characters', list(noMatch(keys, 5, 11))],
    ['fragment every tenth key shares, first page', list(SHARED.toLowerCase())],
    [
      'fragment every tenth key shares, page from the middle',
      `${list(SHARED.toLowerCase())}&after=${middleId}`,
    ],
  ];
  if (!label) {
    cases.unshift(['no filter (the page alone)', '/v1/licenses?limit=100']);
    cases.push(['events by key, lower case, no dashes', `/v1/events?limit=100&key=${form.toLowerCase()}`]);
  }
  for (const [query, path] of cases) await time(server, database, `${query}${label}`, path);
}

async function prepare(kind: string): Promise<{ url: string; cleanup: () => void } | null> {
  if (kind === 'sqlite') {
    const dir = join(tmpdir(), `keyward-bench-search-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return {
      url: join(dir, 'keyward.sqlite'),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    notes.push(`PostgreSQL at ${POSTGRES_ADMIN_URL} was unreachable (${String(error)})`);
    return null;
  }
  try {
    await admin.query(`drop database if exists ${POSTGRES_DATABASE} with (force)`);
    await admin.query(`create database ${POSTGRES_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${POSTGRES_DATABASE}`;
  // The database stays until the next run drops it, like the main bench's.
  return { url: url.toString(), cleanup: () => {} };
}

async function runDatabase(kind: string, keys: string[]): Promise<void> {
  const prepared = await prepare(kind);
  if (!prepared) return;
  log(`\n${kind}: ${keys.length.toLocaleString('en-US')} licenses`);
  let server = await startServer(prepared.url, { readyTimeoutMs: 120_000 });
  try {
    const product = await call<{ id: number }>(server, 'POST', '/v1/products', { name: 'Search bench' });
    const policy = await call<{ id: number }>(server, 'POST', '/v1/policies', {
      productId: product.id,
      name: 'Search bench',
    });
    const template = await call<{ id: number }>(server, 'POST', '/v1/licenses', {
      policyId: policy.id,
      key: keys[0],
      email: 'buyer@example.com',
    });
    const started = Date.now();
    await copyLicenses(kind, prepared.url, template.id, keys.slice(1));
    const seconds = round((Date.now() - started) / 1000);
    notes.push(`${kind}: ${(keys.length - 1).toLocaleString('en-US')} licenses inserted in ${seconds} s`);
    log(`  inserted in ${seconds} s`);
    if (kind === 'postgres') {
      // What autovacuum does soon after a bulk load: statistics, and GIN's pending list merged.
      const vacuumed = Date.now();
      await postgres(prepared.url, ['vacuum analyze licenses']);
      notes.push(`postgres: vacuum analyze after the load took ${round((Date.now() - vacuumed) / 1000)} s`);
    }
    // A fresh server process: the copies were written behind its back.
    await server.stop();
    server = await startServer(prepared.url, { readyTimeoutMs: 120_000 });
    // Ids are contiguous from the template's: the cursor of a page halfway down the newest-first list.
    const middleId = template.id + Math.floor(keys.length / 2);
    await searches(server, kind, keys, middleId);
    if (kind === 'postgres') {
      await postgres(prepared.url, ['drop index licenses_key_search_trigrams']);
      await searches(server, kind, keys, middleId, ' — without pg_trgm');
    }
  } finally {
    await server.stop();
    prepared.cleanup();
  }
}

function markdown(): string {
  const lines = [
    `Run of ${startedAt.toISOString()} on ${cpus().length}× ${cpus()[0]?.model ?? 'unknown'} (load average ` +
      `${loadAtStart.toFixed(1)} at start), ${settings.keys.toLocaleString('en-US')} licenses with random keys ` +
      `(XXXXX-XXXXX-XXXXX-XXXXX, every tenth behind ${SHARED}-), ` +
      `one request at a time, ${settings.repeats} timed requests per query after 3 untimed; times include ` +
      'HTTP and rendering the page of up to 100 licenses.',
    '',
    '| database | query | on the page | median ms | p95 ms | max ms |',
    '|---|---|--:|--:|--:|--:|',
    ...measurements.map(
      (m) => `| ${m.database} | ${m.query} | ${m.found} | ${m.medianMs} | ${m.p95Ms} | ${m.maxMs} |`,
    ),
    ...(notes.length ? ['', ...notes.map((n) => `Note: ${n}.`)] : []),
  ];
  return lines.join('\n');
}

function writeDoc(table: string): void {
  const start = '<!-- bench:key-search:start -->';
  const end = '<!-- bench:key-search:end -->';
  const current = readFileSync(DOC, 'utf8');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from + start.length)}\n${table}\n${current.slice(to)}`
      : `${current.trimEnd()}\n\n## Key search\n\n${start}\n${table}\n${end}\n`;
  writeFileSync(DOC, next);
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the server first (npm run build)`);
  log(`keyward key search bench: ${settings.keys.toLocaleString('en-US')} licenses`);
  const keys = randomKeys(settings.keys, 20_260_304);
  for (const kind of settings.databases) await runDatabase(kind, keys);
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify({ settings, measurements, notes }, null, 2)}\n`);
  writeDoc(markdown());
  log(`\nwrote ${RESULTS} and ${DOC}`);
}

main().catch((error) => {
  process.stderr.write(`key search bench failed: ${String(error?.stack ?? error)}\n`);
  process.exit(1);
});
