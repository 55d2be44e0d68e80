import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module reachable from the package's main entry through static imports. */
function staticGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)]
      .filter((m) => !/^\s*(?:import|export)\s+type\s/.test(m[0]))
      .map((m) => m[1] as string);
    graph.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return graph;
}

describe('the browser entry', () => {
  it('imports no Node module statically (node:crypto is loaded lazily, only under Node)', () => {
    const graph = staticGraph(join(import.meta.dirname, 'index.ts'));
    expect(graph.size).toBeGreaterThan(8);
    const external = [...graph.values()].flat().filter((s) => !s.startsWith('.'));
    expect(external).toEqual([]);
    expect([...graph.keys()].some((f) => f.includes(`${sep}src${sep}node${sep}`))).toBe(false);
  });

  it('uses no Buffer or process outside the guarded Node paths', () => {
    const graph = staticGraph(join(import.meta.dirname, 'index.ts'));
    for (const file of graph.keys()) {
      const source = readFileSync(file, 'utf8');
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (file.endsWith('crypto.ts')) {
        // Buffer appears only inside functions that run after loadNodeCrypto() returned Node's module.
        for (const line of code.split('\n').filter((l) => l.includes('Buffer.'))) {
          expect(line).toMatch(/node\.|Buffer\.from\(spki\)|Buffer\.concat\(\[decipher/);
        }
        continue;
      }
      expect(code, file).not.toMatch(/\bBuffer\./);
      expect(code, file).not.toMatch(/(?<!globalThis\.|\.)\bprocess\./);
    }
  });
});
