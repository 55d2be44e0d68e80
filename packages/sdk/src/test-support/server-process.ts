import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPOSITORY = resolve(import.meta.dirname, '../../../..');
export const SERVER_CLI = join(REPOSITORY, 'packages/server/dist/cli.js');
export const EXAMPLE_APP = join(REPOSITORY, 'examples/protected-cli/app.mjs');
export const ADMIN_TOKEN = 'kw_sdk_end_to_end_admin_token_0123456789';

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read loosely typed JSON answers.
export type Json = any;

/** The built server as a real process over a temporary SQLite database. */
export interface ServerProcess {
  url: string;
  dir: string;
  env: Record<string, string>;
  publicKeyPem: string;
  admin(method: string, path: string, body?: unknown, expected?: number): Promise<Json>;
  stop(): Promise<void>;
}

export async function startServer(): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-sdk-e2e-'));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: join(dir, 'keyward.sqlite'),
    KEYWARD_ADMIN_TOKEN: ADMIN_TOKEN,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_TOKEN: '0',
    RATE_LIMIT_PER_IP: '0',
  };
  const child: ChildProcess = spawn(process.execPath, [SERVER_CLI, 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const admin = async (method: string, path: string, body?: unknown, expected?: number) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (expected !== undefined ? response.status !== expected : response.status >= 400) {
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    }
    return text ? JSON.parse(text) : undefined;
  };
  const keys = await admin('GET', '/v1/signing-keys');
  const publicKeyPem = keys.data.find((k: Json) => k.algorithm === 'ed25519').publicKeyPem;
  return {
    url,
    dir,
    env,
    publicKeyPem,
    admin,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export type ProxyMode =
  | { kind: 'pass' }
  /** Rewrites validation answers (the signature header is kept, or replaced by `resign`'s). */
  | { kind: 'forge'; rewrite: (body: string) => string; resign?: boolean }
  /** Keeps the first validation answer and serves it for every later validation. */
  | { kind: 'replay' }
  /** Rewrites the JSON body of requests whose path contains `path`; the answers pass untouched. */
  | { kind: 'rewrite-request'; path: string; rewrite: (body: Json) => Json };

/**
 * A man in the middle between the example app and the server: passes requests through, forges or replays
 * the answers of the validation route, or rewrites requests, when told to.
 */
export async function startProxy(
  target: string,
): Promise<{ url: string; mode: ProxyMode; close(): Promise<void> }> {
  const attacker = generateKeyPairSync('ed25519');
  let recorded: { body: Buffer; headers: Record<string, string> } | null = null;
  const state = { mode: { kind: 'pass' } as ProxyMode };
  const server: Server = createServer(async (request, reply) => {
    let body = await readBody(request);
    const asked = state.mode;
    if (asked.kind === 'rewrite-request' && request.url?.includes(asked.path) && body.length > 0) {
      body = Buffer.from(JSON.stringify(asked.rewrite(JSON.parse(body.toString('utf8')))));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value;
    }
    const answer = await fetch(`${target}${request.url}`, {
      method: request.method ?? 'GET',
      headers,
      body: ['GET', 'HEAD'].includes(request.method ?? 'GET') ? undefined : body,
    });
    let bytes: Buffer = Buffer.from(await answer.arrayBuffer());
    const out: Record<string, string> = {
      'content-type': answer.headers.get('content-type') ?? 'text/plain',
    };
    const signature = answer.headers.get('keyward-signature');
    if (signature) out['keyward-signature'] = signature;
    const mode = state.mode;
    if (request.url?.includes('/actions/validate') && answer.status === 200) {
      if (mode.kind === 'forge') {
        bytes = Buffer.from(mode.rewrite(bytes.toString('utf8')));
        if (mode.resign)
          out['keyward-signature'] = `ed25519=${sign(null, bytes, attacker.privateKey).toString('base64')}`;
      } else if (mode.kind === 'replay') {
        if (!recorded) recorded = { body: bytes, headers: { ...out } };
        bytes = recorded.body;
        Object.assign(out, recorded.headers);
      }
    }
    reply.writeHead(answer.status, out);
    reply.end(bytes);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(mode: ProxyMode) {
      state.mode = mode;
      if (mode.kind !== 'replay') recorded = null;
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
