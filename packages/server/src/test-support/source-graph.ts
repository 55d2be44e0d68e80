import { existsSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { type ProcessRead, readSourceFacts } from './source-imports.js';

/**
 * Where an import leads: a source file or another file (a stylesheet) by absolute path, an npm package, a
 * Node built-in, or nowhere.
 */
export type ImportTarget =
  | { kind: 'file'; path: string }
  | { kind: 'asset'; path: string }
  | { kind: 'package'; name: string }
  | { kind: 'builtin'; name: string }
  | { kind: 'unresolved' };

export interface ResolvedImport {
  specifier: string | null;
  line: number;
  typeOnly: boolean;
  target: ImportTarget;
}

export interface SourceFile {
  /** Absolute path. */
  path: string;
  imports: ResolvedImport[];
  processReads: ProcessRead[];
}

const SOURCE_FILE = /\.(ts|tsx|cts|mts)$/;
const TEST_FILE = /\.test\.tsx?$/;

/** The non-test source files under a directory: no `*.test.ts(x)`, and nothing under a `test-support` folder unless asked. */
export function listSourceFiles(root: string, options: { testSupport?: boolean } = {}): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || !SOURCE_FILE.test(entry.name) || TEST_FILE.test(entry.name)) continue;
    if (!options.testSupport && relative(root, path).split(sep).includes('test-support')) continue;
    files.push(path);
  }
  return files.sort();
}

/** TypeScript imports name the emitted file: `./x.js` is `./x.ts` (or `.tsx`) in source. */
const SOURCE_CANDIDATES: [RegExp, string[]][] = [
  [/\.js$/, ['.ts', '.tsx', '.js']],
  [/\.jsx$/, ['.tsx', '.jsx']],
  [/\.cjs$/, ['.cts', '.cjs']],
  [/\.mjs$/, ['.mts', '.mjs']],
];

export function resolveImport(fromFile: string, specifier: string | null): ImportTarget {
  if (specifier === null) return { kind: 'unresolved' };
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) {
    return { kind: 'builtin', name: specifier };
  }
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    return { kind: 'package', name };
  }
  const written = resolve(dirname(fromFile), specifier);
  const candidates = [written];
  for (const [extension, sources] of SOURCE_CANDIDATES) {
    if (extension.test(written))
      candidates.push(...sources.map((source) => written.replace(extension, source)));
  }
  candidates.push(`${written}.ts`, `${written}.tsx`, join(written, 'index.ts'), join(written, 'index.tsx'));
  const path = candidates.find((candidate) => SOURCE_FILE.test(candidate) && existsSync(candidate));
  if (path) return { kind: 'file', path };
  return existsSync(written) && statSync(written).isFile()
    ? { kind: 'asset', path: written }
    : { kind: 'unresolved' };
}

export function readSourceFile(path: string): SourceFile {
  const { imports, processReads } = readSourceFacts(path);
  return {
    path,
    imports: imports.map((found) => ({ ...found, target: resolveImport(path, found.specifier) })),
    processReads,
  };
}

/**
 * The strongly connected groups of files (Tarjan): files that reach each other through their imports, so
 * each imports itself through the others. A group of one file counts only when it imports itself.
 */
export function importCycles(files: SourceFile[], follows: (found: ResolvedImport) => boolean): string[][] {
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const targets = file.imports.flatMap((found) =>
      found.target.kind === 'file' && follows(found) ? [found.target.path] : [],
    );
    edges.set(file.path, [...new Set(targets)]);
  }
  let nextIndex = 0;
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];

  const connect = (file: string) => {
    index.set(file, nextIndex);
    lowLink.set(file, nextIndex);
    nextIndex++;
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!edges.has(target)) continue;
      if (!index.has(target)) {
        connect(target);
        lowLink.set(file, Math.min(lowLink.get(file) as number, lowLink.get(target) as number));
      } else if (onStack.has(target)) {
        lowLink.set(file, Math.min(lowLink.get(file) as number, index.get(target) as number));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1 || (edges.get(file) ?? []).includes(file)) groups.push(group.sort());
  };
  for (const file of edges.keys()) if (!index.has(file)) connect(file);
  return groups;
}

/** One shortest way round a group of files that import each other, from its first file back to it. */
export function cyclePath(group: string[], files: SourceFile[], follows: (found: ResolvedImport) => boolean) {
  const members = new Set(group);
  const start = group[0] as string;
  const byPath = new Map(files.map((file) => [file.path, file]));
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const found of byPath.get(file)?.imports ?? []) {
      if (found.target.kind !== 'file' || !follows(found) || !members.has(found.target.path)) continue;
      const target = found.target.path;
      if (target === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0] as string) as string);
        return [...path, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start];
}
