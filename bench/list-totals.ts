import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { CLI, call, ROOT, type RunningServer, startServer } from './bench-server.js';
import { flag, log, option, random, round } from './bench-tools.js';

/**
 * `node bench/dist/list-totals.js [--keys <n>] [--databases sqlite,postgres] [--repeats <n>]`: what the total
 * under the dashboard's license list (`GET /v1/licenses?withTotal=true`) costs at a million licenses. Starts the
 * real server on SQLite and on PostgreSQL, makes one license through the API and copies it to `--keys` licenses
 * with random keys, then spreads them the way a vendor's are: four policies, 2 % suspended, 1 % revoked, 10 %
 * expired, 5 % with a customer, 1 % tagged. Times each filter of the list page (50 licenses) without and with
 * the total, one request at a time: the latency a person paging through the dashboard sees. Results go to
 * bench/results/list-totals.json and into docs/benchmarks.md.
 */

const BENCH_DIR = resolve(import.meta.dirname, '..');
const RESULTS = join(BENCH_DIR, 'results/list-totals.json');
const DOC = join(ROOT, 'docs/benchmarks.md');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const POSTGRES_DATABASE = 'keyward_bench_totals';
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const BATCH = 50_000;

const settings = {
  keys: Number(option('--keys') ?? 1_000_000),
  databases: (option('--databases') ?? 'sqlite,postgres').split(','),
  repeats: Number(option('--repeats') ?? 15),
};

function randomKeys(count: number, seed: number): string[] {
  const next = random(seed);
  const keys = new Set<string>();
  while (keys.size < count) {
    let key = '';
    for (let i = 0; i < 20; i++)
      key += `${i > 0 && i % 5 === 0 ? '-' : ''}${ALPHABET[Math.floor(next() * 32)]}`;
    keys.add(key);
  }
  return [...keys];
}

interface Catalog {
  templateId: number;
  policyIds: number[];
  customerId: number;
}

/**
 * The spread of a vendor's licenses, by id: four policies, 2 % suspended, 1 % revoked, 10 % expired, 5 % with a
 * customer, 1 % tagged `vip`. The same statements on both databases.
 */
function spreadStatements(catalog: Catalog, now: number): string[] {
  const [a, b, c, d] = catalog.policyIds;
  return [
    `update licenses set policy_id = case id % 4 when 0 then ${a} when 1 then ${b} when 2 then ${c} else ${d} end`,
    'update licenses set is_suspended = 1 where id % 50 = 0',
    `update licenses set revoked_at = ${now} where id % 100 = 1`,
    `update licenses set expires_at = ${now - 86_400_000} where id % 10 = 2`,
    `update licenses set customer_id = ${catalog.customerId} where id % 20 = 3`,
    "insert into license_tags (license_id, tag) select id, 'vip' from licenses where id % 100 = 5",
  ];
}

/** Copies the template license once per key, in batches, inserted by the database itself; then spreads them. */
async function load(kind: string, url: string, catalog: Catalog, keys: string[]): Promise<void> {
  const now = Date.now();
  if (kind === 'sqlite') {
    const db = new Sqlite(url);
    try {
      db.pragma('busy_timeout = 30000');
      db.pragma('synchronous = OFF');
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
        insert.run({ keys: JSON.stringify(slice), template: catalog.templateId });
        products.run({ template: catalog.templateId, after });
      });
      for (let i = 0; i < keys.length; i += BATCH) batch.immediate(keys.slice(i, i + BATCH));
      db.transaction(() => {
        for (const statement of spreadStatements(catalog, now)) db.exec(statement);
      }).immediate();
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
        [keys.slice(i, i + BATCH), catalog.templateId],
      );
      await client.query(
        `insert into license_products (license_id, product_id)
         select l.id, p.product_id from licenses l cross join license_products p
         where p.license_id = $1 and l.id > $2`,
        [catalog.templateId, after],
      );
      await client.query('commit');
    }
    for (const statement of spreadStatements(catalog, now)) await client.query(statement);
    // What autovacuum does soon after a bulk load: statistics and the visibility map.
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
}

interface Measurement {
  database: string;
  filter: string;
  total: number | null;
  isTotalExact: boolean | null;
  pageMedianMs: number;
  withTotalMedianMs: number;
  withTotalP95Ms: number;
}

const measurements: Measurement[] = [];
const notes: string[] = [];

async function median(server: RunningServer, path: string): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 3; i++) await call(server, 'GET', path);
  const times: number[] = [];
  for (let i = 0; i < settings.repeats; i++) {
    const started = performance.now();
    await call(server, 'GET', path);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { median: round(at(0.5)), p95: round(at(0.95)) };
}

async function measure(server: RunningServer, database: string, filter: string, query: string) {
  const path = `/v1/licenses?limit=50${query}`;
  const counted = await call<{ total?: number; isTotalExact?: boolean }>(
    server,
    'GET',
    `${path}&withTotal=true`,
  );
  const page = await median(server, path);
  const withTotal = await median(server, `${path}&withTotal=true`);
  const measurement = {
    database,
    filter,
    total: counted.total ?? null,
    isTotalExact: counted.isTotalExact ?? null,
    pageMedianMs: page.median,
    withTotalMedianMs: withTotal.median,
    withTotalP95Ms: withTotal.p95,
  };
  measurements.push(measurement);
  log(
    `  ${filter}: page ${page.median} ms, with total ${withTotal.median} ms (p95 ${withTotal.p95}) → ` +
      `${measurement.total}${measurement.isTotalExact === false ? '+' : ''}`,
  );
}

