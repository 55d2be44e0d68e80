import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { fingerprintOf, KEY_DIGITS, keyOf } from './load.js';

/**
 * The data generator for scale runs: copies one template license (made through the API, so every column
 * holds what the server itself writes) and its one machine, giving key `<prefix><n>` and machine
 * `fp-<n>` for n in [from, to). Batches of 50,000 rows per transaction, inserted by the database itself
 * (INSERT … SELECT over a generated series), so a million keys with their activations take seconds.
 * Ids are contiguous: key n has the template's id + n.
 */

export type BenchDatabase = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface Template {
  licenseId: number;
  machineId: number;
  prefix: string;
}

const BATCH = 50_000;

function copyColumns(all: string[], generated: string[]): string[] {
  return all.filter((name) => name !== 'id' && !generated.includes(name));
}

async function generateSqlite(path: string, template: Template, from: number, to: number): Promise<void> {
  const db = new Sqlite(path);
  try {
    db.pragma('busy_timeout = 30000');
    // Only this connection's commits: generated data is not what the bench measures.
    db.pragma('synchronous = OFF');
    // table_info leaves out generated columns (licenses.key_search), which the database computes itself.
    const columnsOf = (table: string) =>
      (db.prepare(`select name from pragma_table_info('${table}')`).all() as { name: string }[]).map(
        (c) => c.name,
      );
    const licenseColumns = copyColumns(columnsOf('licenses'), ['key']);
    const machineColumns = copyColumns(columnsOf('machines'), ['license_id', 'fingerprint']);
    const quoted = (names: string[], alias: string) => names.map((n) => `${alias}."${n}"`).join(', ');
    const bare = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
    const insertLicenses = db.prepare(
      `with recursive s(n) as (select @from union all select n + 1 from s where n + 1 < @to)
       insert into licenses (key, ${bare(licenseColumns)})
       select @prefix || printf('%0${KEY_DIGITS}d', s.n), ${quoted(licenseColumns, 't')}
       from s cross join licenses t where t.id = @template order by s.n`,
    );
    const insertProducts = db.prepare(
      `insert into license_products (license_id, product_id)
       select l.id, p.product_id from licenses l cross join license_products p
       where p.license_id = @template and l.id > @after`,
    );
    const insertMachines = db.prepare(
      `insert into machines (license_id, fingerprint, ${bare(machineColumns)})
       select l.id, 'fp-' || substr(l.key, length(@prefix) + 1), ${quoted(machineColumns, 'm')}
       from licenses l cross join machines m where m.id = @machine and l.id > @after`,
    );
    const maxId = db.prepare('select max(id) as id from licenses');
    const batch = db.transaction((start: number, end: number) => {
      const after = (maxId.get() as { id: number }).id;
      if (after !== template.licenseId + start - 1)
        throw new Error(`ids are not contiguous: expected ${template.licenseId + start - 1}, found ${after}`);
      insertLicenses.run({ from: start, to: end, prefix: template.prefix, template: template.licenseId });
      insertProducts.run({ template: template.licenseId, after });
      insertMachines.run({ prefix: template.prefix, machine: template.machineId, after });
    });
    for (let start = from; start < to; start += BATCH) batch.immediate(start, Math.min(to, start + BATCH));
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

async function generatePostgres(url: string, template: Template, from: number, to: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    // Generated columns (licenses.key_search) take no values; the database computes them.
    const columnsOf = async (table: string) =>
      (
        await client.query<{ name: string }>(
          `select column_name as name from information_schema.columns
           where table_schema = current_schema() and table_name = $1 and is_generated = 'NEVER'
           order by ordinal_position`,
          [table],
        )
      ).rows.map((c) => c.name);
    const licenseColumns = copyColumns(await columnsOf('licenses'), ['key']);
    const machineColumns = copyColumns(await columnsOf('machines'), ['license_id', 'fingerprint']);
    const quoted = (names: string[], alias: string) => names.map((n) => `${alias}."${n}"`).join(', ');
    const bare = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
    for (let start = from; start < to; start += BATCH) {
      const end = Math.min(to, start + BATCH);
      await client.query('begin');
      const after = Number((await client.query('select max(id) as id from licenses')).rows[0].id);
      if (after !== template.licenseId + start - 1)
        throw new Error(`ids are not contiguous: expected ${template.licenseId + start - 1}, found ${after}`);
      await client.query(
        `insert into licenses (key, ${bare(licenseColumns)})
         select $1 || lpad(n::text, ${KEY_DIGITS}, '0'), ${quoted(licenseColumns, 't')}
         from generate_series($2::int, $3::int - 1) n cross join licenses t where t.id = $4 order by n`,
        [template.prefix, start, end, template.licenseId],
      );
      await client.query(
        `insert into license_products (license_id, product_id)
         select l.id, p.product_id from licenses l cross join license_products p
         where p.license_id = $1 and l.id > $2`,
        [template.licenseId, after],
      );
      await client.query(
        `insert into machines (license_id, fingerprint, ${bare(machineColumns)})
         select l.id, 'fp-' || substr(l.key, length($1) + 1), ${quoted(machineColumns, 'm')}
         from licenses l cross join machines m where m.id = $2 and l.id > $3`,
        [template.prefix, template.machineId, after],
      );
      await client.query('commit');
    }
    await client.query('analyze licenses');
    await client.query('analyze machines');
  } finally {
    await client.end();
  }
}

/** Adds keys n ∈ [from, to) after the template (key 0), each with one active machine. */
export async function generateKeys(
  database: BenchDatabase,
  template: Template,
  from: number,
  to: number,
): Promise<void> {
  if (from >= to) return;
  if (database.kind === 'sqlite') await generateSqlite(database.path, template, from, to);
  else await generatePostgres(database.url, template, from, to);
}

export { fingerprintOf, keyOf };
