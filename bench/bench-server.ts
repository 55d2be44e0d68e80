import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

/** A built `keyward serve` process for the benchmark scripts, with the admin token they all use. */

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'packages/server/dist/keyward.cjs');
export const ADMIN_TOKEN = 'kw_bench_admin_token_0123456789abcdef';
export const SECRET = 'bench-secret-that-is-long-enough-0123456789';

/**
 * The size of libuv's thread pool (where the server signs) in the server process: startServer passes no
 * UV_THREADPOOL_SIZE, so the entry point (packages/server/src/keyward.cts) picks one thread per core but one.
 * Baselines that sign start with the same number, so they get no more signing threads than the server.
 */
export const SERVER_THREAD_POOL_SIZE = Math.max(1, availableParallelism() - 1);

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** Starts the server on a free port without rate limits and waits until /readyz answers. */
export async function startServer(
  databaseUrl: string,
  options: { nodeArgs?: string[]; env?: Record<string, string>; readyTimeoutMs?: number } = {},
): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      KEYWARD_SECRET: SECRET,
      KEYWARD_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_TOKEN: '0',
      RATE_LIMIT_PER_IP: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited while starting:\n${output.join('')}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server not ready:\n${output.join('')}`);
    await sleep(100);
  }
  return {
    url,
    child,
    output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A JSON request as the admin; anything but 2xx throws with the answer. */
export async function call<T>(
  server: RunningServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}
