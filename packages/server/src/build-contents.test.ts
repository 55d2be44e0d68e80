import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSourceFile } from './test-support/source-graph.js';

/**
 * What `npm run build` compiles is what ships: test code in it drags vitest into dist/ (where it is not
 * installed) and test-only shortcuts into the product. The build's own exclude list (`*.test.ts`,
 * `test-support/`) does not stop a shipped file from importing a test helper, which the compiler then pulls
 * in, so the compiler is asked which files the build compiles, and each is checked.
 */

const PACKAGES = resolve(import.meta.dirname, '../..');
const TSC = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');

function builtFiles(packageDir: string): string[] {
  const listing = execFileSync(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: packageDir,
    encoding: 'utf8',
  });
  const src = join(packageDir, 'src') + sep;
  return listing
    .split('\n')
    .map((line) => resolve(line.trim()))
    .filter((path) => path.startsWith(src));
}

function testCodeIn(packageName: string): string[] {
  const packageDir = join(PACKAGES, packageName);
  const { devDependencies = {}, dependencies = {} } = JSON.parse(
    readFileSync(join(packageDir, 'package.json'), 'utf8'),
  ) as { devDependencies?: Record<string, string>; dependencies?: Record<string, string> };
  // Only `dependencies` are installed with the product; a development package is test or build tooling.
  const developmentOnly = new Set(Object.keys(devDependencies).filter((name) => !(name in dependencies)));
  const isTestFile = (path: string) =>
    /\.test\.tsx?$/.test(path) || relative(packageDir, path).split(sep).includes('test-support');

  const files = builtFiles(packageDir);
  expect(files.length, `tsc listed no source file of ${packageName}`).toBeGreaterThan(10);
  const problems: string[] = [];
  for (const path of files) {
    const name = relative(packageDir, path);
    if (isTestFile(path)) problems.push(`${name} is test code, yet the build compiles it`);
    for (const found of readSourceFile(path).imports) {
      const { target } = found;
      const where = `${name}:${found.line} imports '${found.specifier}'`;
      if (target.kind === 'package' && developmentOnly.has(target.name)) {
        problems.push(`${where}, a development package`);
      }
      if (target.kind === 'file' && isTestFile(target.path)) problems.push(`${where}, test code`);
    }
  }
  return problems;
}

describe('the build compiles no test code', () => {
  it.each(['server', 'sdk'])('%s: no test file, test helper or development package', (packageName) => {
    expect(testCodeIn(packageName)).toEqual([]);
  });
});
