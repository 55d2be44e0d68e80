import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Core decides who reaches what: no HTTP file imports one of its access predicates (canAccess*, canReach*,
 * seesEvery*, assert*Access) to decide at the edge. Surfaces call core's use cases and lookups instead.
 */
const HTTP = join(import.meta.dirname);
const PREDICATE = /^(?:canAccess\w*|canReach\w*|seesEvery\w*|assert\w*Access)$/;

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The names a source imports from core's access modules. */
function accessPredicatesImported(source: string): string[] {
  const names: string[] = [];
  for (const [, list] of source.matchAll(
    /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'[./]*core\/access\/[\w-]+\.js'/g,
  ))
    for (const name of (list ?? '').split(',')) {
      const bare =
        name
          .replace(/\btype\b/, '')
          .split(/\bas\b/)[0]
          ?.trim() ?? '';
      if (PREDICATE.test(bare)) names.push(bare);
    }
  return names;
}

describe('access decisions stay in core', () => {
  it('finds a predicate imported, named or renamed, and nothing else', () => {
    expect(
      accessPredicatesImported(
        "import {\n  assertLicenseAccess as a,\n  principalOf,\n  canReachPolicy,\n} from '../../core/access/principal.js';",
      ),
    ).toEqual(['assertLicenseAccess', 'canReachPolicy']);
    expect(
      accessPredicatesImported(
        "import { licenseNotFound, type Principal } from '../core/access/principal.js';",
      ),
    ).toEqual([]);
  });

  it('no HTTP file imports an access predicate of core', () => {
    const offenders = sourcesUnder(HTTP)
      .map((path) => relative(HTTP, path))
      .flatMap((path) =>
        accessPredicatesImported(readFileSync(join(HTTP, path), 'utf8')).map((name) => `${path}: ${name}`),
      );
    expect(offenders).toEqual([]);
  });
});
