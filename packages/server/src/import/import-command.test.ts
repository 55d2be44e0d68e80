import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const run = promisify(execFile);

describe('keyward import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-import-'));
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: join(dir, 'keyward.sqlite'), LOG_LEVEL: 'warn' };

  it('imports a CSV file with progress on stderr and a summary, and a rerun creates nothing', async () => {
    const file = join(dir, 'keys.csv');
    const rows = Array.from({ length: 30 }, (_, i) => `CLI-${i}-KEY,Desktop,,1,,,,,,,,,,fp-${i},`);
    writeFileSync(
      file,
      [
        'key,product,policy,max_machines,expires_at,created_at,suspended,email,customer,company,notes,tags,features,machines,allowed_machines',
        ...rows,
      ].join('\n'),
    );
    const first = await run('node', [CLI, 'import', 'csv', file, '--json'], { env });
    const job = JSON.parse(first.stdout);
    expect(job).toMatchObject({ kind: 'csv', status: 'succeeded', progress: { done: 30, total: 30 } });
    expect(job.counts.licenses).toEqual({ created: 30, updated: 0, skipped: 0 });
    // Not a terminal: plain progress lines, then the summary.
    expect(first.stderr).toContain('import csv: 30/30 (100%)');
    expect(first.stderr).not.toContain('\r');
    expect(first.stderr).toMatch(/licenses\s+30 created, 0 updated, 0 skipped/);
    const second = JSON.parse((await run('node', [CLI, 'import', 'csv', file, '--json'], { env })).stdout);
    expect(second.counts.licenses).toEqual({ created: 0, updated: 0, skipped: 30 });
  });

  it('reruns a failed CSV import after the file is fixed: the new file is read, imported keys are not duplicated', async () => {
    const own = { ...env, DATABASE_URL: join(dir, 'rerun.sqlite') };
    const file = join(dir, 'shop.csv');
    const header = 'key,product,expires_at,email';
    const rows = (bad: string) =>
      Array.from(
        { length: 8 },
        (_, i) => `SHOP-${i}-KEY,Desktop,${i === 4 ? bad : '2030-01-01'},u${i}@example.com`,
      );
    writeFileSync(file, [header, ...rows('not-a-date')].join('\n'));
    const failed = await run('node', [CLI, 'import', 'csv', file, '--source', 'shop', '--json'], {
      env: own,
    }).catch((e) => e as { code: number; stdout: string; stderr: string });
    expect((failed as { code: number }).code).toBe(1);
    expect(failed.stderr).toContain('row 6: expires_at "not-a-date" is not a date');
    const firstJob = JSON.parse(failed.stdout);
    expect(firstJob).toMatchObject({ status: 'failed', replacesJobId: null });

    // Fixed: the same command reads the new content, in a new job that names the failed one.
    writeFileSync(file, [header, ...rows('2031-06-30')].join('\n'));
    const fixed = await run('node', [CLI, 'import', 'csv', file, '--source', 'shop', '--json'], { env: own });
    const job = JSON.parse(fixed.stdout);
    expect(job).toMatchObject({ status: 'succeeded', replacesJobId: firstJob.id, progress: { done: 8 } });
    expect(job.id).not.toBe(firstJob.id);
    expect(job.counts.licenses).toEqual({ created: 8, updated: 0, skipped: 0 });
    expect(fixed.stderr).toContain(`the input differs from failed import ${firstJob.id}`);
    expect(fixed.stderr).toContain('matched by key');
    const db = new Database(own.DATABASE_URL, { readonly: true });
    expect(
      db.prepare('select status, replaced_by_job_id from import_jobs where id = ?').get(firstJob.id),
    ).toEqual({
      status: 'failed',
      replaced_by_job_id: job.id,
    });
    db.close();

    // A changed row after success: a new job again; keys already imported are updated or skipped.
    writeFileSync(file, [header, ...rows('2032-01-01')].join('\n'));
    // For people, the summary on standard error is all; scripts ask for the job with --json.
    const again = await run('node', [CLI, 'import', 'csv', file, '--source', 'shop'], { env: own });
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/licenses\s+0 created, 1 updated, 7 skipped/);
  });

  it('refuses an import without the credential', async () => {
    const failed = await run('node', [CLI, 'import', 'cryptolens'], { env }).catch(
      (e) => e as { code: number; stderr: string },
    );
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain('the access token is needed');
  });

  it('prints help for each source', async () => {
    for (const kind of ['cryptolens', 'limelm', 'authtool', 'csv']) {
      const { stdout } = await run('node', [CLI, 'import', kind, '--help'], { env });
      expect(stdout).toContain(`Usage: keyward import ${kind}`);
    }
  });
});
