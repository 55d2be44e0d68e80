import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What every browser test shares: Debian's Chromium (required under CI) and the dashboard's sources. */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true') {
  throw new Error(`the browser tests need Chromium at ${CHROMIUM} under CI (installed by .ci/run)`);
}

export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

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
