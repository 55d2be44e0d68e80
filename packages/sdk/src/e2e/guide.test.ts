import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, REPOSITORY, type ServerProcess, startServer } from '../test-support/server-process.js';

const execFileAsync = promisify(execFile);
const SDK_DIR = join(REPOSITORY, 'packages/sdk');
const GUIDE = readFileSync(join(SDK_DIR, 'README.md'), 'utf8');
const VERSION: string = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8')).version;

/** The code of the fenced block right after `<!-- guide: NAME -->` in the SDK's README. */
function guideBlock(name: string): string {
  const marker = `<!-- guide: ${name} -->\n`;
  const at = GUIDE.indexOf(marker);
  const fenced = at < 0 ? null : /^```\w*\n([\s\S]*?)\n```\n/.exec(GUIDE.slice(at + marker.length));
  if (!fenced?.[1]) throw new Error(`packages/sdk/README.md has no code block after ${marker.trim()}`);
  return fenced[1];
}

/** Runs a shell script as a reader would paste it; returns its output even when it fails. */
async function shell(script: string, options: { cwd: string; env: Record<string, string> }) {
  try {
    const { stdout, stderr } = await execFileAsync('bash', ['-c', script], {
      ...options,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * What a clone of the repository holds of the SDK, with the repository's installed dependencies standing in
 * for the reader's `npm ci`: the guide's `npm pack` builds and packs here, never in the working tree.
 */
function cloneForPacking(into: string): void {
  const sdkFiles = ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'src'];
  for (const file of sdkFiles) {
    cpSync(join(SDK_DIR, file), join(into, 'packages/sdk', file), { recursive: true });
  }
  cpSync(join(REPOSITORY, 'tsconfig.base.json'), join(into, 'tsconfig.base.json'));
  const root = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8'));
  writeFileSync(join(into, 'package.json'), JSON.stringify({ ...root, workspaces: ['packages/sdk'] }));
  symlinkSync(join(REPOSITORY, 'node_modules'), join(into, 'node_modules'), 'dir');
}

/**
 * The SDK README's five-minute guide, run as written: the SDK packed from a clone and installed into an empty
 * app without a registry, the server set up with the guide's curl commands, the guide's app, and each line
 * of "Try it" printing what the guide says it prints.
 */
describe('the five-minute guide of the SDK README', () => {
  let server: ServerProcess;
  let dir: string;
  let appDir: string;
  let serverSetup: { code: number; stdout: string; stderr: string };

  // npm without a registry: a local tarball with no dependencies needs none.
  const npmOffline = {
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-guide-'));
    cloneForPacking(join(dir, 'keyward'));
    appDir = join(dir, 'my-app');
    mkdirSync(appDir);
    server = await startServer();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs the SDK from the tarball that npm pack builds, with no registry', async () => {
    const install = guideBlock('install');
    expect(install).toContain(`keyward-sdk-${VERSION}.tgz`);
    // The repository's README names the same way in.
    const readme = readFileSync(join(REPOSITORY, 'README.md'), 'utf8');
    expect(readme).toContain('npm pack -w packages/sdk');
    expect(readme).toContain(`keyward-sdk-${VERSION}.tgz`);
    const env = { ...(process.env as Record<string, string>), ...npmOffline };
    const result = await shell(`set -euo pipefail\n${install}`, { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    const installed = JSON.parse(
      readFileSync(join(appDir, 'node_modules/@keyward/sdk/package.json'), 'utf8'),
    );
    expect(installed.version).toBe(VERSION);
    const packed = await execFileAsync('tar', ['-tzf', join(dir, 'keyward', `keyward-sdk-${VERSION}.tgz`)]);
    const files = packed.stdout.trim().split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/node/index.d.ts');
    // Only the build and the README: no sources, tests or test helpers.
    expect(
      files.filter((f) => !/^package\/(dist\/.+\.(js|d\.ts|js\.map)|README\.md|package\.json)$/.test(f)),
    ).toEqual([]);
    expect(files.filter((f) => /\.test\.|test-support/.test(f))).toEqual([]);
  }, 180_000);

  it('sets up a product, a policy and a key with the curl commands of step 2', async () => {
    const script = `set -euo pipefail\n${guideBlock('server')}\nprintf 'KEY=%s\\n' "$KEY"\n`;
    serverSetup = await shell(script, {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? '', URL: server.url, TOKEN: ADMIN_TOKEN },
    });
    expect(serverSetup.code, serverSetup.stderr).toBe(0);
    expect(serverSetup.stdout).toContain(server.publicKeyPem.trim());
    expect(serverSetup.stdout).toMatch(/^KEY=[A-Z0-9]{5}(-[A-Z0-9]{5})+$/m);
  });

  it('runs the app of step 3, and each line of step 4 prints what the guide shows', async () => {
    const key = /^KEY=(.+)$/m.exec(serverSetup.stdout)?.[1] as string;
    // As the reader does: the printed public key goes into the app's source.
    const pem = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/;
    const printedKey = pem.exec(serverSetup.stdout)?.[0] as string;
    const app = guideBlock('app license.mjs');
    expect(app).toMatch(pem);
    writeFileSync(join(appDir, 'license.mjs'), app.replace(pem, printedKey));

    const home = join(dir, 'home');
    mkdirSync(home);
    const env = { PATH: process.env.PATH ?? '', HOME: home, KEY: key, KEYWARD_URL: server.url };
    const lines = guideBlock('run').split('\n');
    const expected: string[] = [];
    const printed: string[] = [];
    for (const line of lines) {
      const [command, comment] = line.split(/\s+#\s+/, 2);
      if (!command || comment === undefined) throw new Error(`step 4 line without "# output": ${line}`);
      expected.push(`${command.trim()} → ${comment.trim()}`);
      const result = await shell(command, { cwd: appDir, env });
      expect(result.stderr, command).toBe('');
      printed.push(`${command.trim()} → ${result.stdout.trim()}`);
    }
    expect(printed).toEqual(expected);
    expect(lines.length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('type-checks the same app as TypeScript against the installed package', async () => {
    const app = guideBlock('app license.mjs');
    writeFileSync(join(appDir, 'license.mts'), app);
    const tsc = join(REPOSITORY, 'node_modules/typescript/bin/tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--target',
      'es2023',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      '--typeRoots',
      join(REPOSITORY, 'node_modules/@types'),
      join(appDir, 'license.mts'),
    ];
    const result = await execFileAsync(process.execPath, [tsc, ...args], { cwd: appDir }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout}${error.stderr}` }),
    );
    expect(result.stdout).toBe('');
  }, 60_000);
});
