import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePorts,
  PROCESS_SECRET,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../test-support/server-process.js';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const run = promisify(execFile);
/** Each command starts a process and opens the database: seconds apiece on a busy machine. */
const SLOW = 240_000;

/**
 * `keyward webhook test`: the command queues a signed webhook.test event, and the running server delivers it
 * as it delivers every event; the command waits for the outcome and says it.
 */
describe('keyward webhook test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-webhook-test-'));
  const databaseUrl = join(dir, 'keyward.sqlite');
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    KEYWARD_SECRET: PROCESS_SECRET,
    KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true',
    LOG_LEVEL: 'warn',
  };
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let receiver: Server;
  let receiverUrl: string;
  let server: ServerProcess | undefined;

  const keyward = async (...args: string[]) => (await run('node', [CLI, ...args], { env })).stdout;
  const failure = async (...args: string[]) => {
    try {
      await run('node', [CLI, ...args], { env });
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
    throw new Error(`keyward ${args.join(' ')} succeeded`);
  };

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(request.url === '/broken' ? 500 : 204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.kill('SIGTERM');
    await new Promise((done) => receiver.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'says when no server sends it, and refuses a disabled endpoint',
    async () => {
      await keyward('migrate');
      const hook = JSON.parse(
        await keyward('webhook', 'create', '--url', `${receiverUrl}/hook`, '--event', 'license.*', '--json'),
      );
      const queued = await keyward('webhook', 'test', String(hook.id), '--wait', '0');
      expect(queued).toMatch(
        new RegExp(
          `^Test event for webhook ${hook.id} \\(${receiverUrl}/hook\\), delivery \\d+: queued; the running server sends it\\.\\n$`,
        ),
      );
      const unsent = await failure('webhook', 'test', String(hook.id), '--wait', '1');
      expect(unsent.code).toBe(1);
      expect(unsent.stdout).toContain('no server sent it within 1 s. Is keyward serve running?');
      const disabled = JSON.parse(
        await keyward(
          'webhook',
          'create',
          '--url',
          `${receiverUrl}/off`,
          '--event',
          '*',
          '--disabled',
          '--json',
        ),
      );
      expect((await failure('webhook', 'test', String(disabled.id))).stderr).toContain(
        `CONFLICT: webhook ${disabled.id} is disabled`,
      );
    },
    SLOW,
  );

  it(
    'waits while the running server delivers it, signed, and tells the receiver’s answer',
    async () => {
      const [port] = (await freePorts(1)) as [number];
      server = startServerProcess({ port, databaseUrl, env: { KEYWARD_ALLOW_PRIVATE_DESTINATIONS: 'true' } });
      await waitUntilReady(server, 60_000);
      const hook = JSON.parse(
        await keyward('webhook', 'create', '--url', `${receiverUrl}/hook`, '--event', 'license.*', '--json'),
      );
      const before = received.length;
      const answer = await keyward('webhook', 'test', String(hook.id), '--wait', '60');
      expect(answer).toMatch(/: delivered \(HTTP 204\)\.\n$/);
      const tests = received.slice(before).filter((r) => JSON.parse(r.body).type === 'webhook.test');
      expect(tests.length).toBeGreaterThanOrEqual(1);
      expect(Object.keys(tests[0]?.headers ?? {}).join(' ')).toMatch(/signature/i);

      const broken = JSON.parse(
        await keyward('webhook', 'create', '--url', `${receiverUrl}/broken`, '--event', '*', '--json'),
      );
      const refused = await failure('webhook', 'test', String(broken.id), '--wait', '60', '--json');
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({
        webhookId: broken.id,
        eventType: 'webhook.test',
        status: 'pending',
        lastStatusCode: 500,
      });
    },
    SLOW,
  );
});
