import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cyclePath,
  importCycles,
  listSourceFiles,
  type ResolvedImport,
  readSourceFile,
  type SourceFile,
} from './test-support/source-graph.js';
import { readSourceFacts } from './test-support/source-imports.js';

/**
 * The server's layers, read from every non-test source file's imports. The domain decides, storage persists,
 * HTTP surfaces translate: core depends on nothing of the server nor on any framework or driver, HTTP reaches
 * the database only through core, each vendor dialect stands alone, storage sits under everything but core,
 * and the SDK and the dashboard share no code with the server. Files are placed by their top-level folder
 * under src/ (and, within http/, by native/ and dialects/<name>/), never by name, so a file may move within
 * its layer freely. Each failure names the file, the line and the import.
 */

const PACKAGES = resolve(import.meta.dirname, '../..');
const SERVER_SRC = join(PACKAGES, 'server', 'src');

const server = listSourceFiles(SERVER_SRC).map(readSourceFile);
const clients = ['sdk', 'dashboard'].flatMap((name) =>
  listSourceFiles(join(PACKAGES, name, 'src')).map(readSourceFile),
);

/**
 * Where a server file sits: its layer (the folder under src/, or `composition` for the files at its top:
 * server.ts, cli.ts, config.ts …) and, inside http/, its surface (`native`, `dialects/<name>`).
 */
function placeOf(path: string): { layer: string; surface: string | null } {
  const parts = relative(SERVER_SRC, path).split(sep);
  if (parts.length === 1) return { layer: 'composition', surface: null };
  const layer = parts[0] as string;
  if (layer !== 'http') return { layer, surface: null };
  if (parts[1] === 'native') return { layer, surface: 'native' };
  if (parts[1] === 'dialects' && parts.length > 3) return { layer, surface: `dialects/${parts[2]}` };
  return { layer, surface: null };
}

const nameOf = (path: string) => relative(PACKAGES, path);
const describeImport = (file: SourceFile, found: ResolvedImport) => {
  const target = found.target.kind === 'file' ? ` (${nameOf(found.target.path)})` : '';
  return `${nameOf(file.path)}:${found.line} imports '${found.specifier}'${target}`;
};

/** Every import of `files` that `isForbidden` refuses, described. */
function violations(
  files: SourceFile[],
  isForbidden: (file: SourceFile, found: ResolvedImport) => boolean,
): string[] {
  return files.flatMap((file) =>
    file.imports.filter((found) => isForbidden(file, found)).map((found) => describeImport(file, found)),
  );
}

const targetPlace = (found: ResolvedImport) =>
  found.target.kind === 'file' && found.target.path.startsWith(SERVER_SRC + sep)
    ? placeOf(found.target.path)
    : null;
const inLayer = (layer: string) => server.filter((file) => placeOf(file.path).layer === layer);

describe('the import scan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-layering-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds every way to import and to read process state, and nothing in comments or strings', () => {
    const file = join(dir, 'sample.ts');
    writeFileSync(
      file,
      `import { a } from './static.js';
import type { B } from './type-only.js';
export { c } from './re-export.js';
export type * from './type-re-export.js';
import './side-effect.js';
import fs = require('node:fs');
const later = await import('./dynamic.js');
const computed = await import(\`./\${a}.js\`);
const NAMED = './named-by-a-constant.js';
const byConstant = await import(NAMED);
let shape: import('./type-query.js').Shape;
// import { fake } from "./in-a-comment.js"; process.env.COMMENT
const text = "import { fake } from './in-a-string.js'; process.env.STRING";
const template = \`process.argv \${process.env.IN_TEMPLATE}\`;
const argv = process['argv'];
const { env } = process;
const viaGlobal = globalThis.process.env;
`,
    );
    const facts = readSourceFacts(file);
    expect(facts.imports).toEqual([
      { specifier: './static.js', line: 1, typeOnly: false },
      { specifier: './type-only.js', line: 2, typeOnly: true },
      { specifier: './re-export.js', line: 3, typeOnly: false },
      { specifier: './type-re-export.js', line: 4, typeOnly: true },
      { specifier: './side-effect.js', line: 5, typeOnly: false },
      { specifier: 'node:fs', line: 6, typeOnly: false },
      { specifier: './dynamic.js', line: 7, typeOnly: false },
      { specifier: null, line: 8, typeOnly: false },
      { specifier: './named-by-a-constant.js', line: 10, typeOnly: false },
      { specifier: './type-query.js', line: 11, typeOnly: true },
    ]);
    expect(facts.processReads.map((read) => `${read.line} ${read.what}`)).toEqual([
      '14 process.env',
      '15 process.argv',
      '16 process (destructured)',
      '17 process.env',
    ]);
  });

  it('sees every layer the rules name, so no rule passes for want of files', () => {
    const placed = new Set(server.map((file) => placeOf(file.path).surface ?? placeOf(file.path).layer));
    for (const layer of ['core', 'storage', 'http', 'cli', 'import', 'composition', 'native']) {
      expect(placed, layer).toContain(layer);
    }
    expect([...placed].filter((place) => place.startsWith('dialects/')).length).toBeGreaterThanOrEqual(3);
    expect(clients.length).toBeGreaterThan(20);
  });

  it('resolves every import of the server, the SDK and the dashboard', () => {
    const unresolved = violations([...server, ...clients], (_, found) => found.target.kind === 'unresolved');
    expect(unresolved, 'a computed import() or a relative path to no file cannot be checked').toEqual([]);
  });
});

