#!/usr/bin/env node
// Measures the dashboard's API calls over a large SQLite database: creates one through the CLI, fills it with
// LICENSES generated licenses (statuses, emails, customers mixed) and EVENTS validation/activation events in
// plain SQL, starts `keyward serve` on it, and times each list and aggregate call the dashboard's pages make.
//
//   node packages/server/scripts/measure-dashboard-latency.mjs            # 1,000,000 licenses, 1,000,000 events
//   LICENSES=100000 EVENTS=200000 node packages/server/scripts/measure-dashboard-latency.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const LICENSES = Number(process.env.LICENSES ?? 1_000_000);
const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 7);
const serverDir = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'keyward-latency-'));
const token = 'kw_latency_measurement_token_0123456789';
const port = 18000 + Math.floor(Math.random() * 2000);
const env = {
  ...process.env,
  DATABASE_URL: join(dir, 'keyward.sqlite'),
  PORT: String(port),
  HOST: '127.0.0.1',
  KEYWARD_ADMIN_TOKEN: token,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_TOKEN: '0',
  RATE_LIMIT_PER_IP: '0',
};
const cli = (...args) => {
  const r = spawnSync('node', ['dist/keyward.cjs', ...args], { cwd: serverDir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};

const product = cli('product', 'create', 'Measured product');
const policy = cli('policy', 'create', '--product', String(product.id), '--name', 'Measured policy');
cli('license', 'create', '--policy', String(policy.id));

const db = new Database(env.DATABASE_URL);
db.pragma('journal_mode = WAL');
const started = Date.now();
const columns = db
  .prepare('pragma table_info(licenses)')
  .all()
  .map((c) => c.name)
  .filter((c) => c !== 'id');
const generated = {
  key: "printf('%05X-%05X-%05X-%05X', (i * 7919) % 1048576, (i * 104729) % 1048576, i % 1048576, (i * 31) % 1048576) || '-' || i",
  email: "case when i % 3 = 0 then 'buyer' || (i % 50000) || '@example.com' else null end",
  customer_id: 'case when i % 10 = 0 then 1 + (i % 1000) else null end',
  is_suspended: 'case when i % 20 = 0 then 1 else 0 end',
  revoked_at: 'case when i % 50 = 1 then t.created_at else null end',
  expires_at:
    'case when i % 10 = 3 then t.created_at - 86400000 when i % 10 = 4 then t.created_at + 86400000 * 365 else null end',
  created_at: 't.created_at - (1000000 - i) * 1000',
  updated_at: 't.created_at',
};
db.exec(`insert into customers (name, email, created_at)
  with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
  select 'Customer ' || i, 'customer' || i || '@example.com', 0 from n`);
db.exec(`insert into licenses (${columns.join(', ')})
  with recursive n(i) as (select 1 union all select i + 1 from n where i < ${LICENSES})
  select ${columns.map((c) => generated[c] ?? `t.${c}`).join(', ')}
  from n, (select * from licenses order by id limit 1) t`);
db.exec(
  `insert into license_products (license_id, product_id) select id, product_id from licenses where id > 1`,
);
const now = Date.now();
db.exec(`insert into events (type, license_id, product_id, machine_id, token_id, code, ip, data, created_at)
  with recursive n(i) as (select 1 union all select i + 1 from n where i < ${EVENTS})
  select case when i % 10 = 0 then 'machine.activated' when i % 10 = 1 then 'license.validation_failed' else 'license.validated' end,
    1 + (i % ${LICENSES}), ${product.id}, null, null, 'VALID', '192.0.2.1', '{"via":"native"}',
    ${now} - (i * 2592) % 2592000000
  from n`);
db.exec('analyze');
db.close();
console.log(
  `generated ${LICENSES.toLocaleString()} licenses and ${EVENTS.toLocaleString()} events in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

const server = spawn('node', ['dist/keyward.cjs', 'serve'], {
  cwd: serverDir,
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (
    await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (i > 300) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const headers = { authorization: `Bearer ${token}` };
try {
  const some = await (
    await fetch(`${base}/v1/licenses?limit=1&order=asc&after=${Math.floor(LICENSES / 2)}`, { headers })
  ).json();
  const key = some.data[0]?.key ?? '';
  const since = new Date(Date.now() - 29 * 86_400_000).toISOString();
  const calls = [
    ['licenses, newest first (page 1)', '/v1/licenses?limit=50'],
    ['licenses, oldest first', '/v1/licenses?limit=50&order=asc'],
    ['licenses, deep page (middle)', `/v1/licenses?limit=50&after=${Math.floor(LICENSES / 2)}`],
    ['licenses, status=active', '/v1/licenses?limit=50&status=active'],
    ['licenses, status=suspended', '/v1/licenses?limit=50&status=suspended'],
    ['licenses, status=expired', '/v1/licenses?limit=50&status=expired'],
    ['licenses, status=revoked', '/v1/licenses?limit=50&status=revoked'],
    ['licenses, product filter', `/v1/licenses?limit=50&productId=${product.id}`],
    ['licenses, policy filter', `/v1/licenses?limit=50&policyId=${policy.id}`],
    ['licenses, key prefix (12 chars)', `/v1/licenses?limit=50&key=${encodeURIComponent(key.slice(0, 12))}`],
    ['licenses, key prefix (2 chars)', `/v1/licenses?limit=50&key=${encodeURIComponent(key.slice(0, 2))}`],
    ['licenses, email', '/v1/licenses?limit=50&email=buyer4242@example.com'],
    ['licenses, customer', '/v1/licenses?limit=50&customerId=77'],
    ['license by key', `/v1/licenses/${encodeURIComponent(key)}`],
    ['overview counts', '/v1/stats/overview'],
    ['chart: 30 days by day', `/v1/stats/events?bucket=day&since=${encodeURIComponent(since)}`],
    ['events, newest first', '/v1/events?limit=100'],
    ['events, type filter', '/v1/events?limit=100&type=machine.activated'],
    ['events of a license', '/v1/events?limit=50&licenseId=4242'],
    ['customers (all)', '/v1/customers?limit=1000'],
  ];
  console.log(`\n| call | median ms | max ms |\n|---|---:|---:|`);
  for (const [name, path] of calls) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const response = await fetch(`${base}${path}`, { headers });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `| ${name} | ${times[Math.floor(times.length / 2)].toFixed(1)} | ${times[times.length - 1].toFixed(1)} |`,
    );
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}
if (process.env.KEEP === '1') console.log(`kept ${env.DATABASE_URL}`);
else rmSync(dir, { recursive: true, force: true });
