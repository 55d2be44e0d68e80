import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/** What every browser test shares: Debian's Chromium (required under CI) and the dashboard's sources. */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true') {
  throw new Error(`the browser tests need Chromium at ${CHROMIUM} under CI (installed by .ci/run)`);
}

export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/**
 * Headless Chromium. With a host name, that name resolves to 127.0.0.1, so pages load over plain HTTP under a
 * name that is not localhost (browsers treat http://localhost as a secure context, which hides mistakes).
 */
export function launchChromium(hostName?: string): Promise<Browser> {
  const args = ['--no-sandbox'];
  if (hostName) args.push(`--host-resolver-rules=MAP ${hostName} 127.0.0.1`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** A build of the dashboard as it is now, of its own (the shared dist may be older or being rebuilt). */
export function buildDashboardInto(outDir: string): void {
  run('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: DASHBOARD_DIR,
    timeoutMs: 170_000,
  });
}

/** The shared dashboard build, when it is missing (`npm test` builds it before the server's tests run). */
export function ensureDashboardBuilt(): void {
  if (
    !existsSync(join(DASHBOARD_DIR, 'dist/index.html')) ||
    !existsSync(join(DASHBOARD_DIR, 'dist/portal.html'))
  )
    run('npx', ['vite', 'build'], { cwd: DASHBOARD_DIR, timeoutMs: 120_000 });
}

/** Runs a build step; a failure throws with its output. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): string {
  const { timeoutMs = 180_000, ...spawnOptions } = options;
  const result = spawnSync(command, args, { ...spawnOptions, encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * Collects requests that failed to load, into `into`. A request the browser cancelled because the page moved on
 * (net::ERR_ABORTED: a click or goto while a list was still loading) is not a failure to load, so it is left out;
 * what these tests look for (blocked assets, https upgrades over plain HTTP, refused connections) has other codes.
 */
export function collectFailedRequests(
  page: { on(event: 'requestfailed', listener: (request: FailedRequest) => void): unknown },
  into: string[],
): void {
  page.on('requestfailed', (request) => {
    const errorText = request.failure()?.errorText ?? 'failed';
    if (errorText !== 'net::ERR_ABORTED') into.push(`${request.url()}: ${errorText}`);
  });
}

interface FailedRequest {
  url(): string;
  failure(): { errorText: string } | null;
}