describe('layers', () => {
  it('core imports only core and Node built-ins: no other layer, no package', () => {
    // The domain decides with plain TypeScript: a package here would be a framework or a driver (fastify,
    // kysely, pg, pino, typebox …). A pure library core truly needs would be named here, with the reason.
    const allowedPackages = new Set<string>();
    const imports = violations(inLayer('core'), (_, found) => {
      if (found.target.kind === 'package') return !allowedPackages.has(found.target.name);
      return found.target.kind === 'file' && targetPlace(found)?.layer !== 'core';
    });
    expect(imports).toEqual([]);
  });

  it('core reads no environment, arguments or other process state', () => {
    // Configuration reaches the domain as arguments; config.ts and the composition read the process.
    const reads = inLayer('core').flatMap((file) =>
      file.processReads.map((read) => `${nameOf(file.path)}:${read.line} reads ${read.what}`),
    );
    expect(reads).toEqual([]);
  });

  it('http reaches the database only through core: it imports nothing of storage', () => {
    expect(violations(inLayer('http'), (_, found) => targetPlace(found)?.layer === 'storage')).toEqual([]);
  });

  it('each dialect stands alone: no other dialect, not the native API; native imports no dialect', () => {
    const crossings = violations(inLayer('http'), (file, found) => {
      const from = placeOf(file.path).surface;
      const to = targetPlace(found)?.surface ?? null;
      if (from === null || to === null || from === to) return false;
      return from.startsWith('dialects/') || to.startsWith('dialects/');
    });
    expect(crossings).toEqual([]);
  });

  it('storage imports only storage and core: no http, cli, import or composition', () => {
    const imports = violations(inLayer('storage'), (_, found) => {
      const to = targetPlace(found)?.layer;
      return to !== undefined && to !== 'storage' && to !== 'core';
    });
    expect(imports).toEqual([]);
  });

  it('import/ imports no API surface (native or a dialect): those surfaces start imports', () => {
    const imports = violations(inLayer('import'), (_, found) => targetPlace(found)?.surface != null);
    expect(imports).toEqual([]);
  });

  it('the SDK and the dashboard import nothing of the server', () => {
    const serverDir = join(PACKAGES, 'server') + sep;
    const imports = violations(clients, (_, found) => {
      if (found.target.kind === 'package') return found.target.name === '@keyward/server';
      return 'path' in found.target && found.target.path.startsWith(serverDir);
    });
    expect(imports).toEqual([]);
  });
});

describe('cycles', () => {
  /**
   * Type-only imports count. A cycle is two files that cannot be read, moved or tested apart, and a type
   * couples them as much as a value does; under verbatimModuleSyntax, dropping one `type` keyword would
   * turn it into a cycle of module evaluation. Type cycles are also the cheapest to break (move the type).
   */
  const followsEvery = () => true;

  /** Cycles left on purpose, each as its files (sorted) with the reason; none today. */
  const KNOWN: Array<{ files: string[]; reason: string }> = [];

  it('no server files import each other, directly or round a loop', () => {
    const known = new Set(KNOWN.map((cycle) => cycle.files.join(' ')));
    const cycles = importCycles(server, followsEvery)
      .filter((group) => !known.has(group.map(nameOf).join(' ')))
      .map((group) => {
        const loop = cyclePath(group, server, followsEvery).map(nameOf);
        // The loop ends where it starts; a bigger group holds more loops through the same files.
        const others =
          group.length > loop.length - 1
            ? ` (${group.length} files reach each other: ${group.map(nameOf).join(', ')})`
            : '';
        return loop.join(' → ') + others;
      });
    expect(cycles).toEqual([]);
  });

  it('no test-support files import each other round a loop either', () => {
    const withSupport = listSourceFiles(SERVER_SRC, { testSupport: true }).map(readSourceFile);
    const cycles = importCycles(withSupport, followsEvery).map((group) =>
      cyclePath(group, withSupport, followsEvery).map(nameOf).join(' → '),
    );
    expect(cycles).toEqual([]);
  });
});
