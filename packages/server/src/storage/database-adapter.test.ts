import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Only storage/sqlite/ and storage/postgres/ know which database they talk to; everything else asks the
 * DatabaseAdapter (database-adapter.ts) for a capability. This reads the sources and names, by file and line,
 * every check of a database's name outside those folders:
 * - in storage (tests included), any comparison with 'sqlite' or 'postgres' or `case` of them, and any
 *   comparison of or switch on something called `dialect`; the factory that opens the configured location
 *   (open-database.ts) holds the one check it needs;
 * - anywhere else in src, any comparison of or switch on a `dialect`, outside tests. Configuration and the
 *   SQLite backup commands read the configured location's `kind` themselves (a secret is required with
 *   PostgreSQL; backups copy SQLite files), and tests elsewhere pick their fixtures per test database.
 */

const SRC = join(import.meta.dirname, '..');
const ADAPTER_FOLDERS = ['storage/sqlite/', 'storage/postgres/'];
const FACTORY = 'storage/open-database.ts';
const THIS_FILE = 'storage/database-adapter.test.ts';

const NAME = String.raw`['"\`](?:sqlite|postgres)['"\`]`;
const COMPARED = '[!=]==?';
/** `kind === 'postgres'`, `'sqlite' !== name`, `case 'sqlite':`. */
const NAMED_DATABASE_CHECK = new RegExp(
  String.raw`${COMPARED}\s*${NAME}|${NAME}\s*${COMPARED}|\bcase\s+${NAME}`,
  'g',
);
/** `dialect === x`, `x !== store.dialect`, `switch (dialect)`. */
const DIALECT_CHECK = new RegExp(
  String.raw`\bdialect\s*${COMPARED}|${COMPARED}\s*[\w.]*\bdialect\b|\bswitch\s*\([^)]*\bdialect\b`,
  'g',
);

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `file:line: code` for every match of the checks in a file's text (a check may span lines). */
function checksIn(file: string, text: string, checks: RegExp[]): string[] {
  const lines = text.split('\n');
  return checks.flatMap((check) =>
    [...text.matchAll(check)].map((match) => {
      const line = text.slice(0, match.index).split('\n').length;
      return `${file}:${line}: ${lines[line - 1]?.trim()}`;
    }),
  );
}

/** Every check of a database's name in src that the rules above do not allow, the factory's included. */
function databaseNameChecks(files: Array<{ file: string; text: string }>): string[] {
  return files.flatMap(({ file, text }) => {
    if (file === THIS_FILE || ADAPTER_FOLDERS.some((folder) => file.startsWith(folder))) return [];
    if (file.startsWith('storage/')) return checksIn(file, text, [NAMED_DATABASE_CHECK, DIALECT_CHECK]);
    if (file.endsWith('.test.ts')) return [];
    return checksIn(file, text, [DIALECT_CHECK]);
  });
}

describe('database differences stay behind the adapter', () => {
  const sources = sourceFiles(SRC).map((path) => ({
    file: relative(SRC, path).split(sep).join('/'),
    text: readFileSync(path, 'utf8'),
  }));

  it('reads the whole of src, the adapter folders included', () => {
    const files = sources.map((source) => source.file);
    expect(files).toContain('storage/repositories/licenses.ts');
    expect(files).toContain('storage/sqlite/sqlite-adapter.ts');
    expect(files).toContain('storage/postgres/postgres-adapter.ts');
    expect(files).toContain('http/build-app.ts');
  });

  it('has no check of which database it is outside storage/sqlite/ and storage/postgres/', () => {
    const found = databaseNameChecks(sources);
    expect(found.filter((check) => !check.startsWith(`${FACTORY}:`))).toEqual([]);
    // The one place that picks the adapter for the configured location.
    expect(found.filter((check) => check.startsWith(`${FACTORY}:`))).toHaveLength(1);
  });

  it('catches each form of check, and allows them in the adapter folders', () => {
    const checks = [
      "if (dialect === 'postgres') query = query.forUpdate();",
      "const sqlite = dialect !== 'postgres';",
      'switch (dialect) {',
      "if (store.dialect\n  === 'sqlite') {}",
      "return location.kind === 'postgres' ? a : b;",
      "if ('sqlite' == adapter.name) {}",
      "  case 'postgres':",
    ];
    for (const [index, text] of checks.entries()) {
      expect(databaseNameChecks([{ file: `storage/repositories/r${index}.ts`, text }])).not.toEqual([]);
    }
    expect(databaseNameChecks([{ file: 'http/x.ts', text: checks[0] as string }])).toEqual([
      `http/x.ts:1: ${checks[0]}`,
    ]);
    // A check spread over lines is named at the line it starts on.
    expect(databaseNameChecks([{ file: 'http/x.ts', text: checks[3] as string }])).toEqual([
      'http/x.ts:1: if (store.dialect',
    ]);
    const allowed = checks.flatMap((text) => [
      { file: 'storage/sqlite/x.ts', text },
      { file: 'storage/postgres/x.ts', text },
    ]);
    expect(databaseNameChecks(allowed)).toEqual([]);
    // Capabilities, lookups and names that merely contain the word are no checks.
    const harmless = [
      'if (adapter.runsInProcess) return withSeatsOf(found);',
      'return TEST_DATABASES[dialect]();',
      "const dialect = cryptolensDialect === undefined ? 'x' : 'y';",
      "createStore({ kind: 'sqlite', path });",
    ];
    expect(databaseNameChecks(harmless.map((text) => ({ file: 'storage/y.ts', text })))).toEqual([]);
  });
});
