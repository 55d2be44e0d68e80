import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDashboardBuilt, run } from './browser.js';
import { CLI, ensureBuilt, freePorts, PACKAGE_DIR, spawnServe, waitUntilReady } from './server-process.js';

/**
 * `keyward serve` as the browser tests run it: as an operator starts it from a shell (the test's environment
 * plus the settings given), on a SQLite database in a temporary directory unless told otherwise. The browser
 * reaches it as http://<hostName>:<port> (see launchChromium), the test's own requests at 127.0.0.1.
 */

export interface ServedKeywardOptions {
  /** Prefix of the temporary directory, which stop() removes. */
  dirPrefix: string;
  adminToken: string;
  /** The name the browser uses; 127.0.0.1 when not given. */
  hostName?: string;
  /** DATABASE_URL; a SQLite file in the temporary directory when not given. */
  databaseUrl?: string;
  /** More environment for the server (and the CLI), given the address the browser uses. */
  env?: (base: string) => Record<string, string>;
  /** A dashboard user made with the command line before the server starts, the password on standard input. */
  user?: { email: string; password: string; role: string };
}

export interface ServedKeyward {
  dir: string;
  databaseUrl: string;
  /** What the browser opens: http://<hostName>:<port>. */
  base: string;
  /** What the test's own requests use: http://127.0.0.1:<port>. */
  apiBase: string;
  /** The native API with the admin token. */
  api: AdminApi;
  /** Everything the server wrote so far. */
  output(): string;
  /** SIGTERM, waits for the exit, removes the directory. */
  stop(): Promise<void>;
}

/** Answers are loosely typed JSON, read by each test as it needs. */
// biome-ignore lint/suspicious/noExplicitAny: the tests read loosely typed JSON answers.
export type AdminApi = (method: string, path: string, body?: unknown) => Promise<any>;

export async function startServedKeyward(options: ServedKeywardOptions): Promise<ServedKeyward> {
  ensureDashboardBuilt();
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), options.dirPrefix));
  const databaseUrl = options.databaseUrl ?? join(dir, 'keyward.sqlite');
  const [port] = (await freePorts(1)) as [number];
  const base = `http://${options.hostName ?? '127.0.0.1'}:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    KEYWARD_ADMIN_TOKEN: options.adminToken,
    LOG_LEVEL: 'warn',
    ...options.env?.(base),
  };
  let server: ReturnType<typeof spawnServe> | undefined;
  const stop = async () => {
    await server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (options.user) {
      const { email, password, role } = options.user;
      const created = run(process.execPath, [CLI, 'user', 'create', '--email', email, '--role', role], {
        cwd: PACKAGE_DIR,
        env,
        input: `${password}\n`,
        timeoutMs: 120_000,
      });
      if (!created.includes(email)) throw new Error(`user create did not name ${email}:\n${created}`);
    }
    server = spawnServe({ port, env });
    await waitUntilReady(server);
  } catch (error) {
    await stop();
    throw error;
  }
  const started = server;
  return {
    dir,
    databaseUrl,
    base,
    apiBase: started.url,
    api: adminApi(started.url, options.adminToken),
    output: () => started.output.join(''),
    stop,
  };
}

/** Requests to the native API with this token; an answer that is not 2xx throws with its body. */
export function adminApi(apiBase: string, token: string): AdminApi {
  return async (method, path, body) => {
    const response = await fetch(`${apiBase}/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}
