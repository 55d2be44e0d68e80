import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The server's own requests go only through `http/outbound-http.ts`, which checks every destination: no other
 * module may reach for a network client, so a new outbound feature cannot skip the check. (The database and
 * Redis clients connect only where the operator's configuration says.)
 */

const SRC = join(import.meta.dirname, '..');
const ALLOWED = new Set(['http/outbound-http.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Ways to open a connection of one's own. `import type` is fine: it opens nothing. */
const CLIENTS: Array<[string, RegExp]> = [
  ['global fetch', /(?<![\w.])fetch\s*\(/],
  ['node http/https/http2/tls/dgram/dns', /^import (?!type )[^;]*from 'node:(https?|http2|tls|dgram|dns)'/m],
  [
    'node:net connections',
    /^import (?!type )\{[^}]*\b(connect|createConnection|Socket)\b[^}]*\} from 'node:net'/m,
  ],
  ['undici', /from 'undici'/],
  ['WebSocket', /new WebSocket\(/],
];

describe('outbound requests', () => {
  it('are made only by the outbound HTTP module', () => {
    const offenders = sources(SRC).flatMap((file) => {
      const name = relative(SRC, file);
      if (ALLOWED.has(name)) return [];
      const text = readFileSync(file, 'utf8');
      return CLIENTS.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${name}: ${what}`);
    });
    expect(offenders).toEqual([]);
  });

  it('would notice a module that fetches on its own', () => {
    const [, fetchPattern] = CLIENTS[0] as [string, RegExp];
    const [, nodeHttp] = CLIENTS[1] as [string, RegExp];
    expect(fetchPattern.test('const r = await fetch(url);')).toBe(true);
    expect(fetchPattern.test('await outbound.fetchJson(x)')).toBe(false);
    expect(nodeHttp.test("import https from 'node:https';")).toBe(true);
    expect(nodeHttp.test("import type { IncomingMessage } from 'node:http';")).toBe(false);
  });
});
