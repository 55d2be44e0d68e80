import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPackage, issueApiKey } from '../../../test-support/authtool-calls.js';
import { runPhpTests } from '../../../test-support/php.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

/**
 * The "done when" of the AuthTool dialect: the vendor's own PHP cURL demo for key/multiple-activate (seed
 * 004, copied verbatim into fixtures/) runs against a listening Keyward with only its URL, API key, package
 * ids and end date replaced, and prints `HTTP Code: 201` and three keys. With the demo's own end date, long
 * past, it gets a 422. Needs php-cli and php-curl; under CI=true the test runs, never skips.
 */

const run = promisify(execFile);
const DEMO = readFileSync(join(import.meta.dirname, 'fixtures/multiple-activate-demo.php'), 'utf8');

/** Replaces one exact piece of the demo; the piece must occur exactly once, so nothing else changes. */
function replaceOnce(text: string, piece: string, replacement: string): string {
  expect(text.split(piece).length - 1, `"${piece}" occurs once in the demo`).toBe(1);
  return text.replace(piece, () => replacement);
}

describe.runIf(runPhpTests)('the seed PHP demo against Keyward', () => {
  let t: TestApp;
  let baseUrl: string;
  let dir: string;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'keyward-php-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.dispose();
  });

  async function runDemo(endDate: string | null) {
    const packages = [await createPackage(t), await createPackage(t), await createPackage(t)];
    const { secret } = await issueApiKey(t, { scopes: ['licenses:write'] });
    let script = replaceOnce(DEMO, "'YOUR_API_KEY'", `'${secret}'`);
    script = replaceOnce(
      script,
      "'https://api.authtool.app/public/v1/key/multiple-activate'",
      `'${baseUrl}/public/v1/key/multiple-activate'`,
    );
    script = replaceOnce(script, '[1, 2, 3]', `[${packages.join(', ')}]`);
    if (endDate !== null) script = replaceOnce(script, "'2024-12-31T23:59:59Z'", `'${endDate}'`);
    const file = join(dir, `demo-${packages[0]}.php`);
    writeFileSync(file, script);
    const { stdout } = await run('php', [file], { timeout: 20_000 });
    return { stdout, packages };
  }

  it('prints HTTP Code: 201 and three keys, each unlocking the three packages', async () => {
    const endDate = new Date(t.clock.now().getTime() + 90 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const { stdout, packages } = await runDemo(endDate);
    expect(stdout).toMatch(/^HTTP Code: 201$/m);
    expect(stdout).toContain('Multiple activate keys created successfully:');
    const keys = [...stdout.matchAll(/^- (\S+) \(can activate 10 times\)$/gm)].map((m) => m[1] as string);
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      const license = await t.keyward.licenses.getByKey(key);
      expect(license).toMatchObject({
        productIds: packages,
        alias: 'my-multi-key',
        isCleanable: false,
        activationPeriod: { count: 7, unit: 'day' },
        expiresAt: new Date(endDate),
        overrides: expect.objectContaining({ maxMachines: 10 }),
      });
    }
  });

  it("answers the demo's own end date, long past, with 422", async () => {
    const { stdout } = await runDemo(null);
    expect(stdout).toMatch(/^HTTP Code: 422$/m);
    expect(stdout).toMatch(/^Error: endDate must be a future date$/m);
  });
});