async function prepare(kind: string): Promise<{ url: string; cleanup: () => void } | null> {
  if (kind === 'sqlite') {
    const dir = join(tmpdir(), `keyward-bench-totals-${process.pid}`);
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
  const drop = async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    await client.query(`drop database if exists ${POSTGRES_DATABASE} with (force)`);
    await client.end();
  };
  return { url: url.toString(), cleanup: () => void drop() };
}

async function runDatabase(kind: string, keys: string[]): Promise<void> {
  const prepared = await prepare(kind);
  if (!prepared) return;
  log(`\n${kind}: ${keys.length.toLocaleString('en-US')} licenses`);
  let server = await startServer(prepared.url, { readyTimeoutMs: 120_000 });
  try {
    const product = await call<{ id: number }>(server, 'POST', '/v1/products', { name: 'Totals bench' });
    const policyIds: number[] = [];
    for (const name of ['Basic', 'Pro', 'Team', 'Trial'])
      policyIds.push(
        (await call<{ id: number }>(server, 'POST', '/v1/policies', { productId: product.id, name })).id,
      );
    const customer = await call<{ id: number }>(server, 'POST', '/v1/customers', { name: 'Ada' });
    const template = await call<{ id: number }>(server, 'POST', '/v1/licenses', {
      policyId: policyIds[0],
      key: keys[0],
    });
    const started = Date.now();
    await load(
      kind,
      prepared.url,
      { templateId: template.id, policyIds, customerId: customer.id },
      keys.slice(1),
    );
    const seconds = round((Date.now() - started) / 1000);
    notes.push(
      `${kind}: ${(keys.length - 1).toLocaleString('en-US')} licenses loaded and spread in ${seconds} s`,
    );
    log(`  loaded in ${seconds} s`);
    // A fresh server process: the copies were written behind its back.
    await server.stop();
    server = await startServer(prepared.url, { readyTimeoutMs: 120_000 });
    const wanted = (keys[Math.floor(keys.length / 2)] as string).replaceAll('-', '');
    const cases: [string, string][] = [
      ['no filter', ''],
      ['product (all of them)', `&productId=${product.id}`],
      ['policy (¼)', `&policyId=${policyIds[1]}`],
      ['active (≈87 %)', '&status=active'],
      ['expired (≈10 %)', '&status=expired'],
      ['suspended (2 %)', '&status=suspended'],
      ['revoked (1 %)', '&status=revoked'],
      ['customer (5 %)', `&customerId=${customer.id}`],
      ['tag (1 %)', '&tag=vip'],
      ['policy and suspended (1 %)', `&policyId=${policyIds[0]}&status=suspended`],
      ['customer and suspended (none)', `&customerId=${customer.id}&status=suspended`],
      ['key fragment, 3 characters (≈550)', `&key=${wanted.slice(9, 12)}`],
      ['key fragment, 5 characters (≈1)', `&key=${wanted.slice(7, 12).toLowerCase()}`],
      ['email, none match', '&email=nobody@example.com'],
    ];
    for (const [filter, query] of cases) await measure(server, kind, filter, query);
  } finally {
    await server.stop();
    prepared.cleanup();
  }
}

function markdown(): string {
  const lines = [
    `Run of ${new Date().toISOString()} on ${cpus().length}× ${cpus()[0]?.model ?? 'unknown'}, ` +
      `${settings.keys.toLocaleString('en-US')} licenses (four policies, 2 % suspended, 1 % revoked, 10 % ` +
      `expired, 5 % with a customer, 1 % tagged), pages of 50, one request at a time, median of ` +
      `${settings.repeats} after 3 untimed; times include HTTP. Counting stops past 10,000 (\`+\`).`,
    '',
    '| database | filter | total | page ms | page with total ms | p95 ms |',
    '|---|---|--:|--:|--:|--:|',
    ...measurements.map(
      (m) =>
        `| ${m.database} | ${m.filter} | ${m.total?.toLocaleString('en-US') ?? '—'}${m.isTotalExact === false ? '+' : ''} | ` +
        `${m.pageMedianMs} | ${m.withTotalMedianMs} | ${m.withTotalP95Ms} |`,
    ),
    ...(notes.length ? ['', ...notes.map((n) => `Note: ${n}.`)] : []),
  ];
  return lines.join('\n');
}

function writeDoc(table: string): void {
  const start = '<!-- bench:list-totals:start -->';
  const end = '<!-- bench:list-totals:end -->';
  const current = readFileSync(DOC, 'utf8');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from + start.length)}\n${table}\n${current.slice(to)}`
      : `${current.trimEnd()}\n\n## License list totals\n\n${start}\n${table}\n${end}\n`;
  writeFileSync(DOC, next);
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the server first (npm run build)`);
  log(`keyward list totals bench: ${settings.keys.toLocaleString('en-US')} licenses`);
  const keys = randomKeys(settings.keys, 20_260_305);
  for (const kind of settings.databases) await runDatabase(kind, keys);
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify({ settings, measurements, notes }, null, 2)}\n`);
  if (!flag('--no-doc')) writeDoc(markdown());
  log(`\nwrote ${RESULTS}${flag('--no-doc') ? '' : ` and ${DOC}`}`);
}

main().catch((error) => {
  process.stderr.write(`list totals bench failed: ${String(error?.stack ?? error)}\n`);
  process.exit(1);
});
