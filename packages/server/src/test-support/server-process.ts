import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { resolve } from 'node:path';

/**
 * Real `keyward serve` processes for tests of what only a process shows: crashes, restarts, several processes
 * on one database, a database that goes away. Requests go over loopback HTTP.
 */

export const PACKAGE_DIR = resolve(import.meta.dirname, '../..');
export const CLI = resolve(PACKAGE_DIR, 'dist/keyward.cjs');
export const PROCESS_ADMIN_TOKEN = 'kw_server_process_admin_token_0123456789abcdef';
export const PROCESS_SECRET = 'server-process-secret-that-is-long-enough-0123456789';

/** `npm test` builds first; a bare `vitest run` on a fresh clone builds here. */
export function ensureBuilt(): void {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: PACKAGE_DIR, stdio: 'pipe' });
}

/** Free ports, held open together so they differ. The server cannot listen on port 0 and report it. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running, and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServerOptions {
  port: number;
  databaseUrl: string;
  args?: string[];
  env?: Record<string, string>;
  /** Runs the server through `bash -c` with this prefix, e.g. `ulimit -f 100;`. */
  shellPrefix?: string;
}

export function startServerProcess(options: ServerOptions): ServerProcess {
  return spawnServe({
    port: options.port,
    args: options.args,
    shellPrefix: options.shellPrefix,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(options.port),
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      KEYWARD_SECRET: PROCESS_SECRET,
      KEYWARD_ADMIN_TOKEN: PROCESS_ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_TOKEN: '0',
      RATE_LIMIT_PER_IP: '0',
      ...options.env,
    },
  });
}

/** `keyward serve` with exactly this environment (PORT included), its output collected. */
export function spawnServe(options: {
  port: number;
  env: NodeJS.ProcessEnv;
  args?: string[];
  shellPrefix?: string;
}): ServerProcess {
  const { env } = options;
  const argv = [CLI, 'serve', ...(options.args ?? [])];
  const child = options.shellPrefix
    ? spawn('bash', ['-c', `${options.shellPrefix} exec "$0" "$@"`, process.execPath, ...argv], {
        cwd: PACKAGE_DIR,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, argv, { cwd: PACKAGE_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return {
    url: `http://127.0.0.1:${options.port}`,
    port: options.port,
    child,
    output,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function waitUntilReady(server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`server exited while starting:\n${server.output.join('')}`);
    }
    try {
      if ((await fetch(`${server.url}/readyz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`server at ${server.url} not ready after ${timeoutMs} ms:\n${server.output.join('')}`);
}

export interface Answer {
  status: number;
  text: string;
  body: { error?: { code: string; message: string }; [key: string]: unknown } | null;
}

/** One request; a connection failure is an answer with status 0, so bursts can run through a crash. */
export async function request(
  url: string,
  method: string,
  path: string,
  options: {
    json?: unknown;
    form?: Record<string, string>;
    token?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? PROCESS_ADMIN_TOKEN : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let parsed: Answer['body'] = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: response.status, text, body: parsed };
  } catch (error) {
    return { status: 0, text: String(error), body: null };
  }
}

/** Counts answers as `status` or `status CODE`, e.g. `{ '201': 5, '422 MACHINE_LIMIT_REACHED': 95 }`. */
export function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, body } of answers) {
    const key = body?.error ? `${status} ${body.error.code}` : String(status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A product, a policy with these rules and one license under it, made over HTTP. */
export async function licenseUnder(
  url: string,
  policy: Record<string, unknown>,
): Promise<{ id: number; key: string; productId: number; policyId: number }> {
  const product = await request(url, 'POST', '/v1/products', { json: { name: 'Process test' } });
  if (product.status !== 201) throw new Error(`product: ${product.text}`);
  const created = await request(url, 'POST', '/v1/policies', {
    json: { productId: product.body?.id, name: 'limited', ...policy },
  });
  if (created.status !== 201) throw new Error(`policy: ${created.text}`);
  const license = await request(url, 'POST', '/v1/licenses', { json: { policyId: created.body?.id } });
  if (license.status !== 201) throw new Error(`license: ${license.text}`);
  return {
    id: license.body?.id as number,
    key: license.body?.key as string,
    productId: product.body?.id as number,
    policyId: created.body?.id as number,
  };
}
