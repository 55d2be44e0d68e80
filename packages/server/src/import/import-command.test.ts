import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
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
    const first = await run('node', [CLI, 'import', 'csv', file], { env });
    const job = JSON.parse(first.stdout);
    expect(job).toMatchObject({ kind: 'csv', status: 'succeeded', progress: { done: 30, total: 30 } });
    expect(job.counts.licenses).toEqual({ created: 30, updated: 0, skipped: 0 });
    // Not a terminal: plain progress lines, then the summary.
    expect(first.stderr).toContain('import csv: 30/30 (100%)');
    expect(first.stderr).not.toContain('\r');
    expect(first.stderr).toMatch(/licenses\s+30 created, 0 updated, 0 skipped/);
    const second = JSON.parse((await run('node', [CLI, 'import', 'csv', file], { env })).stdout);
    expect(second.counts.licenses).toEqual({ created: 0, updated: 0, skipped: 30 });
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
